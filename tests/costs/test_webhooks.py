"""Alert webhooks against a real receiver on 127.0.0.1: signed, retried on 500, never redirected."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
from http import HTTPStatus

import pytest
import time_machine

from costs import ledger, webhooks
from costs.forecast import forecast_alerts_raise
from costs.models import Alert, Webhook, WebhookDelivery
from models_selection.keys import key_decrypt

# Deliveries are queued when the transaction commits, as in production: the tests commit.
pytestmark = pytest.mark.django_db(transaction=True)
BASE = "/api/cost-tracking/webhooks"
SECRET = "s3cret-value-for-tests"


@pytest.fixture
def local_ok(settings):
    """A receiver on 127.0.0.1 is allowed and retries come at once."""
    settings.AURA_ALLOW_PRIVATE_WEBHOOK_URLS = True
    settings.AURA_WEBHOOK_RETRY_BASE_SECONDS = 0
    settings.AURA_WEBHOOK_MAX_ATTEMPTS = 3


def _create(api, url: str, **extra) -> dict:
    response = api.post(BASE, {"name": extra.pop("name", "ops"), "url": url, "secret": SECRET, **extra})
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()


def _verify(request: dict, secret: str = SECRET) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(request["headers"]["X-Aura-Signature"], expected)


def test_webhooks_are_created_listed_updated_and_deleted_and_the_secret_is_never_returned(
        owner_api, local_ok, webhook_receiver, caplog):
    caplog.set_level(logging.DEBUG)
    created = _create(owner_api, webhook_receiver.url + "/hook", slackFormat=True)
    assert created["name"] == "ops" and created["slackFormat"] is True and "secret" not in created
    listed = owner_api.get(BASE).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == created["id"]
    updated = owner_api.put(f"{BASE}/{created['id']}", {"name": "ops-2", "slackFormat": False})
    assert updated.status_code == 200 and updated.json()["name"] == "ops-2"
    webhook = Webhook.objects.get()
    assert key_decrypt(webhook.secret_encrypted) == SECRET and SECRET not in webhook.secret_encrypted
    everything = json.dumps([owner_api.get(BASE).json(), owner_api.get(f"{BASE}/{created['id']}").json()])
    assert SECRET not in everything and SECRET not in caplog.text
    assert owner_api.delete(f"{BASE}/{created['id']}").status_code == HTTPStatus.NO_CONTENT
    assert not Webhook.objects.exists()
    assert owner_api.delete(f"{BASE}/{created['id']}").status_code == HTTPStatus.NOT_FOUND


def test_a_new_secret_replaces_the_old_one_and_an_omitted_one_is_kept(owner_api, local_ok, webhook_receiver):
    created = _create(owner_api, webhook_receiver.url)
    owner_api.patch(f"{BASE}/{created['id']}", {"url": webhook_receiver.url + "/x"})
    assert key_decrypt(Webhook.objects.get().secret_encrypted) == SECRET
    owner_api.put(f"{BASE}/{created['id']}", {"secret": "another-secret"})
    assert key_decrypt(Webhook.objects.get().secret_encrypted) == "another-secret"


@pytest.mark.parametrize("body", [{"name": None, "url": None, "secret": None}, {"name": "a\x00"},
                                  {"url": "http://10.0.0.1/"}, {"secret": "short"}, {"enabled": "maybe"}])
def test_odd_updates_keep_the_webhook_or_are_422(owner_api, local_ok, webhook_receiver, body):
    created = _create(owner_api, webhook_receiver.url)
    response = owner_api.patch(f"{BASE}/{created['id']}", body)
    assert response.status_code in (200, 422), response.content
    if "url" in body and body["url"]:
        assert response.status_code == 200  # private addresses are allowed in this test
    assert key_decrypt(Webhook.objects.get().secret_encrypted) == SECRET
    assert Webhook.objects.get().name == "ops"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.1.2.3/", "http://169.254.169.254/latest",
    "http://[::1]/", "http://192.168.0.10/", "ftp://example.com/", "not a url", "http://user:pw@example.com/",
])
def test_private_and_odd_urls_are_refused_unless_private_urls_are_allowed(owner_api, settings, url):
    settings.AURA_ALLOW_PRIVATE_WEBHOOK_URLS = False
    response = owner_api.post(BASE, {"name": "x", "url": url, "secret": SECRET})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["errors"][0]["field"] == "url"
    assert not Webhook.objects.exists()


def test_a_private_receiver_is_accepted_when_allowed(owner_api, settings, webhook_receiver):
    settings.AURA_ALLOW_PRIVATE_WEBHOOK_URLS = True
    assert owner_api.post(BASE, {"name": "x", "url": webhook_receiver.url, "secret": SECRET}).status_code == 201


@pytest.mark.parametrize("body", [
    {"name": "x", "url": "http://example.com"}, {"name": "x", "url": "http://example.com", "secret": "short"},
    {"name": "", "url": "http://example.com", "secret": SECRET},
    {"name": "x", "url": "http://example.com", "secret": SECRET, "extra": 1},
    {"name": "x\x00", "url": "http://example.com", "secret": SECRET},
])
def test_bad_webhook_bodies_are_422(owner_api, body):
    assert owner_api.post(BASE, body).status_code == HTTPStatus.UNPROCESSABLE_ENTITY


def test_reading_and_managing_webhooks_need_permissions(viewer_api, outsider_api, anon_api, owner_api, local_ok,
                                                        webhook_receiver):
    created = _create(owner_api, webhook_receiver.url)
    assert viewer_api.get(BASE).status_code == 200
    assert viewer_api.post(BASE, {"name": "v", "url": webhook_receiver.url, "secret": SECRET}).status_code == 403
    assert viewer_api.post(f"{BASE}/{created['id']}/test").status_code == 403
    assert outsider_api.get(BASE).status_code == 403
    assert anon_api.get(BASE).status_code == 401


def test_send_test_delivers_a_body_signed_with_the_secret(owner_api, local_ok, webhook_receiver):
    created = _create(owner_api, webhook_receiver.url + "/hook")
    response = owner_api.post(f"{BASE}/{created['id']}/test")
    assert response.status_code == HTTPStatus.ACCEPTED
    [request] = webhook_receiver.requests
    assert _verify(request) and not _verify(request, "wrong-secret")
    assert json.loads(request["body"])["event"] == "test"
    log = owner_api.get(f"{BASE}/{created['id']}/deliveries").json()
    assert log["count"] == 1
    assert {k: log["items"][0][k] for k in ("state", "attempts", "statusCode", "event")} == {
        "state": "delivered", "attempts": 1, "statusCode": 200, "event": "test"}


def test_a_500_is_retried_until_the_receiver_accepts(owner_api, local_ok, webhook_receiver):
    webhook_receiver.statuses = [500, 503]
    created = _create(owner_api, webhook_receiver.url)
    owner_api.post(f"{BASE}/{created['id']}/test")
    assert len(webhook_receiver.requests) == 3
    assert all(_verify(r) for r in webhook_receiver.requests)
    assert len({r["body"] for r in webhook_receiver.requests}) == 1  # the same bytes every time
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.status_code) == ("delivered", 3, 200)


def test_retries_stop_at_the_attempt_limit_and_the_log_says_failed(owner_api, local_ok, webhook_receiver):
    webhook_receiver.statuses = [500] * 10
    created = _create(owner_api, webhook_receiver.url)
    owner_api.post(f"{BASE}/{created['id']}/test")
    assert len(webhook_receiver.requests) == 3
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.status_code, delivery.error) == ("failed", 3, 500, "HTTP 500")


def test_a_redirect_is_not_followed_nor_retried(owner_api, local_ok, webhook_receiver):
    created = _create(owner_api, webhook_receiver.url + "/redirect")
    owner_api.post(f"{BASE}/{created['id']}/test")
    assert webhook_receiver.paths() == ["/redirect"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "failed" and delivery.status_code == 302 and "redirect" in delivery.error


def test_a_url_that_became_private_is_refused_at_send_time(owner_api, local_ok, webhook_receiver, settings):
    created = _create(owner_api, webhook_receiver.url)
    settings.AURA_ALLOW_PRIVATE_WEBHOOK_URLS = False
    owner_api.post(f"{BASE}/{created['id']}/test")
    assert webhook_receiver.requests == []
    assert WebhookDelivery.objects.get().state == "failed"


def test_running_an_attempt_twice_sends_once(owner_api, local_ok, webhook_receiver):
    webhook_receiver.statuses = [500]
    webhook = webhooks.webhook_create(name="w", url=webhook_receiver.url, secret=SECRET)
    delivery = WebhookDelivery.objects.create(webhook=webhook, event="test", body="{}")
    first = webhooks.delivery_attempt(delivery_id=delivery.pk, attempt=1)
    assert first.sent and first.state == "pending" and first.retry_in is not None
    assert not webhooks.delivery_attempt(delivery_id=delivery.pk, attempt=1).sent  # a redelivered task
    assert len(webhook_receiver.requests) == 1
    assert webhooks.delivery_attempt(delivery_id=delivery.pk, attempt=2).state == "delivered"
    assert len(webhook_receiver.requests) == 2


def test_a_budget_alert_reaches_every_enabled_webhook_once(owner_api, local_ok, webhook_receiver):
    owner_api.put("/api/cost-tracking/configuration", {"overallMonthlyBudget": 10, "alertThresholds": [50]})
    _create(owner_api, webhook_receiver.url + "/ours", name="ours")
    _create(owner_api, webhook_receiver.url + "/slack", name="slack", slackFormat=True)
    _create(owner_api, webhook_receiver.url + "/off", name="off", enabled=False)
    for key in ("a", "b"):  # the second operation raises no new alert
        owner_api.post("/api/cost-tracking/operations", {"idempotencyKey": key, "stage": "script",
                                                         "provider": "OpenAI", "cost": 3})
    assert sorted(webhook_receiver.paths()) == ["/ours", "/slack"]
    bodies = {r["path"]: json.loads(r["body"]) for r in webhook_receiver.requests}
    assert bodies["/ours"]["event"] == "budget.alert"
    assert bodies["/ours"]["alert"]["threshold"] == 50 and bodies["/ours"]["alert"]["spent"] == 6.0
    assert bodies["/slack"]["text"].startswith("50% of the overall budget reached")
    assert all(_verify(r) for r in webhook_receiver.requests)
    assert WebhookDelivery.objects.filter(state="delivered").count() == 2


def test_a_forecast_alert_is_delivered_once_per_period(owner_api, local_ok, webhook_receiver, settings):
    settings.TIME_ZONE = "UTC"
    owner_api.put("/api/cost-tracking/configuration", {"providerBudgets": {"OpenAI": 30},
                                                       "forecastAlertsEnabled": True})
    _create(owner_api, webhook_receiver.url + "/hook")
    ledger.operations_record(operations=[{
        "idempotency_key": f"d{day}", "stage": "script", "provider": "OpenAI", "cost": 2,
        "timestamp": dt.datetime(2026, 11, day, 1, tzinfo=dt.UTC)} for day in range(1, 11)])
    with time_machine.travel(dt.datetime(2026, 11, 11, tzinfo=dt.UTC), tick=False):
        first = forecast_alerts_raise()
        again = forecast_alerts_raise()
    assert [a.message for a in first] == [
        "At this pace OpenAI's budget (30.00 USD) is reached on 16 November 2026, before the period ends "
        "(projected 60.00 USD)."]
    assert again == [] and Alert.objects.filter(dedupe_key__startswith="forecast:").count() == 1
    kinds = [json.loads(r["body"])["alert"]["kind"] for r in webhook_receiver.requests]
    assert kinds.count("forecast") == 1 and kinds.count("threshold") == 1  # 50% of OpenAI's budget, on ingest


def test_no_forecast_alert_unless_enabled(owner_api, local_ok):
    owner_api.put("/api/cost-tracking/configuration", {"providerBudgets": {"OpenAI": 1}})
    ledger.operations_record(operations=[{"idempotency_key": "x", "stage": "s", "provider": "OpenAI",
                                            "cost": 0.5}])
    assert forecast_alerts_raise() == []


@pytest.fixture
def worker_env(monkeypatch, settings):
    """What the worker process (PostgreSQL leg) and the eager run (SQLite) both need: a local receiver, fast retries."""
    monkeypatch.setenv("AURA_ALLOW_PRIVATE_WEBHOOK_URLS", "true")
    monkeypatch.setenv("AURA_WEBHOOK_RETRY_BASE_SECONDS", "0.5")
    settings.AURA_ALLOW_PRIVATE_WEBHOOK_URLS = True
    settings.AURA_WEBHOOK_RETRY_BASE_SECONDS = 0.5


def test_a_worker_retries_a_500_with_backoff_and_logs_it(worker_env, celery_worker_process, webhook_receiver):
    webhook_receiver.statuses = [500]
    webhook = webhooks.webhook_create(name="w", url=webhook_receiver.url, secret=SECRET)
    delivery = webhooks.webhook_send_test(webhook_id=webhook.pk)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        delivery.refresh_from_db()
        if delivery.state != "pending":
            break
        time.sleep(0.2)
    assert (delivery.state, delivery.attempts, delivery.status_code) == ("delivered", 2, 200)
    assert len(webhook_receiver.requests) == 2 and all(_verify(r) for r in webhook_receiver.requests)
