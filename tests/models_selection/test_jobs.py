"""Runs: POST /api/jobs plans or blocks, decisions, and the seams to the other apps."""

from __future__ import annotations

import pytest

from models_selection.models import ResolutionAudit
from models_selection.runs.models import Job, JobDecision

pytestmark = pytest.mark.django_db

GUIDE_BODY = {
    "brief": "...",
    "modelOverrides": {
        "script": {"provider": "OpenAI", "modelId": "gpt-4", "pin": True},
        "visual": {"provider": "Anthropic", "modelId": "claude-3-opus", "pin": False},
    },
}


def test_the_guide_override_body_blocks_when_nothing_catches_the_retired_unpinned_model(world, owner_api):
    response = owner_api.post("/api/jobs", GUIDE_BODY)

    assert response.status_code == 409
    body = response.json()
    assert [s["stage"] for s in body["blockedStages"]] == ["visual", "narration", "refinement"]
    assert [o["option"] for o in body["options"]] == [
        "apply-recommended",
        "retry",
        "use-global-defaults",
        "cancel",
    ]
    script = body["resolutions"][0]
    assert (script["source"], script["modelId"], script["isPinned"]) == ("RunOverridePinned", "gpt-4", True)
    assert "deprecated" in script["reasoning"]
    visual = body["blockedStages"][0]
    assert visual["alternatives"][0] == {"provider": "Anthropic", "modelId": "claude-haiku-4-5"}
    job = Job.objects.get(pk=body["jobId"])
    assert job.status == "Blocked"
    assert ResolutionAudit.objects.filter(job_id=job.id).count() == 4


def test_the_guide_override_body_plans_with_a_global_default(world, owner_api):
    owner_api.post("/api/models/selection", {"provider": "OpenAI", "modelId": "gpt-4o", "scope": "Global"})

    response = owner_api.post("/api/jobs", {**GUIDE_BODY, "projectId": "launch"})

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "Planned"
    assert [r["source"] for r in body["resolutions"]] == [
        "RunOverridePinned",
        "GlobalDefault",
        "GlobalDefault",
        "GlobalDefault",
    ]
    assert owner_api.get(f"/api/jobs/{body['jobId']}").json()["resolutions"] == body["resolutions"]


def test_automatic_fallback_for_the_run_plans_a_blocked_run(world, owner_api):
    response = owner_api.post("/api/jobs", {**GUIDE_BODY, "allowAutoFallback": True})

    assert response.status_code == 201
    sources = [r["source"] for r in response.json()["resolutions"]]
    assert sources == ["RunOverridePinned", "AutomaticFallback", "AutomaticFallback", "AutomaticFallback"]


def test_apply_recommended_uses_the_alternatives_and_is_audited(world, owner_api):
    job_id = owner_api.post("/api/jobs", GUIDE_BODY).json()["jobId"]

    response = owner_api.post(
        f"/api/jobs/{job_id}/decision",
        {
            "decision": "apply-recommended",
            "choices": {"visual": {"provider": "OpenAI", "modelId": "gpt-4o"}},
        },
    )

    assert response.status_code == 200
    resolutions = {r["stage"]: r for r in response.json()["resolutions"]}
    assert (resolutions["visual"]["modelId"], resolutions["visual"]["source"]) == (
        "gpt-4o",
        "RunOverridePinned",
    )
    assert resolutions["narration"]["modelId"] == "gpt-4o-mini"  # nothing preferred: the cheapest
    assert Job.objects.get(pk=job_id).status == "Planned"
    assert JobDecision.objects.get().decision == "apply-recommended"
    assert ResolutionAudit.objects.filter(job_id=job_id).count() == 8


def test_apply_recommended_refuses_a_model_that_was_not_recommended(world, owner_api):
    job_id = owner_api.post("/api/jobs", GUIDE_BODY).json()["jobId"]

    response = owner_api.post(
        f"/api/jobs/{job_id}/decision",
        {
            "decision": "apply-recommended",
            "choices": {"visual": {"provider": "Gemini", "modelId": "gemini-2.5-flash"}},
        },
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "choices.visual"


def test_retry_stays_blocked_until_the_cause_is_fixed(world, owner_api):
    job_id = owner_api.post("/api/jobs", GUIDE_BODY).json()["jobId"]

    still = owner_api.post(f"/api/jobs/{job_id}/decision", {"decision": "retry"})
    owner_api.put("/api/models/settings", {"allowAutomaticFallback": True})
    fixed = owner_api.post(f"/api/jobs/{job_id}/decision", {"decision": "retry"})

    assert still.status_code == 409
    assert fixed.status_code == 200
    assert fixed.json()["status"] == "Planned"


def test_use_global_defaults_resolves_blocked_stages_from_the_global_default(world, owner_api):
    owner_api.post(
        "/api/models/selection",
        {"provider": "OpenAI", "stage": "visual", "modelId": "gpt-4o", "scope": "Stage"},
    )
    body = {
        "brief": "x",
        "modelOverrides": {"script": {"provider": "OpenAI", "modelId": "gpt-9", "pin": True}},
    }
    job = owner_api.post("/api/jobs", body).json()
    owner_api.post(
        "/api/models/selection", {"provider": "Anthropic", "modelId": "claude-opus-4-5", "scope": "Global"}
    )

    response = owner_api.post(f"/api/jobs/{job['jobId']}/decision", {"decision": "use-global-defaults"})

    resolutions = {r["stage"]: r for r in response.json()["resolutions"]}
    assert (resolutions["script"]["source"], resolutions["script"]["modelId"]) == (
        "GlobalDefault",
        "claude-opus-4-5",
    )
    assert resolutions["visual"]["source"] == "Stage"
    assert "use-global-defaults" in resolutions["script"]["reasoning"]


def test_cancel_ends_the_run_and_later_decisions_conflict(world, owner_api):
    job_id = owner_api.post("/api/jobs", GUIDE_BODY).json()["jobId"]

    cancelled = owner_api.post(f"/api/jobs/{job_id}/decision", {"decision": "cancel"})
    again = owner_api.post(f"/api/jobs/{job_id}/decision", {"decision": "retry"})

    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "Cancelled"
    assert again.status_code == 409


def test_an_unknown_job_is_404_and_a_bad_decision_422(world, owner_api):
    assert owner_api.get("/api/jobs/job-nope").status_code == 404
    job_id = owner_api.post("/api/jobs", GUIDE_BODY).json()["jobId"]
    assert owner_api.post(f"/api/jobs/{job_id}/decision", {"decision": "shrug"}).status_code == 422


def test_a_bad_override_stage_is_422_and_writes_nothing(world, owner_api):
    response = owner_api.post(
        "/api/jobs", {"brief": "x", "modelOverrides": {"editing": {"modelId": "gpt-4o"}}}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "modelOverrides.editing"
    assert not Job.objects.exists()
    assert not ResolutionAudit.objects.exists()


# --- The run meets the preferences and costs apps -----------------------------------------------------


def _activate_policy(owner_api, **fields) -> None:
    policy = owner_api.post("/api/user-preferences/filtering-policies",
                            {"name": "Run policy", "profanityFilter": "Off", **fields}).json()
    owner_api.post(f"/api/user-preferences/filtering-policies/{policy['id']}/select")


def test_a_brief_that_breaks_the_active_policy_is_refused(world, owner_api):
    _activate_policy(owner_api, customBannedWords=["forbidden"])

    response = owner_api.post("/api/jobs", {**GUIDE_BODY, "brief": "a forbidden topic"})

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "brief", "message": "bannedWord: forbidden"}]
    assert not Job.objects.exists()


def test_a_brief_within_the_active_policy_is_planned(world, owner_api):
    _activate_policy(owner_api, customBannedWords=["forbidden"])
    owner_api.post("/api/models/selection", {"provider": "OpenAI", "modelId": "gpt-4o", "scope": "Global"})

    assert owner_api.post("/api/jobs", {**GUIDE_BODY, "brief": "tides"}).status_code == 201


def test_a_planned_run_holds_its_worst_case_cost(world, owner_api):
    from costs.models import Hold

    owner_api.put("/api/cost-tracking/configuration", {"enableProjectTracking": True})
    owner_api.post("/api/models/selection", {"provider": "OpenAI", "modelId": "gpt-4o", "scope": "Global"})

    job_id = owner_api.post("/api/jobs", {**GUIDE_BODY, "projectId": "p9"}).json()["jobId"]

    hold = Hold.objects.get(job_id=job_id)
    assert hold.project_id == "p9" and hold.amount > 0
    assert set(hold.provider_remaining) == {"OpenAI"}
    period = owner_api.get("/api/cost-tracking/current-period").json()
    assert period["held"] == float(hold.amount)


def test_a_blocked_run_places_no_cost_hold(world, owner_api):
    from costs.models import Hold

    owner_api.post("/api/jobs", GUIDE_BODY)

    assert not Hold.objects.exists()


def test_a_run_that_does_not_fit_a_hard_budget_is_refused(world, owner_api):
    owner_api.put("/api/cost-tracking/configuration", {"overallMonthlyBudget": 0.01, "hardBudgetLimit": True})
    owner_api.post("/api/models/selection", {"provider": "OpenAI", "modelId": "gpt-4o", "scope": "Global"})

    response = owner_api.post("/api/jobs", GUIDE_BODY)

    assert response.status_code == 402
    assert response.json()["budget"] == 0.01
    assert not Job.objects.exists()


def test_cancelling_a_planned_run_releases_its_hold(world, owner_api):
    from costs.models import Hold

    owner_api.post("/api/models/selection", {"provider": "OpenAI", "modelId": "gpt-4o", "scope": "Global"})
    job_id = owner_api.post("/api/jobs", GUIDE_BODY).json()["jobId"]

    owner_api.post(f"/api/jobs/{job_id}/decision", {"decision": "cancel"})

    hold = Hold.objects.get(job_id=job_id)
    assert hold.released_at is not None and hold.remaining == 0
    assert owner_api.get("/api/cost-tracking/current-period").json()["held"] == 0


def test_pinned_stage_models_for_the_costs_app(world):
    from models_selection.selectors import pinned_stage_models

    from .factories import SelectionFactory

    SelectionFactory(scope="Stage", stage="script", provider="OpenAI", model_id="gpt-4o", is_pinned=True)
    SelectionFactory(
        scope="Stage", stage="visual", provider="OpenAI", model_id="gpt-4o-mini", is_pinned=False
    )

    assert pinned_stage_models() == {"script": ("OpenAI", "gpt-4o")}
