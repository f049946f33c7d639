"""Executed runs against the fake provider: exact models, preferences in the requests, the ledger, review."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from costs.models import BudgetTotal, CostOperation, Hold
from models_selection.models import CatalogModel, ResolutionAudit
from models_selection.runs.execution import run_execute
from models_selection.runs.metering import call_cost
from models_selection.runs.models import Job, StageRun
from preferences.kinds import KINDS_BY_KEY
from preferences.services import preference_create, preference_select

from .conftest import PRICES, STAGE_MODELS

pytestmark = pytest.mark.django_db
BRIEF = "How plants grow from seeds, for a school science channel"


def start_run(api, django_capture_on_commit_callbacks, **body):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/jobs", {"brief": BRIEF, "start": True, **body})
    assert response.status_code == 201, response.json()
    return Job.objects.get(pk=response.json()["jobId"])


def test_each_stage_calls_exactly_its_resolved_model(run_world, owner_api, django_capture_on_commit_callbacks):
    job = start_run(owner_api, django_capture_on_commit_callbacks)

    assert job.status == "Succeeded", job.outcome
    calls = [(r["path"], r["body"]["model"]) for r in run_world.completions()]
    assert calls == [
        ("/v1/chat/completions", "fake-gpt"),  # script: OpenAI
        ("/v1/messages", "fake-claude"),  # visual: Anthropic
        ("/v1beta/openai/chat/completions", "fake-gemini"),  # narration: Gemini's OpenAI-compatible endpoint
        ("/v1/chat/completions", "fake-llama"),  # refinement: Ollama's OpenAI-compatible endpoint
        ("/v1/chat/completions", "fake-llama"),  # quality scores: the refinement model
    ]
    stages = owner_api.get(f"/api/jobs/{job.id}").json()["stages"]
    assert [(s["stage"], s["provider"], s["modelId"], s["status"]) for s in stages] == [
        (stage, *STAGE_MODELS[stage], "Succeeded") for stage in ("script", "visual", "narration", "refinement")
    ] + [("quality", "Ollama", "fake-llama", "Succeeded")]


def test_the_ledger_equals_usage_times_the_snapshot_prices_and_the_hold_settles_exactly(
    run_world, owner_api, django_capture_on_commit_callbacks
):
    job = start_run(owner_api, django_capture_on_commit_callbacks)
    # Prices change after planning: the run pays its snapshot.
    from costs.pricing import price_set

    price_set(provider_name="OpenAI", model_id="fake-gpt", data={"cost_per_1k_input_tokens": Decimal("9")})

    operations = list(CostOperation.objects.filter(job_id=job.id).order_by("id"))
    assert [o.idempotency_key for o in operations] == [
        f"{job.id}:script:1", f"{job.id}:visual:1", f"{job.id}:narration:1", f"{job.id}:refinement:1",
        f"{job.id}:quality:1",
    ]
    expected = Decimal("0")
    for op in operations:
        inp, out, _ = (Decimal(p) for p in PRICES[(op.provider, op.model)])
        cost = ((op.input_tokens * inp + op.output_tokens * out) / 1000).quantize(Decimal("0.000001"), ROUND_HALF_UP)
        assert op.cost == cost and op.input_tokens > 0 and op.output_tokens > 0
        expected += cost
    assert sum(o.cost for o in operations) == expected
    hold = Hold.objects.get(job_id=job.id)
    assert hold.released_at is not None and hold.remaining == 0
    assert job.outcome["settlement"]["used"] == float(expected)
    assert job.outcome["settlement"]["released"] == pytest.approx(float(hold.amount - expected), abs=1e-6)
    overall = BudgetTotal.objects.get(scope="overall", key="")
    assert (overall.spent, overall.held) == (expected, 0)
    summary = owner_api.get(f"/api/cost-tracking/run-summary/{job.id}").json()
    assert summary["totalCost"] == pytest.approx(float(expected))


def test_cached_tokens_are_charged_at_the_cached_price(run_world, owner_api, django_capture_on_commit_callbacks):
    job = start_run(owner_api, django_capture_on_commit_callbacks,
                    modelOverrides={"script": {"provider": "OpenAI", "modelId": "fake-gpt-cached"}})

    row = StageRun.objects.get(job=job, stage="script")
    assert row.cached_tokens == row.input_tokens // 2 > 0
    snapshot = job.price_snapshot["OpenAI:fake-gpt-cached"]
    assert row.cost == call_cost(snapshot, input_tokens=row.input_tokens, output_tokens=row.output_tokens,
                                 cached_tokens=row.cached_tokens)
    full = call_cost(snapshot, input_tokens=row.input_tokens, output_tokens=row.output_tokens)
    assert row.cost < full


def test_a_redelivered_task_does_not_count_a_call_twice(run_world, owner_api, django_capture_on_commit_callbacks):
    job = start_run(owner_api, django_capture_on_commit_callbacks)
    total = sum(o.cost for o in CostOperation.objects.filter(job_id=job.id))
    # The worker died after narration's call was recorded, before the run went on: redelivery.
    Job.objects.filter(pk=job.id).update(status="Running")
    StageRun.objects.filter(job=job, stage__in=["narration", "refinement", "quality"]).update(status="Running")
    calls_before = len(run_world.completions())

    run_execute(job_id=job.id)

    assert len(run_world.completions()) == calls_before + 3  # narration, refinement and quality called again
    assert CostOperation.objects.filter(job_id=job.id).count() == 5
    assert sum(o.cost for o in CostOperation.objects.filter(job_id=job.id)) == total
    assert StageRun.objects.get(job=job, stage="narration").input_tokens == CostOperation.objects.get(
        idempotency_key=f"{job.id}:narration:1").input_tokens
    assert Job.objects.get(pk=job.id).status == "Succeeded"


def test_a_finished_run_executed_again_does_nothing(run_world, owner_api, django_capture_on_commit_callbacks):
    job = start_run(owner_api, django_capture_on_commit_callbacks)
    calls = len(run_world.completions())

    run_execute(job_id=job.id)

    assert len(run_world.completions()) == calls


def test_preferences_are_in_the_requests_sent(run_world, owner_api, django_capture_on_commit_callbacks):
    profile = preference_create(kind=KINDS_BY_KEY["audienceProfiles"], data={
        "name": "Curious kids", "min_age": 9, "max_age": 12, "education_level": "Primary school",
        "vocabulary_level": 3, "formality_level": 2, "humor_style": "Moderate", "pacing_preference": "Fast",
        "topics_to_avoid": ["homework"], "topics_to_emphasize": ["experiments"], "cultural_sensitivities": ["diet"],
        "attention_span_seconds": 90, "emotional_tone": "Uplifting"})
    behavior = preference_create(kind=KINDS_BY_KEY["aiBehaviorSettings"], data={
        "name": "Playful script", "stage": "script", "temperature": 1.3, "top_p": 0.85, "max_tokens": 777,
        "frequency_penalty": 0.4, "presence_penalty": -0.2, "system_prompt_addition": "Always mention a teacher."})
    template = preference_create(kind=KINDS_BY_KEY["promptTemplates"], data={
        "name": "Narration A", "stage": "narration", "variant_group": "narration-ab",
        "template_text": "Narrate {{topic}} for {{audience}} in {{duration}}; tone {{tone}}; goal {{goal}}."})
    style = preference_create(kind=KINDS_BY_KEY["visualStyles"], data={
        "name": "Chalkboard", "aesthetic": "chalk drawings", "lighting": "soft", "color_palette": ["#224422"]})
    preference_select(kind=KINDS_BY_KEY["audienceProfiles"], item_id=profile.pk)
    preference_select(kind=KINDS_BY_KEY["visualStyles"], item_id=style.pk)

    job = start_run(owner_api, django_capture_on_commit_callbacks, aiBehaviorIds={"script": str(behavior.pk)},
                    promptTemplateIds={"narration": str(template.pk)})

    script, visual, narration = run_world.completions()[:3]
    system = script["body"]["messages"][0]["content"]
    assert "ages 9 to 12" in system and "Primary school" in system and "Vocabulary level 3/10" in system
    assert "Formality 2/10" in system and "Humor: Moderate" in system and "Pacing: Fast" in system
    assert "Topics to avoid: homework" in system and "experiments" in system and "diet" in system
    assert system.rstrip().endswith("Answer with the script only.") and "Always mention a teacher." in system
    sent = script["body"]
    assert (sent["temperature"], sent["top_p"], sent["max_completion_tokens"]) == (1.3, 0.85, 777)
    assert (sent["frequency_penalty"], sent["presence_penalty"]) == (0.4, -0.2)
    assert narration["body"]["max_tokens"] == 2000 and "max_completion_tokens" not in narration["body"]
    assert "chalk drawings" in visual["body"]["system"] and "#224422" in visual["body"]["system"]
    user = narration["body"]["messages"][1]["content"]
    assert user.startswith(f"Narrate {BRIEF} for Curious kids (ages 9–12, Primary school education) in 90 seconds;")
    assert "{{" not in user and "uplifting" in user
    assert StageRun.objects.get(job=job, stage="narration").request["templateId"] == str(template.pk)
    template.refresh_from_db()
    assert (template.success_count, template.failure_count) == (1, 0)


def test_a_pinned_model_that_became_unavailable_blocks_and_is_never_swapped(
    run_world, owner_api, django_capture_on_commit_callbacks
):
    from models_selection import services

    services.selection_set(scope="Stage", stage="visual", provider="Anthropic", model_id="fake-claude", pin=True)
    job_id = owner_api.post("/api/jobs", {"brief": BRIEF}).json()["jobId"]
    CatalogModel.objects.filter(model_id="fake-claude").update(last_probe_ok=False, last_probe_error="HTTP 404")

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_api.post(f"/api/jobs/{job_id}/start")

    assert response.status_code == 202 and response.json()["status"] == "Queued"
    body = owner_api.get(f"/api/jobs/{job_id}").json()
    assert body["status"] == "Blocked"
    assert [r["body"]["model"] for r in run_world.completions()] == ["fake-gpt"]  # visual never called
    visual = next(r for r in body["resolutions"] if r["stage"] == "visual")
    assert visual["isBlocked"] and visual["modelId"] == "fake-claude" and "never swapped" in visual["reasoning"]
    assert visual["alternatives"]
    assert Hold.objects.get(job_id=job_id).released_at is not None
    # The guide's four options apply: apply the recommended model, then start again.
    recommended = visual["alternatives"][0]
    decided = owner_api.post(f"/api/jobs/{job_id}/decision", {"decision": "apply-recommended"})
    assert decided.status_code == 200, decided.json()
    with django_capture_on_commit_callbacks(execute=True):
        owner_api.post(f"/api/jobs/{job_id}/start")
    assert Job.objects.get(pk=job_id).status == "Succeeded"
    models = [r["body"]["model"] for r in run_world.completions()]
    # The script stage is not called again; visual runs on the model the user applied.
    assert models.count("fake-gpt") == 1 and "fake-claude" not in models and recommended["modelId"] in models


def test_an_unpinned_model_that_became_unavailable_is_re_resolved_and_audited(
    run_world, owner_api, django_capture_on_commit_callbacks
):
    from models_selection import services

    services.selection_set(scope="Global", stage="", provider="Anthropic", model_id="fake-claude-2")
    job_id = owner_api.post("/api/jobs", {"brief": BRIEF}).json()["jobId"]
    CatalogModel.objects.filter(model_id="fake-claude").update(is_retired=True)

    with django_capture_on_commit_callbacks(execute=True):
        owner_api.post(f"/api/jobs/{job_id}/start")

    job = Job.objects.get(pk=job_id)
    assert job.status == "Succeeded"
    visual = next(r for r in job.resolutions if r["stage"] == "visual")
    assert (visual["model_id"], visual["source"]) == ("fake-claude-2", "GlobalDefault")
    assert ResolutionAudit.objects.filter(job_id=job_id, stage="visual").count() == 2
    assert "fake-claude" not in [r["body"]["model"] for r in run_world.completions()]


def test_a_policy_violation_fails_the_stage_with_terms_and_positions(
    run_world, owner_api, django_capture_on_commit_callbacks
):
    policy = preference_create(kind=KINDS_BY_KEY["filteringPolicies"], data={
        "name": "No gambling", "profanity_filter": "Off", "custom_banned_words": ["casino"]})

    job = start_run(owner_api, django_capture_on_commit_callbacks, filteringPolicyId=str(policy.pk),
                    modelOverrides={"narration": {"provider": "OpenAI", "modelId": "fake-gpt-unsafe"}})

    assert job.status == "Failed"
    row = StageRun.objects.get(job=job, stage="narration")
    text = row.output
    violation = row.review["violations"][0]
    assert row.status == "Failed" and violation["term"] == "casino"
    assert text[violation["start"]:violation["end"]] == "casino"
    assert "casino" in row.error and str(violation["start"]) in row.error
    assert not StageRun.objects.filter(job=job, stage="refinement").exists()
    assert Hold.objects.get(job_id=job.id).released_at is not None
    assert CostOperation.objects.filter(job_id=job.id, stage="narration").count() == 1  # the call was paid


def test_a_low_score_ends_needs_review_with_the_reasons(run_world, owner_api, django_capture_on_commit_callbacks):
    template = preference_create(kind=KINDS_BY_KEY["promptTemplates"], data={
        "name": "Refine B", "stage": "refinement", "template_text": "Refine it for {{audience}}."})
    job = start_run(owner_api, django_capture_on_commit_callbacks, promptTemplateIds={"refinement": str(template.pk)},
                    modelOverrides={"refinement": {"provider": "OpenAI", "modelId": "fake-gpt-lowscore"}})

    assert job.status == "NeedsReview"
    quality = owner_api.get(f"/api/jobs/{job.id}").json()["quality"]
    assert quality["status"] == "scored" and quality["scores"]["engagement"] == 3
    reasons = " ".join(job.outcome["reasons"])
    assert "Script quality 4 is below the minimum 7" in reasons and "Engagement 3 is below the minimum 6" in reasons
    template.refresh_from_db()
    assert (template.success_count, template.failure_count) == (0, 1)


def test_a_malformed_judge_answer_is_retried_once_then_unavailable(
    run_world, owner_api, django_capture_on_commit_callbacks
):
    job = start_run(owner_api, django_capture_on_commit_callbacks,
                    modelOverrides={"refinement": {"provider": "OpenAI", "modelId": "fake-gpt-badjudge"}})

    assert job.status == "NeedsReview"
    assert job.outcome["quality"]["status"] == "unavailable"
    assert [o.idempotency_key for o in CostOperation.objects.filter(job_id=job.id, stage="quality")] == [
        f"{job.id}:quality:1", f"{job.id}:quality:2"]
    assert StageRun.objects.get(job=job, stage="quality").attempts == 2
    assert any("unavailable" in r for r in job.outcome["reasons"])


def test_a_call_whose_worst_case_does_not_fit_a_hard_budget_is_refused_before_it_is_sent(
    run_world, owner_api, django_capture_on_commit_callbacks
):
    from costs.configuration import configuration_update

    job_id = owner_api.post("/api/jobs", {"brief": BRIEF, "aiBehaviorIds": {}}).json()["jobId"]
    hold = Hold.objects.get(job_id=job_id)
    # The script stage will ask for far more output than planned; the budget leaves no room for it.
    behavior = preference_create(kind=KINDS_BY_KEY["aiBehaviorSettings"], data={
        "name": "Long script", "stage": "script", "max_tokens": 900000})
    job = Job.objects.get(pk=job_id)
    job.effective_preferences["aiBehavior"]["script"]["values"]["maxTokens"] = behavior.max_tokens
    job.save()
    configuration_update(data={"overall_monthly_budget": hold.amount + Decimal("0.01"), "hard_budget_limit": True})

    with django_capture_on_commit_callbacks(execute=True):
        owner_api.post(f"/api/jobs/{job_id}/start")

    job.refresh_from_db()
    row = StageRun.objects.get(job=job, stage="script")
    assert (job.status, row.status, row.http_status) == ("Failed", "Refused", 402)
    assert run_world.completions() == []  # nothing was sent
    assert job.outcome["refused"] is True
    assert BudgetTotal.objects.get(scope="overall", key="").held == 0


def test_cancelling_stops_before_the_next_call_and_releases_the_hold(run_world, owner_api):
    from models_selection.runs.lifecycle import run_start

    job_id = owner_api.post("/api/jobs", {"brief": BRIEF}).json()["jobId"]
    run_start(job_id=job_id)  # queued; the task has not run yet

    def cancel_after_the_first_stage(row):
        if row.stage == "script":
            owner_api.post(f"/api/jobs/{job_id}/decision", {"decision": "cancel"})

    run_execute(job_id=job_id, on_stage=cancel_after_the_first_stage)

    assert Job.objects.get(pk=job_id).status == "Cancelled"
    assert [r["body"]["model"] for r in run_world.completions()] == ["fake-gpt"]
    assert Hold.objects.get(job_id=job_id).released_at is not None
    assert BudgetTotal.objects.get(scope="overall", key="").held == 0


def test_a_5xx_answer_is_retried_by_the_sdk(run_world, owner_api, django_capture_on_commit_callbacks):
    job = start_run(owner_api, django_capture_on_commit_callbacks,
                    modelOverrides={"script": {"provider": "OpenAI", "modelId": "fake-gpt-flaky"}})

    assert job.status == "Succeeded"
    assert [r["body"]["model"] for r in run_world.completions()][:2] == ["fake-gpt-flaky", "fake-gpt-flaky"]
    assert CostOperation.objects.filter(job_id=job.id, stage="script").count() == 1


def test_a_provider_error_fails_the_stage_with_its_status(run_world, owner_api, django_capture_on_commit_callbacks,
                                                          settings):
    settings.AURA_RUN_MAX_RETRIES = 0
    CatalogModel.objects.create(provider="OpenAI", model_id="busy-model", stages=["script"])
    job = start_run(owner_api, django_capture_on_commit_callbacks,
                    modelOverrides={"script": {"provider": "OpenAI", "modelId": "busy-model"}})

    row = StageRun.objects.get(job=job, stage="script")
    assert (job.status, row.status, row.http_status) == ("Failed", "Failed", 429)
    assert "sk-good" not in row.error and "sk-good" not in str(row.request)


def test_a_run_planned_on_a_pinned_model_blocks_even_if_the_selection_was_unpinned_since(
    run_world, owner_api, django_capture_on_commit_callbacks
):
    from models_selection import services

    services.selection_set(scope="Stage", stage="visual", provider="Anthropic", model_id="fake-claude", pin=True)
    job_id = owner_api.post("/api/jobs", {"brief": BRIEF}).json()["jobId"]
    services.selection_set(scope="Stage", stage="visual", provider="Anthropic", model_id="fake-claude", pin=False)
    services.selection_set(scope="Global", stage="", provider="Anthropic", model_id="fake-claude-2")
    CatalogModel.objects.filter(model_id="fake-claude").update(is_retired=True)

    with django_capture_on_commit_callbacks(execute=True):
        owner_api.post(f"/api/jobs/{job_id}/start")

    job = Job.objects.get(pk=job_id)
    assert job.status == "Blocked"
    models = [r["body"]["model"] for r in run_world.completions()]
    assert models == ["fake-gpt"] and "fake-claude-2" not in models
    visual = next(r for r in job.resolutions if r["stage"] == "visual")
    assert visual["alternatives"][0] == {"provider": "Anthropic", "model_id": "fake-claude-2"}


def test_an_unexpected_error_ends_the_run_failed_and_settles_the_hold(run_world, owner_api):
    from models_selection.runs.lifecycle import run_start

    job_id = owner_api.post("/api/jobs", {"brief": BRIEF}).json()["jobId"]
    run_start(job_id=job_id, enqueue=False)
    Job.objects.filter(pk=job_id).update(effective_preferences={"broken": True})  # no preferences to build from

    job = run_execute(job_id=job_id)

    assert job.status == "Failed" and "internal error (KeyError)" in job.outcome["reasons"][0]
    assert Hold.objects.get(job_id=job_id).released_at is not None


def test_a_stage_on_a_private_address_is_refused_before_any_request_unless_allowed(
    run_world, owner_api, django_capture_on_commit_callbacks, settings
):
    settings.AURA_ALLOW_PRIVATE_PROVIDER_URLS = False  # the fake provider is on 127.0.0.1

    job = start_run(owner_api, django_capture_on_commit_callbacks)

    assert job.status == "Failed", job.outcome
    script = StageRun.objects.get(job=job, stage="script")
    assert script.status == "Failed"
    assert "private" in script.error and "AURA_ALLOW_PRIVATE_PROVIDER_URLS" in script.error
    assert run_world.completions() == []  # nothing was sent, the stored key least of all
    assert not CostOperation.objects.filter(job_id=job.id).exists()
