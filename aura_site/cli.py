"""The `aura` command line: plan a run with the same services as `POST /api/jobs`.

    aura generate --brief "..." [--model-override STAGE=MODEL]... [--pin-model [STAGE]]...
                  [--model MODEL] [--script-model M] [--visual-model M] [--narration-model M]
                  [--refinement-model M] [--allow-auto-fallback] [--project P] [--user NAME]

MODEL is a catalog model id or alias, or PROVIDER:MODEL where a bare id is ambiguous.
Exit status: 0 planned, 3 blocked (the options are printed), 2 bad arguments, 1 other refusals.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

EXIT_PLANNED = 0
EXIT_REFUSED = 1
EXIT_BAD_ARGUMENTS = 2
EXIT_BLOCKED = 3
STAGES = ("script", "visual", "narration", "refinement")


class UsageError(Exception):
    """Bad command-line arguments (exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would print and exit; main() decides the exit instead
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="aura", description="Aura Control Center command line.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    generate = commands.add_parser("generate", help="plan a video generation run and print the models")
    generate.add_argument("--brief", required=True, help="what the video is about")
    generate.add_argument(
        "--model-override",
        action="append",
        default=[],
        metavar="STAGE=MODEL",
        help="use MODEL for STAGE in this run (repeatable)",
    )
    generate.add_argument(
        "--pin-model",
        action="append",
        nargs="?",
        const="*",
        default=[],
        metavar="STAGE",
        help="pin the override of STAGE (blocks if unavailable); without STAGE: pin --model",
    )
    generate.add_argument("--model", help="use MODEL for every stage in this run")
    for stage in STAGES:
        generate.add_argument(f"--{stage}-model", metavar="MODEL", help=f"use MODEL for the {stage} stage")
    generate.add_argument("--allow-auto-fallback", action="store_true", help="allow automatic fallback")
    generate.add_argument("--project", help="project id (its project overrides apply)")
    generate.add_argument("--user", help="username recorded as the run's creator")
    return parser


def _split_model(value: str, provider_names: dict[str, str]) -> tuple[str | None, str]:
    """'gpt-4o' → (None, 'gpt-4o'); 'OpenAI:gpt-4o' → ('OpenAI', 'gpt-4o'); 'llama3.1:8b' stays a model id."""
    head, sep, tail = value.partition(":")
    if sep and head.lower() in provider_names and tail:
        return provider_names[head.lower()], tail
    return None, value


def overrides_from_args(args: argparse.Namespace, provider_names: dict[str, str]):
    """Turn the CLI flags into run overrides per stage, or raise UsageError."""
    from models_selection.resolver import RunOverride

    models: dict[str, str] = {}
    if args.model:
        models.update(dict.fromkeys(STAGES, args.model))
    for stage in STAGES:
        value = getattr(args, f"{stage}_model")
        if value:
            models[stage] = value
    for item in args.model_override:
        stage, sep, model = item.partition("=")
        stage = stage.strip().lower()
        if not sep or not model.strip():
            raise UsageError(f"--model-override {item!r}: write STAGE=MODEL")
        if stage not in STAGES:
            raise UsageError(f"--model-override {item!r}: unknown stage; use one of {', '.join(STAGES)}")
        models[stage] = model.strip()
    pinned: set[str] = set()
    for stage in args.pin_model:
        if stage == "*":
            if not args.model:
                raise UsageError("--pin-model without a stage pins --model; give --model or a stage")
            pinned.update(STAGES)
            continue
        stage = stage.strip().lower()
        if stage not in STAGES:
            raise UsageError(f"--pin-model {stage!r}: unknown stage; use one of {', '.join(STAGES)}")
        if stage not in models:
            raise UsageError(f"--pin-model {stage}: there is no override for {stage} to pin")
        pinned.add(stage)
    overrides = {}
    for stage, value in models.items():
        provider, model_id = _split_model(value, provider_names)
        overrides[stage] = RunOverride(provider, model_id, stage in pinned)
    return overrides


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def print_plan(plan, out: TextIO) -> None:
    """The resolution table, then what to do when blocked."""
    rows = [["STAGE", "PROVIDER", "MODEL", "SOURCE", "PINNED", "STATUS"]]
    for r in plan.resolutions:
        rows.append(
            [
                r.stage,
                r.provider or "-",
                r.model_id or "-",
                r.source,
                "yes" if r.is_pinned else "no",
                "BLOCKED" if r.is_blocked else "ok",
            ]
        )
    print(f"Job {plan.job.id}: {plan.job.status}", file=out)
    print(_table(rows), file=out)
    if not plan.blocked:
        return
    from models_selection.services import DECISION_HELP, DECISIONS

    print("", file=out)
    for r in plan.resolutions:
        if r.is_blocked:
            print(f"{r.stage}: {r.reasoning}", file=out)
            if r.alternatives:
                names = ", ".join(f"{a.provider}:{a.model_id}" for a in r.alternatives)
                print(f"  recommended alternatives: {names}", file=out)
    print("", file=out)
    print(f"The run is blocked. Options (POST /api/jobs/{plan.job.id}/decision):", file=out)
    for option in DECISIONS:
        print(f"  {option:<20} {DECISION_HELP[option]}", file=out)


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aura_site.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


def generate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from django.contrib.auth import get_user_model

    from aura_site.errors import DomainError, ValidationFailed
    from models_selection.models import Provider
    from models_selection.services import job_plan

    provider_names = {name.lower(): name for name in Provider.objects.values_list("name", flat=True)}
    try:
        overrides = overrides_from_args(args, provider_names)
    except UsageError as error:
        print(f"aura generate: {error}", file=err)
        return EXIT_BAD_ARGUMENTS
    user = None
    if args.user:
        user = get_user_model().objects.filter(username=args.user).first()
        if user is None:
            print(f"aura generate: no user {args.user!r}", file=err)
            return EXIT_BAD_ARGUMENTS
    try:
        plan = job_plan(
            brief=args.brief,
            model_overrides=overrides,
            project_id=args.project,
            allow_auto_fallback=args.allow_auto_fallback,
            user=user,
            correlation_id="cli",
        )
    except ValidationFailed as error:
        print(f"aura generate: {error.detail}", file=err)
        return EXIT_BAD_ARGUMENTS
    except DomainError as error:
        print(f"aura generate: {error.detail}", file=err)
        return EXIT_REFUSED
    print_plan(plan, out)
    return EXIT_BLOCKED if plan.blocked else EXIT_PLANNED


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
    if args.command == "generate":
        return generate(args, out, err)
    return EXIT_BAD_ARGUMENTS  # pragma: no cover - argparse requires a known command


if __name__ == "__main__":
    sys.exit(main())
