"""Every page passes the axe check (no serious or critical violation) on a desktop and on a 390×844
phone, where nothing pushes the page sideways; phone-sized screenshots are saved for people to look at.
Also: focus after a failed save, double clicks, and the blocked-run dialog without an alternative."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from costs.models import ExportJob
from models_selection import connections as model_connections
from models_selection import services as model_services
from models_selection.models import ProbeResult
from models_selection.resolver import RunOverride
from models_selection.runs import planning
from models_selection.runs.models import Job
from preferences.kinds import KINDS
from preferences.models import ContentFilteringPolicy, CustomAudienceProfile
from tests.conftest import ApiClient, _token_for

from .accessibility import PHONE, assert_accessible, blocking_violations, horizontal_overflow, wide_elements
from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1280, "height": 900}


def _report(api: ApiClient, job_id: str, n: int, cost: float) -> None:
    for i in range(n):
        body = {"idempotencyKey": f"{job_id}-{i}", "jobId": job_id, "stage": "ScriptGeneration", "provider": "OpenAI",
                "model": "gpt-4o", "inputTokens": 1000, "outputTokens": 500, "cost": cost}
        assert api.post("/api/cost-tracking/operations", body).status_code == 200


def _world(owner) -> dict[str, str]:
    """Rows that give every page something to show: selections, a blocked run, spending, alerts."""
    model_connections.provider_update(name="OpenAI", api_key="sk-test")
    model_services.selection_set(scope="Global", stage="", provider="OpenAI", model_id="gpt-4o-mini")
    model_services.selection_set(scope="Stage", stage="script", provider="OpenAI", model_id="gpt-4o", pin=True)
    planning.job_plan(brief="A video about tides", model_overrides={
        "script": RunOverride("Anthropic", "claude-3-opus", True)}, project_id=None, allow_auto_fallback=False)
    api = ApiClient(_token_for(owner))
    api.put("/api/cost-tracking/configuration", {"overallMonthlyBudget": 10, "providerBudgets": {"OpenAI": 4},
                                                 "alertThresholds": [50, 90]})
    _report(api, "run-1", 3, 2.5)
    profile = CustomAudienceProfile.objects.create(name="Night owls", tags=["late", "adults"], is_favorite=True)
    preset = ContentFilteringPolicy.objects.filter(is_preset=True).first()
    return {"job": Job.objects.get().id, "profile": str(profile.pk), "preset": str(preset.pk)}


def _pages(ids: dict[str, str]) -> list[tuple[str, str]]:
    return [("home", "/"), ("preferences", "/preferences/"), ("import-export", "/preferences/import-export/"),
            ("models", "/models/"), ("run-blocked", f"/models/jobs/{ids['job']}/"), ("costs", "/costs/"),
            ("costs-run", "/costs/jobs/run-1/"),
            ("profile-edit", f"/preferences/audience-profiles/{ids['profile']}/"),
            ("preset-view", f"/preferences/filtering-policies/{ids['preset']}/")] + [
        (f"list-{k.slug}", f"/preferences/{k.slug}/") for k in KINDS] + [
        (f"new-{k.slug}", f"/preferences/{k.slug}/new/") for k in KINDS]


PAGE_NAMES = [name for name, _ in _pages({"job": "", "profile": "", "preset": ""})]


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_every_page_passes_axe_and_fits_a_phone(page, live_server, owner, sign_in, name):
    ids = _world(owner)
    path = dict(_pages(ids))[name]
    sign_in("owner", "owner-pass-123")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}{path}")
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}{path}")
    assert horizontal_overflow(page) <= 0, f"{path} scrolls sideways on a phone: {wide_elements(page)}"
    dialog = page.locator("dialog[open]")
    if dialog.count():
        box = dialog.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], "the dialog is cut off"
        assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], "the dialog is taller than the screen"
    screenshot(page, f"phone-{name}")
    assert_accessible(page)


def test_the_sign_in_page_passes_axe_and_fits_a_phone(page, live_server, console_errors):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    assert horizontal_overflow(page) <= 0
    screenshot(page, "phone-sign-in")
    assert_accessible(page)


def test_a_phone_header_is_compact(page, live_server, owner, sign_in):
    sign_in("owner", "owner-pass-123")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/models/")
    header = page.locator("header.topbar").bounding_box()
    assert header["height"] <= PHONE["height"] * 0.15, f"the header takes {header['height']}px of 844"


def test_after_a_failed_save_focus_moves_to_the_first_field_in_error(page, live_server, owner, sign_in):
    sign_in("owner", "owner-pass-123")
    page.goto(f"{live_server.url}/preferences/audience-profiles/new/")
    page.get_by_label("Name", exact=True).fill("Owls")
    page.get_by_label("Min age").fill("300")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field-error").first).to_be_visible()
    expect(page.get_by_label("Min age")).to_be_focused()
    assert_accessible(page)
    screenshot(page, "preferences-form-errors-focus")
    page.goto(f"{live_server.url}/costs/")
    page.get_by_label("Alert thresholds").fill("fifty")
    page.get_by_role("button", name="Save budget").click()
    expect(page.get_by_label("Alert thresholds")).to_be_focused()
    assert_accessible(page)


def test_the_result_fragments_pass_axe(page, live_server, owner, sign_in, fake_provider):
    from tests.fake_provider import GOOD_KEY

    model_connections.provider_update(name="OpenAI", base_url=fake_provider.base_url("openai"), api_key=GOOD_KEY)
    model_services.selection_set(scope="Stage", stage="script", provider="OpenAI", model_id="gpt-4o")
    sign_in("owner", "owner-pass-123")
    page.goto(f"{live_server.url}/models/")
    page.get_by_role("button", name="Test Script Generation").click()
    expect(page.locator("#probe-script")).to_contain_text("Available", timeout=15000)
    page.get_by_role("button", name="Explain Script Generation").click()
    expect(page.locator("#explain-script")).to_contain_text("Verdict")
    assert_accessible(page)
    page.goto(f"{live_server.url}/costs/")
    page.get_by_label("Budget per run").fill("0.01")
    page.get_by_role("button", name="Optimize").click()
    expect(page.locator("#optimize-result")).to_contain_text("per run")
    assert_accessible(page)


def test_a_double_click_starts_one_probe_and_one_export(page, live_server, owner, sign_in, fake_provider):
    from tests.fake_provider import GOOD_KEY

    model_connections.provider_update(name="OpenAI", base_url=fake_provider.base_url("openai"), api_key=GOOD_KEY)
    model_services.selection_set(scope="Stage", stage="script", provider="OpenAI", model_id="gpt-4o")
    _report(ApiClient(_token_for(owner)), "run-1", 1, 0.5)
    sign_in("owner", "owner-pass-123")
    page.goto(f"{live_server.url}/models/")
    page.get_by_role("button", name="Test Script Generation").dblclick()
    expect(page.locator("#probe-script")).to_contain_text("Available", timeout=15000)
    page.wait_for_timeout(500)  # a second, queued request would have been sent by now
    assert ProbeResult.objects.count() == 1
    page.goto(f"{live_server.url}/costs/jobs/run-1/")
    page.get_by_role("button", name="Export CSV").dblclick()
    expect(page.get_by_role("link", name="Download CSV")).to_be_visible(timeout=15000)
    page.wait_for_timeout(500)
    assert ExportJob.objects.count() == 1


def test_a_blocked_run_without_an_alternative_neither_offers_nor_focuses_apply(page, live_server, owner, sign_in):
    # No provider has a key: nothing is available, so nothing can be recommended.
    planning.job_plan(brief="Tides", model_overrides={"script": RunOverride("Anthropic", "claude-3-opus", True)},
                            project_id=None, allow_auto_fallback=False)
    sign_in("owner", "owner-pass-123")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/models/jobs/{Job.objects.get().id}/")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("this run is blocked")
    expect(dialog.get_by_role("button", name="Apply recommended model")).to_have_count(0)
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Retry with original later"
    screenshot(page, "phone-run-blocked-no-alternative")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Blocked")
    assert Job.objects.get().decisions.get().decision == "retry"
    assert page.get_by_text("no recommended alternative").count() == 0


def test_the_admin_pages_pass_axe(page, live_server, owner, sign_in):
    from django.contrib import admin

    _world(owner)
    sign_in("owner", "owner-pass-123")
    paths = ["/admin/", "/admin/preferences/customaudienceprofile/add/"] + [
        f"/admin/{m._meta.app_label}/{m._meta.model_name}/" for m in admin.site._registry]
    found = {}
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        violations = blocking_violations(page)
        if violations:
            found[path] = violations
    assert found == {}
