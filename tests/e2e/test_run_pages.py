"""A run in the browser: plan it, start it, watch its stages complete live, read its artifacts."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from models_selection.runs.execution import run_execute
from models_selection.runs.lifecycle import run_start
from tests.runs.conftest import configure_run_world

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fake_provider_is_local(settings):
    settings.AURA_ALLOW_PRIVATE_PROVIDER_URLS = True  # the fake provider listens on 127.0.0.1


def test_a_run_is_planned_started_and_finished_from_the_pages(page, live_server, owner, sign_in, fake_provider):
    configure_run_world(fake_provider)
    sign_in("owner", "owner-pass-123")
    page.goto(f"{live_server.url}/models/")
    page.get_by_label("Brief").fill("How rainbows form, for curious children")
    page.get_by_role("button", name="Plan run").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Planned")
    expect(page.get_by_role("heading", name="Effective preferences")).to_be_visible()
    screenshot(page, "run-planned")

    page.get_by_role("button", name="Start run").click()

    stages = page.locator("#run-stages")
    expect(stages.locator("#run-status")).to_have_text("Succeeded", timeout=30000)
    for stage in ("script", "visual", "narration", "refinement", "quality"):
        expect(stages.locator(f'tr[data-stage="{stage}"]')).to_contain_text("Succeeded")
    expect(stages).to_contain_text("Anthropic fake-claude")
    expect(stages.get_by_role("link", name="Download Markdown")).to_be_visible()
    expect(stages).to_contain_text("A bright classroom with a globe.")
    screenshot(page, "run-finished")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Runs").click()
    expect(page.get_by_role("table")).to_contain_text("Succeeded")
    screenshot(page, "runs-list")


def test_the_run_page_updates_live_while_the_stages_land(page, live_server, owner, owner_api, sign_in,
                                                         fake_provider):
    configure_run_world(fake_provider)
    job_id = owner_api.post("/api/jobs", {"brief": "Why bread rises"}).json()["jobId"]
    run_start(job_id=job_id, enqueue=False)  # queued: a worker has not picked it up yet
    sign_in("owner", "owner-pass-123")
    page.goto(f"{live_server.url}/models/jobs/{job_id}/")
    stages = page.locator("#run-stages")
    expect(stages).to_contain_text("Waiting for a worker")
    expect(stages).to_have_attribute("hx-trigger", "every 1s")
    screenshot(page, "run-queued")

    run_execute(job_id=job_id)  # the worker's work, while the page stays open

    expect(stages.locator("#run-status")).to_have_text("Succeeded", timeout=15000)
    expect(stages.locator('tr[data-stage="refinement"]')).to_contain_text("Ollama fake-llama")
    expect(page.locator("#run-stages")).not_to_have_attribute("hx-trigger", "every 1s")  # polling stopped
    screenshot(page, "run-live-finished")
