"""Run pages: start from the page, the live stages partial (polling stops at the end), recent runs, Markdown."""

from __future__ import annotations

import pytest
from django.test import Client

from models_selection.runs.models import Job

pytestmark = pytest.mark.django_db
BRIEF = "Tides and the moon"


@pytest.fixture
def browser(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


def test_start_run_from_the_page_executes_it_and_the_page_shows_every_stage(
    run_world, owner_api, browser, django_capture_on_commit_callbacks
):
    job_id = owner_api.post("/api/jobs", {"brief": BRIEF}).json()["jobId"]
    page = browser.get(f"/models/jobs/{job_id}/").content.decode()
    assert 'id="start-run"' in page and "Effective preferences" in page and 'hx-trigger="every 1s"' not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(f"/models/jobs/{job_id}/start/")
    assert response.status_code == 302

    partial = browser.get(f"/models/jobs/{job_id}/stages/").content.decode()
    assert "Succeeded" in partial and "fake-claude" in partial and "Download Markdown" in partial
    assert "hx-trigger" not in partial  # a finished run is not polled any more
    assert "<html" not in partial


def test_a_running_run_keeps_polling(run_world, owner_api, browser):
    job_id = owner_api.post("/api/jobs", {"brief": BRIEF}).json()["jobId"]
    Job.objects.filter(pk=job_id).update(status="Running")

    partial = browser.get(f"/models/jobs/{job_id}/stages/").content.decode()

    assert 'hx-trigger="every 1s"' in partial and f"/models/jobs/{job_id}/stages/" in partial


def test_the_markdown_download_and_the_recent_runs_list(run_world, owner_api, browser,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = owner_api.post("/api/jobs", {"brief": BRIEF, "start": True}).json()["jobId"]

    download = browser.get(f"/models/jobs/{job_id}/artifacts.md")
    assert download["Content-Type"].startswith("text/markdown")
    assert download.content.decode().startswith(f"# Run {job_id}")
    runs = browser.get("/models/runs/").content.decode()
    assert job_id in runs and "Succeeded" in runs
    assert job_id not in browser.get("/models/runs/?status=Failed").content.decode()


def test_the_recent_runs_page_runs_a_constant_number_of_queries(run_world, owner_api, browser,
                                                                  django_assert_max_num_queries):
    for _ in range(3):
        owner_api.post("/api/jobs", {"brief": BRIEF})
    with django_assert_max_num_queries(8):
        browser.get("/models/runs/")
    for _ in range(12):
        owner_api.post("/api/jobs", {"brief": BRIEF})
    with django_assert_max_num_queries(8):
        browser.get("/models/runs/")


def test_pages_need_the_right_permissions(run_world, owner_api, outsider, viewer):
    job_id = owner_api.post("/api/jobs", {"brief": BRIEF}).json()["jobId"]
    anonymous = Client()
    assert anonymous.get("/models/runs/").status_code == 302
    viewer_client = Client()
    viewer_client.force_login(viewer)
    assert viewer_client.get(f"/models/jobs/{job_id}/stages/").status_code == 200
    assert viewer_client.post(f"/models/jobs/{job_id}/start/").status_code == 403
    outsider_client = Client()
    outsider_client.force_login(outsider)
    assert outsider_client.get("/models/runs/").status_code == 403
    assert Job.objects.get(pk=job_id).status == "Planned"


def test_the_api_start_artifacts_and_list_need_the_right_permissions(run_world, owner_api, viewer_api, anon_api):
    job_id = owner_api.post("/api/jobs", {"brief": BRIEF}).json()["jobId"]

    assert viewer_api.post(f"/api/jobs/{job_id}/start").status_code == 403
    assert anon_api.post(f"/api/jobs/{job_id}/start").status_code == 401
    assert viewer_api.get(f"/api/jobs/{job_id}/artifacts").status_code == 200
    listing = viewer_api.get("/api/jobs", {"limit": 1}).json()
    assert listing["count"] == 1 and listing["items"][0]["jobId"] == job_id
    assert owner_api.get("/api/jobs", {"limit": 1001}).status_code == 422
    assert owner_api.post("/api/jobs/job-nope/start").status_code == 404


def test_admins_see_each_stage_request_in_admin_without_keys(run_world, owner_api, browser,
                                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = owner_api.post("/api/jobs", {"brief": BRIEF, "start": True}).json()["jobId"]

    page = browser.get(f"/admin/runs/job/{job_id}/change/").content.decode()

    assert "Answer with the script only." in page and "fake-claude" in page
    assert "sk-good" not in page
