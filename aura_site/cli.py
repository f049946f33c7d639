"""The `aura` command line (the console script's entry point); the run commands live with the runs.

    aura generate ...   plan and execute a run (flags and exit status: models_selection.runs.cli_args)
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

import django
from django.apps import apps

from models_selection.runs.cli_args import EXIT_BAD_ARGUMENTS, UsageError, add_generate_command


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would print and exit; main() decides the exit instead
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="aura", description="Aura Control Center command line.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add_generate_command(commands)
    return parser


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aura_site.settings")
    if not apps.ready:
        django.setup()


def main(argv: list[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Entry point of the `aura` console script; returns the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    except UsageError as error:
        print(parser.format_usage().rstrip(), file=err)
        print(f"aura: error: {error}", file=err)
        return EXIT_BAD_ARGUMENTS
    _setup_django()
    # The commands' work needs the models, so it is loaded once Django is set up (the one import the
    # import-rule test allows in a function for this reason).
    from models_selection.runs.cli import generate

    if args.command == "generate":
        return generate(args, out, err)
    return EXIT_BAD_ARGUMENTS  # pragma: no cover - argparse requires a known command


if __name__ == "__main__":
    sys.exit(main())
