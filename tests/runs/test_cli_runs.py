"""`aura generate` executes the run after planning: stages as they finish, totals, artifacts, exit codes."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from aura_site.cli import main
from models_selection.runs.models import Job
from preferences.kinds import KINDS_BY_KEY
from preferences.services import preference_create

pytestmark = pytest.mark.django_db
BRIEF = "How bees make honey"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_generate_executes_every_stage_and_writes_the_markdown(run_world, tmp_path):
    target = tmp_path / "run.md"

    code, out, err = run("generate", "--brief", BRIEF, "--output", str(target))

    assert code == 0, out + err
    job = Job.objects.get()
    assert job.status == "Succeeded"
    for stage, model in (("script", "OpenAI:fake-gpt"), ("visual", "Anthropic:fake-claude"),
                         ("narration", "Gemini:fake-gemini"), ("refinement", "Ollama:fake-llama")):
        line = next(line for line in out.splitlines() if line.startswith(f"{stage} ") and "Succeeded" in line)
        assert model in line and "tokens" in line
    assert f"Job {job.id}: Succeeded" in out and "Total:" in out
    markdown = target.read_text()
    assert markdown.startswith(f"# Run {job.id}") and "## Visual prompts" in markdown
    assert "1. A bright classroom with a globe." in markdown
    assert len(run_world.completions()) == 5


def test_plan_only_keeps_the_plan_and_calls_nothing(run_world):
    code, out, _ = run("generate", "--brief", BRIEF, "--plan-only")

    assert code == 0 and Job.objects.get().status == "Planned"
    assert run_world.completions() == []


def test_a_failed_stage_exits_4(run_world):
    policy = preference_create(kind=KINDS_BY_KEY["filteringPolicies"],
                               data={"name": "No casinos", "custom_banned_words": ["casino"]})

    code, out, _ = run("generate", "--brief", BRIEF, "--filtering-policy", str(policy.pk),
                       "--script-model", "OpenAI:fake-gpt-unsafe")

    assert code == 4 and Job.objects.get().status == "Failed"
    assert "casino" in out


def test_needs_review_exits_4(run_world):
    code, out, _ = run("generate", "--brief", BRIEF, "--refinement-model", "OpenAI:fake-gpt-lowscore")

    assert code == 4 and "NeedsReview" in out and "below the minimum" in out


def test_a_blocked_run_exits_3_with_the_options(run_world):
    code, out, _ = run("generate", "--brief", BRIEF, "--model-override", "visual=Anthropic:missing", "--pin-model",
                       "visual")

    assert code == 3 and "use-global-defaults" in out
    assert run_world.completions() == []


def test_a_run_the_hard_budget_refuses_exits_5(run_world):
    from costs.configuration import configuration_update

    configuration_update(data={"overall_monthly_budget": Decimal("0.000001"), "hard_budget_limit": True})

    code, _, err = run("generate", "--brief", BRIEF)

    assert code == 5 and "Hard budget limit" in err
    assert run_world.completions() == []


@pytest.mark.parametrize("argv", [["--audience-profile", "nope"], ["--ai-behavior", "intro=0f0e"],
                                  ["--prompt-template", "script"]])
def test_bad_preference_flags_exit_2(run_world, argv):
    code, _, err = run("generate", "--brief", BRIEF, *argv)

    assert code == 2 and err.strip()
    assert not Job.objects.exists()


def test_a_per_run_profile_flag_is_frozen_on_the_run(run_world):
    profile = preference_create(kind=KINDS_BY_KEY["audienceProfiles"], data={"name": "Beekeepers"})

    code, _, _ = run("generate", "--brief", BRIEF, "--audience-profile", str(profile.pk), "--plan-only")

    assert code == 0
    assert Job.objects.get().effective_preferences["audienceProfile"]["id"] == str(profile.pk)
