"""The Costs page's spend chart, breakdowns, forecast and webhook sections (server side)."""

from __future__ import annotations

import datetime as dt
import re
from http import HTTPStatus

import pytest
import time_machine
from django.test import Client

from costs import configuration, ledger
from costs.models import CostConfiguration, Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def spending(settings, owner):
    settings.TIME_ZONE = "UTC"
    configuration.configuration_update(data={"overall_monthly_budget": 100, "provider_budgets": {"OpenAI": 30}})
    ops = []
    for day in range(1, 11):
        ops.append({"idempotency_key": f"o{day}", "stage": "script", "provider": "OpenAI", "model": "gpt-4o",
                    "cost": 2, "timestamp": dt.datetime(2026, 11, day, 9, tzinfo=dt.UTC)})
        ops.append({"idempotency_key": f"a{day}", "stage": "visual", "provider": "Anthropic", "model": "claude",
                    "cost": 1, "timestamp": dt.datetime(2026, 11, day, 9, tzinfo=dt.UTC)})
    ledger.operations_record(operations=ops, user=owner)


@time_machine.travel(dt.datetime(2026, 11, 11, tzinfo=dt.UTC), tick=False)
def test_the_costs_page_shows_the_chart_its_table_breakdowns_and_the_forecast(spending, viewer):
    html = _client(viewer).get("/costs/").content.decode()
    assert 'data-testid="spend-chart"' in html and 'role="img"' in html
    assert html.count('<rect x=') == 20  # 10 days × 2 providers
    start = html.index('data-testid="spend-table"')
    table = html[start:html.index("</table>", start)]
    assert "<th scope=\"row\">2026-11-01</th><td>2.00</td><td>1.00</td><td>3.00</td>" in table
    assert "<th scope=\"row\">2026-11-30</th><td>0.00</td><td>0.00</td><td>0.00</td>" in table
    assert 'data-testid="breakdown-user"' in html and "<td>owner</td>" in html
    assert "reached on" not in html.split('data-testid="forecast-summary"')[1].split("</p>")[0]
    forecast = html[html.index('data-testid="forecast-table"'):]
    assert re.search(r"<th scope=\"row\">OpenAI</th><td>20.00</td><td>2.00</td><td>60.00</td><td>30.00</td>\s*"
                     r"<td><span class=\"badge warn\">16 Nov</span>", forecast)


@time_machine.travel(dt.datetime(2026, 11, 11, tzinfo=dt.UTC), tick=False)
def test_the_range_picker_reads_the_query_string_and_the_partial_answers_htmx(spending, viewer):
    client = _client(viewer)
    html = client.get("/costs/", {"date_from": "2026-11-02", "date_to": "2026-11-03", "by": ""}).content.decode()
    assert 'data-testid="range-total">6.00 USD' in html
    partial = client.get("/costs/insights/", {"date_from": "2026-11-01", "date_to": "2026-11-30", "group_by": "week",
                                              "by": "model"}, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in body and '<th scope="col">gpt-4o</th>' in body


def test_a_backwards_range_says_what_is_wrong_instead_of_failing(viewer):
    html = _client(viewer).get("/costs/", {"date_from": "2026-11-05", "date_to": "2026-11-01"}).content.decode()
    assert "must not be before its start" in html


def test_the_costs_page_runs_a_constant_number_of_queries(spending, viewer, django_assert_max_num_queries):
    client = _client(viewer)
    client.get("/costs/")
    with django_assert_max_num_queries(40) as first:
        client.get("/costs/")
    ledger.operations_record(operations=[{
        "idempotency_key": f"m{i}", "stage": f"s{i}", "provider": f"P{i}", "model": f"m{i}", "project_id": f"p{i}",
        "cost": 1} for i in range(60)])
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get("/costs/")


def test_webhooks_are_added_tested_and_deleted_from_the_page(owner, settings):
    settings.AURA_ALLOW_PRIVATE_WEBHOOK_URLS = False
    client = _client(owner)
    refused = client.post("/costs/webhooks/add/", {"name": "lan", "url": "http://10.0.0.1/hook", "secret": "x" * 12})
    assert refused.status_code == 422 and "private" in refused.content.decode() and not Webhook.objects.exists()
    settings.AURA_ALLOW_PRIVATE_WEBHOOK_URLS = True
    response = client.post("/costs/webhooks/add/", {"name": "ops", "url": "http://127.0.0.1:9/hook",
                                                   "secret": "s3cret-value", "slack_format": "on"})
    assert response.status_code == HTTPStatus.FOUND
    webhook = Webhook.objects.get()
    assert webhook.slack_format and "s3cret-value" not in client.get("/costs/").content.decode()
    client.post(f"/costs/webhooks/{webhook.pk}/test/")
    assert WebhookDelivery.objects.filter(webhook=webhook, event="test").count() == 1
    client.post(f"/costs/webhooks/{webhook.pk}/delete/")
    assert not Webhook.objects.exists()


def test_forecast_alerts_are_switched_on_from_the_page(owner):
    _client(owner).post("/costs/forecast-alerts/", {"enabled": "on"})
    assert CostConfiguration.objects.get().forecast_alerts_enabled


def test_a_viewer_sees_webhooks_but_cannot_change_them(viewer, outsider):
    Webhook.objects.create(name="w", url="https://example.com/", secret_encrypted="x")
    client = _client(viewer)
    html = client.get("/costs/").content.decode()
    assert 'data-testid="webhooks-table"' in html and "Add a webhook" not in html and "Send test" not in html
    assert client.post("/costs/webhooks/add/", {"name": "x"}).status_code == HTTPStatus.FORBIDDEN
    assert client.post(f"/costs/webhooks/{Webhook.objects.get().pk}/delete/").status_code == HTTPStatus.FORBIDDEN
    assert client.post("/costs/forecast-alerts/", {"enabled": "on"}).status_code == HTTPStatus.FORBIDDEN
    assert Webhook.objects.exists()
