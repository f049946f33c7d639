"""Models and costs in the browser: pick, pin and test a stage model; take each option of a blocked
run; watch a hard budget fill up and export the run's costs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from models_selection import connections as model_connections
from models_selection import services as model_services
from models_selection.runs.models import Job
from tests.conftest import ApiClient, _token_for
from tests.fake_provider import GOOD_KEY

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_stage_model_is_set_pinned_and_tested_against_the_provider(page, live_server, owner, sign_in,
                                                                     fake_provider):
    model_connections.provider_update(name="OpenAI", base_url=fake_provider.base_url("openai"), api_key=GOOD_KEY)
    sign_in("owner", "owner-pass-123")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Models").click()
    row = page.locator("#stage-script")
    row.get_by_label("Model for Script Generation").select_option("OpenAI:gpt-4o")
    row.get_by_label("Pin").check()
    row.get_by_role("button", name="Save Script Generation").click()
    expect(page.locator("#stage-script")).to_contain_text("Pinned")
    page.locator("#stage-script").get_by_role("button", name="Test Script Generation").click()
    expect(page.locator("#probe-script")).to_contain_text("Available", timeout=15000)
    page.locator("#stage-script").get_by_role("button", name="Explain Script Generation").click()
    expect(page.locator("#explain-script")).to_contain_text("Verdict")
    screenshot(page, "models")


def test_choosing_a_deprecated_model_asks_to_use_it_anyway(page, live_server, owner, sign_in):
    sign_in("owner", "owner-pass-123")
    page.goto(f"{live_server.url}/models/")
    page.get_by_label("Model for Visual Prompts").select_option("OpenAI:gpt-4")
    page.get_by_role("button", name="Save Visual Prompts").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Deprecated")
    expect(dialog).to_contain_text("gpt-4.1")
    screenshot(page, "models-deprecated-dialog")
    dialog.get_by_role("button", name="Use anyway").click()
    expect(page.locator("#stage-visual")).to_contain_text("gpt-4")
    expect(page.locator("#stage-visual")).to_contain_text("Deprecated")


@pytest.mark.parametrize(("option", "button", "status"), [
    ("apply-recommended", "Apply recommended model", "Planned"),
    ("retry", "Retry with original later", "Blocked"),
    ("use-global-defaults", "Continue with global defaults", "Planned"),
    ("cancel", "Cancel the run", "Cancelled"),
])
def test_a_blocked_run_offers_the_four_options(page, live_server, owner, sign_in, option, button, status):
    model_connections.provider_update(name="OpenAI", api_key="sk-test")
    model_services.selection_set(scope="Global", stage="", provider="OpenAI", model_id="gpt-4o-mini")
    sign_in("owner", "owner-pass-123")
    page.goto(f"{live_server.url}/models/")
    page.get_by_label("Brief").fill("A video about tides")
    page.get_by_label("Run override for Script Generation (provider:model)").fill("Anthropic:claude-3-opus")
    page.locator("input[name=pin-script]").check()
    page.get_by_role("button", name="Plan run").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("this run is blocked")
    if option == "apply-recommended":
        screenshot(page, "models-blocked-run")
    dialog.get_by_role("button", name=button).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(status)
    job = Job.objects.get()
    assert job.status == status
    assert job.decisions.get().decision == option


def test_a_hard_budget_fills_up_on_the_meter_and_the_run_is_exported(page, live_server, owner, sign_in):
    api = ApiClient(_token_for(owner))
    sign_in("owner", "owner-pass-123")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Costs").click()
    page.get_by_label("Overall budget per period").fill("10")
    page.get_by_label("Hard limit (block operations over budget)").check()
    page.get_by_role("button", name="Save budget").click()
    expect(page.get_by_role("status").first).to_contain_text("Budget configuration saved")
    assert api.post("/api/cost-tracking/holds", {"jobId": "run-1", "amount": 1}).status_code == 201

    def report(key: str, cost: float) -> int:
        body = {"idempotencyKey": key, "jobId": "run-1", "stage": "ScriptGeneration", "provider": "OpenAI",
                "model": "gpt-4o", "cost": cost, "inputTokens": 1000, "outputTokens": 500}
        return api.post("/api/cost-tracking/operations", body).status_code

    page.goto(f"{live_server.url}/costs/jobs/run-1/")
    assert report("op-1", 3) == 200
    expect(page.get_by_test_id("meter-spent")).to_contain_text("$3.00", timeout=10000)
    expect(page.get_by_test_id("meter-bar")).to_have_class(re.compile(r"\bok\b"))
    assert report("op-2", 3) == 200
    expect(page.get_by_test_id("meter-bar")).to_have_class(re.compile(r"\bwarn\b"), timeout=10000)
    assert report("op-3", 5) == 402  # would pass the hard limit of 10
    assert report("op-4", 4) == 200
    expect(page.get_by_test_id("meter-bar")).to_have_class(re.compile(r"\bbad\b"), timeout=10000)
    expect(page.get_by_test_id("meter-spent")).to_contain_text("$10.00")
    page.reload()  # the run summary below the meter is drawn when the page loads
    screenshot(page, "costs-meter")
    page.get_by_role("button", name="Export CSV").click()
    link = page.get_by_role("link", name="Download CSV")
    expect(link).to_be_visible(timeout=15000)
    with page.expect_download() as download_info:
        link.click()
    content = open(download_info.value.path()).read()
    assert content.splitlines()[0].startswith("timestamp,jobId") and content.count("run-1") == 3
    page.goto(f"{live_server.url}/costs/")
    expect(page.get_by_test_id("overall-bar")).to_have_class(re.compile(r"\bbad\b"))
    expect(page.locator(".alert-row").first).to_be_visible()
    screenshot(page, "costs")
