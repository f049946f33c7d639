"""Alert webhooks: managed URLs, signed bodies, deliveries retried with backoff and logged.

Every message is one WebhookDelivery row holding the exact body sent; each attempt claims the next
attempt number in the database before it sends, so a task that runs twice never sends twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from aura_site.broker import enqueue
from aura_site.errors import Conflict, NotFound, ValidationFailed
from aura_site.lookups import ask
from aura_site.outbound import OutboundRefused, outbound_check, outbound_client

from .configuration import configuration_get
from .models import Alert, Webhook, WebhookDelivery

logger = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Aura-Signature"
USER_AGENT = "aura-control-center/1.0 (webhook)"


# ---- the outgoing-URL rule -----------------------------------------------------------------------


class UnsafeUrl(ValueError):
    """A URL our server must not call."""


def webhook_url_check(url: str) -> None:
    """The one place a webhook URL is judged (on save and again before every send): the outgoing rule."""
    try:
        outbound_check(url, allow_private=settings.AURA_ALLOW_PRIVATE_WEBHOOK_URLS,
                       switch="AURA_ALLOW_PRIVATE_WEBHOOK_URLS")
    except OutboundRefused as exc:
        raise UnsafeUrl(str(exc)) from None


# ---- managing webhooks ---------------------------------------------------------------------------


def _validated_url(url: str) -> str:
    try:
        webhook_url_check(url)
    except UnsafeUrl as exc:
        raise ValidationFailed.on("url", str(exc)) from None
    return url


def webhook_get(webhook_id: int, *, lock: bool = False) -> Webhook:
    rows = Webhook.objects.select_for_update() if lock else Webhook.objects
    webhook = rows.filter(pk=webhook_id).first()
    if webhook is None:
        raise NotFound(f"No webhook {webhook_id}.")
    return webhook


@transaction.atomic
def webhook_create(*, name: str, url: str, secret: str, slack_format: bool = False, enabled: bool = True,
                   user=None) -> Webhook:
    """Add a webhook; the secret is stored encrypted and never shown again."""
    if Webhook.objects.filter(name=name).exists():
        raise ValidationFailed.on("name", f"a webhook named {name!r} already exists")
    webhook = Webhook(name=name, url=_validated_url(url), secret_encrypted=ask("secret_encrypt", secret),
                      slack_format=slack_format, enabled=enabled,
                      created_by=user if user is not None and user.is_authenticated else None)
    try:
        with transaction.atomic():
            webhook.save()
    except IntegrityError:
        raise Conflict(f"A webhook named {name!r} was created at the same time.") from None
    return webhook


@transaction.atomic
def webhook_update(*, webhook_id: int, data: dict[str, Any]) -> Webhook:
    """Change a webhook (full or partial); an omitted or empty secret keeps the stored one."""
    webhook = webhook_get(webhook_id, lock=True)
    data = {k: v for k, v in data.items() if v is not None}  # null: keep the value
    if "name" in data and data["name"] != webhook.name and Webhook.objects.filter(name=data["name"]).exists():
        raise ValidationFailed.on("name", f"a webhook named {data['name']!r} already exists")
    if "url" in data:
        webhook.url = _validated_url(data["url"])
    for name in ("name", "slack_format", "enabled"):
        if name in data:
            setattr(webhook, name, data[name])
    if data.get("secret"):
        webhook.secret_encrypted = ask("secret_encrypt", data["secret"])
    webhook.updated_at = timezone.now()
    webhook.save()
    return webhook


@transaction.atomic
def webhook_delete(*, webhook_id: int) -> None:
    webhook_get(webhook_id, lock=True).delete()


# ---- messages ------------------------------------------------------------------------------------


def _alert_payload(alert: Alert, currency: str) -> dict[str, Any]:
    kind = alert.dedupe_key.split(":", 1)[0] if alert.dedupe_key.startswith(("forecast:", "overrun:")) else "threshold"
    return {"id": alert.pk, "kind": kind,
            "scope": alert.scope, "key": alert.key, "threshold": alert.threshold, "spent": float(alert.spent),
            "budget": float(alert.budget), "currency": currency, "message": alert.message,
            "periodStart": alert.period_start.isoformat(), "raisedAt": alert.raised_at.isoformat()}


def render_body(webhook: Webhook, *, event: str, text: str, data: dict[str, Any]) -> str:
    """The body to send: Slack-compatible (`text`, plus our fields under `aura`) or our own JSON."""
    ours = {"event": event, "text": text, **data}
    if webhook.slack_format:
        return json.dumps({"text": text, "aura": ours}, separators=(",", ":"), sort_keys=True)
    return json.dumps(ours, separators=(",", ":"), sort_keys=True)


def sign(secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of the raw body>`, what receivers compare in constant time."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


DELIVER = "costs.tasks.deliver_webhook"


def _queue(delivery_ids: list[int]) -> None:
    """Queue the first attempt of each delivery once the transaction that made them commits."""
    for delivery_id in delivery_ids:
        enqueue(DELIVER, delivery_id, 1, on_commit=True)


@transaction.atomic
def webhook_send_test(*, webhook_id: int) -> WebhookDelivery:
    """Queue a test message to one webhook; it shows in the delivery log like any other."""
    webhook = webhook_get(webhook_id)
    body = render_body(webhook, event="test", text=f"Test message from Aura to the webhook {webhook.name!r}.",
                       data={"sentAt": timezone.now().isoformat()})
    delivery = WebhookDelivery.objects.create(webhook=webhook, event="test", body=body)
    _queue([delivery.pk])
    return delivery


def alerts_notify(*, dedupe_keys: list[str]) -> list[int]:
    """Queue one delivery of each new alert to every enabled webhook (a repeated call adds nothing)."""
    webhooks = list(Webhook.objects.filter(enabled=True))
    if not webhooks or not dedupe_keys:
        return []
    currency = configuration_get().currency
    alerts = list(Alert.objects.filter(dedupe_key__in=dedupe_keys))
    rows = [WebhookDelivery(webhook=w, alert=a, event="budget.alert",
                            body=render_body(w, event="budget.alert", text=a.message,
                                             data={"alert": _alert_payload(a, currency)}))
            for w in webhooks for a in alerts]
    with transaction.atomic():
        WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
        ids = list(WebhookDelivery.objects.filter(alert__in=alerts, webhook__in=webhooks, attempts=0,
                                                  state=WebhookDelivery.State.PENDING).values_list("pk", flat=True))
    _queue(ids)
    return ids


# ---- sending -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    sent: bool  # False: not this attempt's turn (already taken, or the delivery is finished)
    state: str = ""
    status_code: int | None = None
    retry_in: float | None = None  # seconds until the next attempt, when one is due


def _backoff(attempt: int) -> float:
    return min(settings.AURA_WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempt - 1), 3600.0)


def delivery_attempt(*, delivery_id: int, attempt: int) -> Attempt:
    """Make attempt number `attempt` of a delivery: POST the signed body, record the answer."""
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, attempts=attempt - 1, state=WebhookDelivery.State.PENDING,
    ).update(attempts=F("attempts") + 1, last_attempt_at=timezone.now())
    if not claimed:
        return Attempt(sent=False)
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    webhook = delivery.webhook
    status_code, error, retry = None, "", True
    secret = ask("secret_decrypt", webhook.secret_encrypted)
    if secret is None:
        error, retry = "the webhook's secret cannot be decrypted (was the encryption key changed?)", False
    else:
        try:
            webhook_url_check(webhook.url)
            body = delivery.body.encode()
            headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                       SIGNATURE_HEADER: sign(secret, body), "X-Aura-Event": delivery.event,
                       "X-Aura-Delivery": str(delivery.pk)}
            with outbound_client(allow_private=settings.AURA_ALLOW_PRIVATE_WEBHOOK_URLS,
                                 timeout=settings.AURA_WEBHOOK_TIMEOUT) as client:
                response = client.post(webhook.url, content=body, headers=headers)
            status_code = response.status_code
            if response.is_redirect or 300 <= status_code < 400:
                error, retry = f"redirect to {response.headers.get('location', '?')[:200]} refused", False
            elif 400 <= status_code < 500 and status_code not in {408, 429}:
                error, retry = f"the receiver refused the message (HTTP {status_code})", False
            elif status_code >= 400:
                error = f"HTTP {status_code}"
        except (UnsafeUrl, OutboundRefused) as exc:  # refused up front, or where the socket was opened
            error, retry = str(exc), False
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: could not reach the receiver"
    now = timezone.now()
    if not error:
        state, retry_in = WebhookDelivery.State.DELIVERED, None
    elif retry and attempt < settings.AURA_WEBHOOK_MAX_ATTEMPTS:
        state, retry_in = WebhookDelivery.State.PENDING, _backoff(attempt)
    else:
        state, retry_in = WebhookDelivery.State.FAILED, None
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        state=state, status_code=status_code, error=error[:500], delivered_at=now if not error else None)
    if error:
        logger.warning("Webhook %s delivery %s attempt %s failed: %s", webhook.pk, delivery_id, attempt, error)
    return Attempt(sent=True, state=state, status_code=status_code, retry_in=retry_in)
