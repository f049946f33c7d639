"""Spend you can see and act on, in the browser: the spend chart and its range picker, the forecast,
webhooks with a real receiver and the delivery log, and API tokens created, copied and revoked."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from aura_site.models import ApiToken
from costs import configuration, ledger
from costs.forecast import period_forecast

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def recent_spending(owner, settings):
    """Ten days of spend on two providers, and an OpenAI budget that this pace reaches before the period ends."""
    settings.TIME_ZONE = "UTC"
    now = timezone.now()
    start = period_forecast()["periodStart"]
    ops = []
    for back in range(10):
        at = max(now - dt.timedelta(days=back, hours=1), start + dt.timedelta(minutes=back))
        ops += [{"idempotency_key": f"o{back}", "stage": "script", "provider": "OpenAI", "model": "gpt-4o", "cost": 2,
                 "timestamp": at},
                {"idempotency_key": f"a{back}", "stage": "visual", "provider": "Anthropic", "model": "claude-sonnet",
                 "cost": 1, "project_id": "launch", "timestamp": at}]
    ledger.operations_record(operations=ops, user=owner)
    forecast = period_forecast()
    openai = next(p for p in forecast["providers"] if p["provider"] == "OpenAI")
    left = (forecast["periodEnd"] - now).total_seconds() / 86400
    budget = round(openai["spent"] + openai["burnRatePerDay"] * left / 2, 2)
    configuration.configuration_update(data={"overall_monthly_budget": 1000, "provider_budgets": {"OpenAI": budget}})


def test_the_spend_chart_follows_the_range_picker_and_has_a_table(page, live_server, sign_in, recent_spending):
    sign_in("owner", "owner-pass-123")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Costs").click()
    chart = page.get_by_role("img", name="Spend per day by provider")
    expect(chart).to_be_visible()
    assert page.locator("[data-testid=spend-chart] rect").count() >= 2
    table = page.get_by_role("table", name="Spend per day and provider")
    expect(table.get_by_role("columnheader", name="OpenAI")).to_be_visible()
    screenshot(page, "costs-spend-chart")
    today = timezone.now().date()
    picker = page.get_by_role("form", name="Date range")
    picker.get_by_label("From", exact=True).fill((today - dt.timedelta(days=13)).isoformat())
    picker.get_by_label("To", exact=True).fill(today.isoformat())
    picker.get_by_label("Per", exact=True).select_option("week")
    picker.get_by_label("Split by").select_option("model")
    picker.get_by_role("button", name="Show").click()
    weekly = page.get_by_role("table", name="Spend per week and model")
    expect(weekly.get_by_role("columnheader", name="claude-sonnet")).to_be_visible()
    expect(page.get_by_test_id("range-total")).to_contain_text("30.00 USD")
    expect(page.get_by_role("table", name="Top users")).to_contain_text("owner")
    expect(page.get_by_role("heading", name="Forecast")).to_have_count(1)  # the swap replaced, not added
    screenshot(page, "costs-spend-by-model-weekly")


def test_the_forecast_says_when_the_openai_budget_is_reached(page, live_server, sign_in, recent_spending):
    sign_in("owner", "owner-pass-123")
    page.goto(f"{live_server.url}/costs/#forecast")
    forecast = page.get_by_role("table", name="Forecast per budget")
    row = forecast.get_by_role("row", name="OpenAI")
    expected = period_forecast()
    openai = next(p for p in expected["providers"] if p["provider"] == "OpenAI")
    expect(row).to_contain_text(openai["budgetReachedOn"].strftime("%-d %b"))
    expect(page.get_by_test_id("forecast-summary")).to_contain_text("a day")
    page.locator("#forecast").scroll_into_view_if_needed()
    screenshot(page, "costs-forecast")


def test_a_webhook_is_added_tested_and_its_delivery_logged(page, live_server, sign_in, owner, settings,
                                                            webhook_receiver):
    settings.AURA_ALLOW_PRIVATE_WEBHOOK_URLS = True
    sign_in("owner", "owner-pass-123")
    page.goto(f"{live_server.url}/costs/#webhooks")
    section = page.locator("#webhooks")
    section.get_by_label("Name").fill("ops channel")
    section.get_by_label("URL").fill(webhook_receiver.url + "/hook")
    section.get_by_label("Secret").fill("a-long-shared-secret")
    section.get_by_label("Slack-compatible body").check()
    section.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_role("status")).to_contain_text("added")
    expect(page.get_by_test_id("webhooks-table")).to_contain_text("ops channel")
    page.get_by_role("button", name="Send test to ops channel").click()
    log = page.get_by_test_id("delivery-log")
    expect(log).to_contain_text("delivered")
    expect(log).to_contain_text("200")
    [request] = webhook_receiver.requests
    signature = "sha256=" + hmac.new(b"a-long-shared-secret", request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Aura-Signature"] == signature
    assert "a-long-shared-secret" not in page.content()
    page.locator("#webhooks").scroll_into_view_if_needed()
    screenshot(page, "costs-webhooks")


def test_a_token_is_created_copied_and_revoked(page, live_server, sign_in, owner):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    sign_in("owner", "owner-pass-123")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API tokens").click()
    expect(page.get_by_test_id("tokens-table")).to_contain_text("You have no API token yet.")
    page.get_by_label("Name").fill("render farm")
    page.get_by_role("button", name="Create token").click()
    value = page.get_by_test_id("token-value").input_value()
    assert ApiToken.authenticate(value).username == "owner"
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status")).to_contain_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == value
    screenshot(page, "tokens-created")
    page.goto(f"{live_server.url}/account/tokens/")
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    page.get_by_role("button", name="Revoke token render farm").click()
    expect(page.get_by_test_id("tokens-table")).to_contain_text("revoked")
    assert ApiToken.authenticate(value) is None
    screenshot(page, "tokens-revoked")
