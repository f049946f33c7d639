"""The runs API: start, artifacts, the runs list; contract details (codes, bounds, constant queries)."""

from __future__ import annotations

import pytest

from models_selection.runs.models import Job

pytestmark = pytest.mark.django_db
BRIEF = "What makes a volcano erupt"


def test_artifacts_hold_the_script_visual_prompts_per_scene_narration_and_markdown(
    run_world, owner_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = owner_api.post("/api/jobs", {"brief": BRIEF, "start": True}).json()["jobId"]

    body = owner_api.get(f"/api/jobs/{job_id}/artifacts").json()

    assert body["status"] == "Succeeded"
    assert body["script"].startswith("This is a short script from fake-gpt.")
    assert body["refinedScript"].startswith("This is a short script from fake-llama.")
    assert body["visualPrompts"] == [
        {"scene": 1, "prompt": "A bright classroom with a globe."},
        {"scene": 2, "prompt": "A close view of a seed that grows."},
        {"scene": 3, "prompt": "Kids smile at a tall green plant."},
    ]
    assert body["narration"].startswith("This is a short script from fake-gemini.")
    assert body["markdown"].startswith(f"# Run {job_id}") and "| visual | Succeeded | Anthropic |" in body["markdown"]


def test_the_run_shows_the_stage_requests_to_admins_without_keys(run_world, owner_api,
                                                                django_capture_on_commit_callbacks):
    from models_selection.runs.models import StageRun

    with django_capture_on_commit_callbacks(execute=True):
        job_id = owner_api.post("/api/jobs", {"brief": BRIEF, "start": True}).json()["jobId"]

    request = StageRun.objects.get(job_id=job_id, stage="script").request
    assert request["model"] == "fake-gpt" and request["messages"][1]["content"].endswith(f"Brief: {BRIEF}")
    assert "sk-good" not in str(request)
    assert "sk-good" not in owner_api.get(f"/api/jobs/{job_id}").content.decode()


def test_start_true_on_a_blocked_plan_answers_409_and_starts_nothing(run_world, owner_api):
    response = owner_api.post("/api/jobs", {"brief": BRIEF, "start": True, "modelOverrides": {
        "script": {"provider": "OpenAI", "modelId": "gone-model", "pin": True}}})

    assert response.status_code == 409 and response.json()["status"] == "Blocked"
    assert run_world.completions() == []


def test_a_run_is_started_once(run_world, owner_api, django_capture_on_commit_callbacks):
    job_id = owner_api.post("/api/jobs", {"brief": BRIEF}).json()["jobId"]
    with django_capture_on_commit_callbacks(execute=True):
        assert owner_api.post(f"/api/jobs/{job_id}/start").status_code == 202

    again = owner_api.post(f"/api/jobs/{job_id}/start")

    assert again.status_code == 409 and "Succeeded" in again.json()["detail"]
    assert len(run_world.completions()) == 5
    cancel = owner_api.post(f"/api/jobs/{job_id}/decision", {"decision": "cancel"})
    assert cancel.status_code == 409 and Job.objects.get(pk=job_id).status == "Succeeded"


def test_the_runs_list_is_paged_and_runs_constant_queries(run_world, owner_api, django_assert_max_num_queries):
    for _ in range(3):
        owner_api.post("/api/jobs", {"brief": BRIEF})
    with django_assert_max_num_queries(6):
        first = owner_api.get("/api/jobs", {"limit": 2}).json()
    for _ in range(10):
        owner_api.post("/api/jobs", {"brief": BRIEF})
    with django_assert_max_num_queries(6):
        page = owner_api.get("/api/jobs", {"limit": 100, "offset": 1}).json()

    assert first["count"] == 3 and len(first["items"]) == 2
    assert page["count"] == 13 and len(page["items"]) == 12
    assert owner_api.get("/api/jobs", {"offset": -1}).status_code == 422


@pytest.mark.parametrize("body", [{"start": [1]}, {"aiBehaviorIds": {f"s{i}": "x" for i in range(5)}},
                                  {"visualStyleId": None, "start": None}])
def test_bad_bodies_are_422_never_500(run_world, owner_api, body):
    response = owner_api.post("/api/jobs", {"brief": BRIEF, **body})

    assert response.status_code == 422
    assert not Job.objects.exists()
