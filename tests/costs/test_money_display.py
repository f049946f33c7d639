"""Money reads the same everywhere: one format function, its template filters, alerts, e-mails and the
budget form, which accepts back exactly what it shows."""

from __future__ import annotations

import re
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.core import mail
from django.template import Context, Template
from django.test import Client

from costs import money, optimizer
from costs.display import format_money, format_percent, plain_amount
from costs.models import Alert, CostConfiguration, CostOperation, Price

BASE = "/api/cost-tracking"


@pytest.mark.parametrize(("amount", "currency", "unit", "shown"), [
    # totals: the currency's own decimals, rounded half up, grouped thousands
    (10, "USD", False, "$10.00"),
    (10.0, "USD", False, "$10.00"),
    ("10.000000", "USD", False, "$10.00"),
    (Decimal("10.123456"), "USD", False, "$10.12"),
    (Decimal("0.005"), "USD", False, "$0.01"),
    (Decimal("0.004999"), "USD", False, "$0.00"),
    (Decimal("1234567.891"), "USD", False, "$1,234,567.89"),
    (-5.555, "USD", False, "-$5.56"),
    (Decimal("-0.001"), "USD", False, "$0.00"),
    (3, "EUR", False, "€3.00"),
    (3, "GBP", False, "£3.00"),
    (1234.5, "JPY", False, "¥1,235"),
    (Decimal("1.2345"), "KWD", False, "KWD 1.235"),
    (3, "CHF", False, "CHF 3.00"),
    (3, "usd", False, "$3.00"),
    (Decimal("1e30"), "USD", False, "$1,000,000,000,000,000,000,000,000,000,000.00"),
    (1e20, "USD", True, "$100,000,000,000,000,000,000.00"),
    (None, "USD", False, "—"),
    # unit prices: the decimals that carry a value, at least the currency's, at most the ledger's six
    (Decimal("0.002500"), "USD", True, "$0.0025"),
    (0.00015, "USD", True, "$0.00015"),
    (Decimal("0.0000005"), "USD", True, "$0.000001"),
    (Decimal("2.5"), "USD", True, "$2.50"),
    (Decimal("15"), "EUR", True, "€15.00"),
    (None, "USD", True, "—"),
])
def test_amounts_are_shown_in_one_format(amount, currency, unit, shown):
    assert format_money(amount, currency, unit=unit) == shown


@pytest.mark.parametrize("bad", ["ten", "NaN", "Infinity", float("inf"), [], "1e"])
def test_what_is_not_an_amount_is_refused_with_a_clear_error(bad):
    with pytest.raises(ValueError, match="not an amount"):
        format_money(bad, "USD")


@pytest.mark.parametrize(("amount", "shown"), [
    (Decimal("10.123456"), "10.123456"),
    (Decimal("10.000000"), "10.00"),
    (Decimal("10.500000"), "10.50"),
    (Decimal("0.002500"), "0.0025"),
    (7, "7.00"),
    (Decimal("1e30"), "1000000000000000000000000000000.00"),
    (None, ""),
])
def test_an_amount_field_shows_every_stored_decimal(amount, shown):
    assert plain_amount(amount) == shown


@pytest.mark.parametrize(("value", "shown"), [
    (Decimal("99.99"), "over 99%"),
    (Decimal("99.5"), "over 99%"),
    (Decimal("99.4"), "over 99%"),
    (Decimal("98.6"), "99%"),
    (100, "100%"),
    (Decimal("0.01"), "under 1%"),
    (Decimal("0.5"), "under 1%"),
    (0, "0%"),
    (Decimal("42.5"), "43%"),
    (None, "—"),
])
def test_percentages_are_rounded_honestly(value, shown):
    assert format_percent(value) == shown


@pytest.mark.parametrize(("template", "shown"), [
    ("{{ v|money:'USD' }}", "$10.12"),
    ("{{ v|money:'EUR' }}", "€10.12"),
    ("{{ v|unit_money:'USD' }}", "$10.123456"),
    ("{{ v|plain_amount }}", "10.123456"),
    ("{{ none|money:'USD' }}", "—"),
    ("{{ text|money:'USD' }}", "n/a"),
])
def test_the_template_filters_use_the_same_format(template, shown):
    context = Context({"v": Decimal("10.123456"), "none": None, "text": "n/a"})
    assert Template(template).render(context) == shown


@pytest.mark.django_db
def test_alerts_and_their_email_show_money_in_the_configured_currency(owner_api,
                                                                      django_capture_on_commit_callbacks):
    assert owner_api.put(f"{BASE}/configuration", {
        "overallMonthlyBudget": 10, "currency": "EUR", "alertThresholds": [50],
        "emailNotificationsEnabled": True, "notificationEmail": "ops@example.com"}).status_code == HTTPStatus.OK
    body = {"idempotencyKey": "k1", "jobId": "j1", "stage": "ScriptGeneration", "provider": "OpenAI",
            "model": "gpt-4o", "cost": 6.123456}
    with django_capture_on_commit_callbacks(execute=True):
        assert owner_api.post(f"{BASE}/operations", body).status_code == HTTPStatus.OK
    alert = Alert.objects.get()
    assert alert.message == "50% of the overall budget reached: €6.12 of €10.00 spent."
    assert len(mail.outbox) == 1 and "€6.12 of €10.00" in mail.outbox[0].body


@pytest.mark.django_db
def test_a_hard_limit_refusal_names_the_amounts_in_the_one_format(owner_api):
    owner_api.put(f"{BASE}/configuration", {"overallMonthlyBudget": 10, "hardBudgetLimit": True})
    body = {"idempotencyKey": "k1", "jobId": "j1", "stage": "ScriptGeneration", "provider": "OpenAI",
            "model": "gpt-4o", "cost": 10.0025}
    response = owner_api.post(f"{BASE}/operations", body)
    assert response.status_code == HTTPStatus.PAYMENT_REQUIRED
    assert "($10.0025) would take the overall budget past $10.00 ($0.00 spent" in response.json()["detail"]


def _page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form_values(html: str) -> dict[str, str]:
    """The budget form's fields as a browser would post them back, read from the rendered page."""
    form = html[html.index('action="/costs/configuration/"'):]
    form = form[:form.index("</form>")]
    values: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if kind and kind.group(1) == "checkbox":
            if " checked" in tag:
                values[name.group(1)] = "on"
        else:
            values[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        values[name] = body.strip("\n").replace("&#x27;", "'")
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        values[name] = re.search(r'<option value="([^"]*)"[^>]*selected', options).group(1)
    return values


@pytest.mark.django_db
def test_a_budget_set_with_six_decimals_through_the_api_is_re_saved_from_the_page(owner, owner_api):
    assert owner_api.put(f"{BASE}/configuration", {
        "overallMonthlyBudget": 10.123456, "providerBudgets": {"OpenAI": 2.000001}}).status_code == HTTPStatus.OK
    client = _page_client(owner)
    page = client.get("/costs/").content.decode()
    values = _form_values(page)
    assert values["overall_monthly_budget"] == "10.123456"
    assert values["provider_budgets"] == "OpenAI = 2.000001"
    response = client.post("/costs/configuration/", values)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    config = CostConfiguration.objects.get()
    assert config.overall_monthly_budget == Decimal("10.123456")
    assert Decimal(str(config.provider_budgets["OpenAI"])) == Decimal("2.000001")


@pytest.mark.django_db
def test_the_costs_page_shows_totals_and_prices_in_one_format(owner, owner_api):
    owner_api.put(f"{BASE}/configuration", {"overallMonthlyBudget": 10, "providerBudgets": {"OpenAI": 4}})
    body = {"idempotencyKey": "k1", "jobId": "j1", "stage": "ScriptGeneration", "provider": "OpenAI",
            "model": "gpt-4o", "cost": 2.5}
    owner_api.post(f"{BASE}/operations", body)
    Price.objects.create(provider_name="Voice", provider_type="TTS", cost_per_1k_characters=Decimal("0.015"))
    page = _page_client(owner).get("/costs/").content.decode()
    assert "$2.50</strong> spent" in page and "of $10.00" in page and "$4.00" in page
    assert 'value="0.015"' in page  # the price input shows what it accepts
    assert not re.search(r"\b\d+\.\d{4,6}\b(?! *\")", _visible_text(page)), "an unformatted amount is shown"


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style|textarea)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.django_db
def test_a_suggestion_never_rounds_a_partial_reduction_up_to_100_percent():
    # Far dearer than any catalog price: every cheaper model saves more than 99.5%, never all of it.
    Price.objects.create(provider_name="OpenAI", model_id="big", provider_type="LLM",
                         cost_per_1k_input_tokens=Decimal("10000"), cost_per_1k_output_tokens=Decimal("10000"))
    op = CostOperation.objects.create(idempotency_key="k", job_id="j", stage="ScriptGeneration", provider="OpenAI",
                                      model="big", input_tokens=500, output_tokens=500, cost=Decimal("10000"),
                                      cost_source="computed")
    found = optimizer.suggestions([op])
    switch = next(s for s in found if "cost reduction" in s["suggestion"])
    assert "over 99% cost reduction" in switch["suggestion"] and "100%" not in switch["suggestion"]


@pytest.mark.django_db
def test_the_caching_suggestion_does_not_read_none():
    ops = [CostOperation.objects.create(idempotency_key=f"k{i}", job_id="j", stage="ScriptGeneration",
                                        provider="Nobody", model="m", input_tokens=100, cost=Decimal("1"),
                                        cost_source="reported") for i in range(2)]
    caching = next(s for s in optimizer.suggestions(ops) if s["category"] == "Caching")
    assert not caching["qualityImpact"].startswith("None")
    assert money.percent(Decimal(1), Decimal(3)) == 33.3  # the API's numeric percentages are unchanged


@pytest.mark.django_db
def test_explain_names_catalog_prices_in_the_one_format():
    from models_selection import connections as model_connections
    from models_selection.explaining import model_explain

    model_connections.provider_update(name="OpenAI", api_key="sk-test")
    Price.objects.filter(provider_name="OpenAI", model_id="gpt-4o").update(
        cost_per_1k_input_tokens=Decimal("1"), cost_per_1k_output_tokens=Decimal("2"))
    reasons = " ".join(model_explain(stage="script", provider="OpenAI", model_id="gpt-4o").reasons)
    amounts = re.findall(r"\$[\d,]+(?:\.\d+)?", reasons)
    assert amounts and "$3.00" in amounts
    assert all(re.fullmatch(r"\$[\d,]+\.\d{2,6}", a) for a in amounts), amounts
