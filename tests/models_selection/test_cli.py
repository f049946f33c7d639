"""`aura generate`, every form of the guide, in-process against the test database."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from aura_site.cli import main
from models_selection.models import ResolutionAudit
from models_selection.runs.models import Job

from .factories import SelectionFactory

pytestmark = pytest.mark.django_db


def run(*argv: str) -> tuple[int, str, str]:
    """Plan only: these tests are about planning (execution is tested in tests/runs)."""
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--plan-only"] if argv[:1] == ("generate",) else list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def plan_rows(output: str) -> dict[str, list[str]]:
    """The table's rows by stage: [provider, model, source, pinned, status]."""
    rows = {}
    for line in output.splitlines():
        cells = line.split()
        if cells and cells[0] in {"script", "visual", "narration", "refinement"} and len(cells) == 6:
            rows[cells[0]] = cells[1:]
    return rows


@pytest.fixture
def global_default(world):
    SelectionFactory(scope="Global", stage="", provider="OpenAI", model_id="gpt-4o-mini")


def test_single_stage_override(global_default):
    code, out, _ = run("generate", "--brief", "...", "--model-override", "script=gpt-4")

    rows = plan_rows(out)
    assert code == 0
    assert rows["script"] == ["OpenAI", "gpt-4", "RunOverride", "no", "ok"]
    assert rows["visual"] == ["OpenAI", "gpt-4o-mini", "GlobalDefault", "no", "ok"]
    assert "STAGE" in out and "PINNED" in out


def test_multiple_stage_overrides(global_default):
    code, out, _ = run(
        "generate", "--brief", "...", "--model-override", "script=gpt-4", "--model-override", "visual=gpt-4o"
    )

    rows = plan_rows(out)
    assert code == 0
    assert (rows["script"][1], rows["visual"][1], rows["visual"][2]) == ("gpt-4", "gpt-4o", "RunOverride")


def test_pinned_stage_override(global_default):
    code, out, _ = run(
        "generate", "--brief", "...", "--model-override", "script=gpt-4", "--pin-model", "script"
    )

    assert code == 0
    assert plan_rows(out)["script"] == ["OpenAI", "gpt-4", "RunOverridePinned", "yes", "ok"]


def test_a_pinned_unavailable_override_blocks_with_exit_3_and_the_options(global_default):
    code, out, _ = run(
        "generate",
        "--brief",
        "...",
        "--model-override",
        "script=claude-3-opus",
        "--pin-model",
        "script",
        "--allow-auto-fallback",
    )

    assert code == 3
    assert plan_rows(out)["script"] == ["Anthropic", "claude-3-opus", "RunOverridePinned", "yes", "BLOCKED"]
    for option in ("apply-recommended", "retry", "use-global-defaults", "cancel"):
        assert option in out
    assert "recommended alternatives: Anthropic:claude-haiku-4-5" in out
    assert Job.objects.get().status == "Blocked"


def test_one_time_model_for_every_stage(world):
    code, out, _ = run("generate", "--model", "gpt-4o", "--brief", "...")

    assert code == 0
    assert {tuple(r[:3]) for r in plan_rows(out).values()} == {("OpenAI", "gpt-4o", "RunOverride")}


def test_pinned_model_for_every_stage(world):
    code, out, _ = run("generate", "--model", "gpt-4o", "--pin-model", "--brief", "...")

    assert code == 0
    assert {tuple(r[2:4]) for r in plan_rows(out).values()} == {("RunOverridePinned", "yes")}


def test_pinned_model_that_is_unavailable_blocks_every_stage(world):
    code, out, _ = run("generate", "--model", "gemini-2.5-flash", "--pin-model", "--brief", "...")

    assert code == 3
    assert {r[4] for r in plan_rows(out).values()} == {"BLOCKED"}


def test_per_stage_models(global_default):
    code, out, _ = run(
        "generate", "--script-model", "gpt-4o", "--visual-model", "claude-3-opus", "--brief", "..."
    )

    rows = plan_rows(out)
    assert code == 0
    assert rows["script"][:3] == ["OpenAI", "gpt-4o", "RunOverride"]
    # claude-3-opus is retired and unpinned: it falls through, it is never swapped for its successor.
    assert rows["visual"][:3] == ["OpenAI", "gpt-4o-mini", "GlobalDefault"]


def test_allow_auto_fallback(world):
    blocked, _, _ = run("generate", "--brief", "...")
    code, out, _ = run("generate", "--allow-auto-fallback", "--brief", "...")

    assert blocked == 3
    assert code == 0
    assert {r[2] for r in plan_rows(out).values()} == {"AutomaticFallback"}


def test_project_overrides_apply(world):
    SelectionFactory(
        scope="Project", stage="", project_id="launch", provider="Anthropic", model_id="claude-opus-4-5"
    )

    code, out, _ = run("generate", "--brief", "...", "--project", "launch")

    assert code == 0
    assert {tuple(r[:3]) for r in plan_rows(out).values()} == {
        ("Anthropic", "claude-opus-4-5", "ProjectOverride")
    }


def test_provider_prefix_names_the_provider(world):
    code, out, _ = run("generate", "--brief", "...", "--model", "openai:gpt-4o-latest")

    assert code == 0
    assert plan_rows(out)["script"][:2] == ["OpenAI", "gpt-4o"]


def test_the_plan_is_audited_with_the_job_id(world):
    run("generate", "--model", "gpt-4o", "--brief", "...")

    job = Job.objects.get()
    assert ResolutionAudit.objects.filter(job_id=job.id).count() == 4


@pytest.mark.parametrize(
    "argv",
    [
        ["generate"],
        ["generate", "--brief", "x", "--model-override", "editing=gpt-4o"],
        ["generate", "--brief", "x", "--model-override", "script"],
        ["generate", "--brief", "x", "--pin-model", "script"],
        ["generate", "--brief", "x", "--pin-model"],
        ["generate", "--brief", "x", "--model-override", "script=Nobody:gpt-4o", "--unknown-flag"],
        ["generate", "--brief", "   "],
        ["explode"],
    ],
)
def test_bad_arguments_exit_2(world, argv):
    code, out, err = run(*argv)

    assert code == 2
    assert err.strip()
    assert not Job.objects.exists()


def test_the_module_runs_as_a_script():
    result = subprocess.run(
        [sys.executable, "-m", "aura_site.cli", "generate"], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 2
    assert "--brief" in result.stderr


def test_the_console_script_sets_up_django_and_plans_against_its_database(tmp_path):
    import os

    from django.conf import settings

    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(AURA_DATA_DIR=str(tmp_path), SECRET_KEY="cli-test-secret-key-0123456789abcdef")
    root = settings.BASE_DIR
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=root, env=env, check=True, timeout=120
    )

    result = subprocess.run(
        [sys.executable, "-m", "aura_site.cli", "generate", "--brief", "x", "--model", "gpt-4o"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    # A fresh install has no provider keys: the run override is unavailable and nothing else is set.
    assert result.returncode == 3, result.stderr
    assert "no API key" in result.stdout
