"""`aura generate`: its flags and exit status (the work is in `cli`, loaded once Django is set up).

    aura generate --brief "..." [--model-override STAGE=MODEL]... [--pin-model [STAGE]]...
                  [--model MODEL] [--script-model M] [--visual-model M] [--narration-model M]
                  [--refinement-model M] [--allow-auto-fallback] [--project P] [--user NAME]
                  [--audience-profile ID] [--filtering-policy ID] [--quality-thresholds ID]
                  [--visual-style ID] [--ai-behavior STAGE=ID]... [--prompt-template STAGE=ID]...
                  [--plan-only] [--output FILE]

MODEL is a catalog model id or alias, or PROVIDER:MODEL where a bare id is ambiguous.
Exit status: 0 done (or planned, with --plan-only), 3 blocked (the options are printed), 4 a stage failed
or the run needs review, 5 refused by the budget, 2 bad arguments, 1 other refusals.
"""

from __future__ import annotations

from models_selection.stages import STAGES

from .choices import RUN_CHOICES

EXIT_PLANNED = 0
EXIT_REFUSED = 1
EXIT_BAD_ARGUMENTS = 2
EXIT_BLOCKED = 3
EXIT_FAILED = 4
EXIT_BUDGET = 5


class UsageError(Exception):
    """Bad command-line arguments (exit 2)."""


def add_generate_command(commands) -> None:
    """The `generate` subcommand and its flags, on the `aura` parser's subparsers."""
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
    for choice in RUN_CHOICES:
        what = choice.flag.replace("-", " ")
        if choice.per_stage:
            generate.add_argument(f"--{choice.flag}", action="append", default=[], metavar="STAGE=ID",
                                  help=f"use this {what} for STAGE in the run (repeatable)")
        else:
            generate.add_argument(f"--{choice.flag}", metavar="ID", help=f"use this {what} for the run")
    generate.add_argument("--plan-only", action="store_true", help="plan the run and stop (do not execute it)")
    generate.add_argument("--output", metavar="FILE", help="write the run's artifacts as Markdown to FILE")
