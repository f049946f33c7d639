"""`aura generate`'s work: plan and execute a run with the same services as `POST /api/jobs`.

Loaded by the `aura` entry point once Django is set up; the flags are defined in `cli_args`.
"""

from __future__ import annotations

import argparse
import os
import uuid
from typing import TextIO

from django.contrib.auth import get_user_model

from aura_site.errors import DomainError, PaymentRequired, ValidationFailed
from models_selection.models import Provider
from models_selection.resolver import RunOverride
from models_selection.stages import STAGES

from .choices import RUN_CHOICES
from .cli_args import EXIT_BAD_ARGUMENTS, EXIT_BLOCKED, EXIT_BUDGET, EXIT_FAILED, EXIT_PLANNED, EXIT_REFUSED, UsageError
from .decisions import DECISION_HELP, DECISIONS
from .effective import PreferenceChoices
from .lifecycle import run_start, run_work
from .planning import job_plan
from .selectors import artifacts_markdown, run_details


def preference_choices_from_args(args: argparse.Namespace):
    """The per-run preference flags as choices, or raise UsageError."""
    def as_uuid(flag: str, value: str) -> uuid.UUID:
        try:
            return uuid.UUID(value)
        except ValueError:
            raise UsageError(f"--{flag} {value!r}: not an id (a UUID)") from None

    single = {}
    per_stage: dict[str, dict] = {}
    for choice in RUN_CHOICES:
        flag, value = choice.flag, getattr(args, choice.flag.replace("-", "_"))
        if not choice.per_stage:
            if value:
                single[choice.name] = as_uuid(flag, value)
            continue
        for item in value:
            stage, sep, item_id = item.partition("=")
            if not sep or stage.strip().lower() not in STAGES:
                raise UsageError(f"--{flag} {item!r}: write STAGE=ID with a stage of {', '.join(STAGES)}")
            per_stage.setdefault(choice.name, {})[stage.strip().lower()] = as_uuid(flag, item_id.strip())
    return PreferenceChoices(single=single, per_stage=per_stage)


def _split_model(value: str, provider_names: dict[str, str]) -> tuple[str | None, str]:
    """'gpt-4o' → (None, 'gpt-4o'); 'OpenAI:gpt-4o' → ('OpenAI', 'gpt-4o'); 'llama3.1:8b' stays a model id."""
    head, sep, tail = value.partition(":")
    if sep and head.lower() in provider_names and tail:
        return provider_names[head.lower()], tail
    return None, value


def overrides_from_args(args: argparse.Namespace, provider_names: dict[str, str]):
    """Turn the CLI flags into run overrides per stage, or raise UsageError."""
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


def generate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    provider_names = {name.lower(): name for name in Provider.objects.values_list("name", flat=True)}
    try:
        overrides = overrides_from_args(args, provider_names)
        choices = preference_choices_from_args(args)
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
            preference_choices=choices,
        )
    except ValidationFailed as error:
        print(f"aura generate: {error.detail}", file=err)
        return EXIT_BAD_ARGUMENTS
    except PaymentRequired as error:
        print(f"aura generate: {error.detail}", file=err)
        return EXIT_BUDGET
    except DomainError as error:
        print(f"aura generate: {error.detail}", file=err)
        return EXIT_REFUSED
    print_plan(plan, out)
    if plan.blocked:
        return EXIT_BLOCKED
    if args.plan_only:
        return EXIT_PLANNED
    return execute(plan.job.id, args, out, user)


def _write_atomically(path: str, text: str) -> None:
    target = os.path.abspath(path)
    temporary = f"{target}.part"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, target)


def execute(job_id: str, args: argparse.Namespace, out: TextIO, user) -> int:
    """Run the planned job in this process, printing each stage as it finishes, then the totals."""
    def stage_line(row) -> None:
        latency = f"{row.latency_ms} ms" if row.latency_ms is not None else "-"
        print(f"{row.stage:<11} {row.status:<9} {row.provider}:{row.model_id}  tokens {row.input_tokens}/"
              f"{row.output_tokens}  cost {row.cost}  {latency}" + (f"  {row.error}" if row.error else ""),
              file=out, flush=True)

    run_start(job_id=job_id, user=user, enqueue=False)
    print("", file=out)
    job = run_work(job_id=job_id, on_stage=stage_line)  # stamped while it runs, so no sweeper takes it
    details = run_details(job)
    outcome = job.outcome or {}
    settlement = outcome.get("settlement") or {}
    tokens_in = sum(s["input_tokens"] for s in details["stages"])
    tokens_out = sum(s["output_tokens"] for s in details["stages"])
    print(f"\nJob {job.id}: {job.status}", file=out)
    print(f"Total: {tokens_in} tokens in, {tokens_out} out, cost {details['total_cost']:.6f}; hold used "
          f"{settlement.get('used', 0):.6f}, released {settlement.get('released', 0):.6f}", file=out)
    quality = outcome.get("quality") or {}
    if quality.get("weighted_total") is not None:
        print(f"Quality: weighted total {quality['weighted_total']}", file=out)
    for reason in outcome.get("reasons", []):
        print(f"  - {reason}", file=out)
    if args.output:
        _write_atomically(args.output, artifacts_markdown(job))
        print(f"Artifacts written to {args.output}", file=out)
    if job.status == "Blocked":
        print(f"The run is blocked. Options (POST /api/jobs/{job.id}/decision):", file=out)
        for option in DECISIONS:
            print(f"  {option:<20} {DECISION_HELP[option]}", file=out)
        return EXIT_BLOCKED
    if job.status == "Succeeded":
        return EXIT_PLANNED
    return EXIT_BUDGET if outcome.get("refused") else EXIT_FAILED
