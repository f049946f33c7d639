"""Alerts: a budget threshold reached, a call that overran its reservation; raised once, e-mailed, sent on."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from aura_site.errors import NotFound

from .budgets import Scope
from .configuration import configuration_get
from .display import format_money
from .ledger_sql import rows_insert_new
from .models import Alert, AlertFrequency, CostConfiguration
from .money import money
from .webhooks import alerts_notify

logger = logging.getLogger(__name__)
OVERRUN_SHARE_CAP = 32767  # an overrun alert's share of its reservation is kept within its column


def alert_candidates(config: CostConfiguration, scope: Scope, period_start, before: Decimal, after: Decimal,
                     stamp: str, today) -> list[Alert]:
    """Alerts for each threshold the spending has reached, keyed so frequency rules hold."""
    if not scope.budget:
        return []
    found = []
    for threshold in config.alert_thresholds or []:
        limit = scope.budget * Decimal(threshold) / 100
        if after < limit:
            continue
        if config.alert_frequency == AlertFrequency.ONCE:
            key = f"{scope.scope}:{scope.key}:{period_start.isoformat()}:{threshold}"
        elif config.alert_frequency == AlertFrequency.DAILY:
            key = f"{scope.scope}:{scope.key}:{period_start.isoformat()}:{threshold}:{today}"
        else:
            key = f"{scope.scope}:{scope.key}:{period_start.isoformat()}:{threshold}:{stamp}"
        found.append(Alert(
            dedupe_key=key[:300], period_start=period_start, scope=scope.scope, key=scope.key, threshold=threshold,
            spent=money(after), budget=money(scope.budget),
            message=f"{threshold}% of the {scope.label} reached: {format_money(after, config.currency)} of "
                    f"{format_money(scope.budget, config.currency)} spent.",
        ))
    return found


def overrun_alert(config: CostConfiguration, op: dict[str, Any], cost: Decimal, period_start) -> Alert:
    """The alert of a call that cost more than it had reserved (`threshold`: the share of it used, in %)."""
    reserved = money(op.get("reserved") or 0)
    share = cost * 100 / reserved if reserved else Decimal(OVERRUN_SHARE_CAP)
    cur = config.currency
    return Alert(
        dedupe_key=f"overrun:{op['idempotency_key']}"[:300], period_start=period_start, scope="job",
        key=op.get("job_id") or "", threshold=min(int(share), OVERRUN_SHARE_CAP), spent=cost, budget=reserved,
        message=(f"Overrun: the {op['stage']} call of job {op.get('job_id') or '-'} cost "
                 f"{format_money(cost, cur, unit=True)}, more than the {format_money(reserved, cur, unit=True)} "
                 f"it had reserved; recorded at the provider's reported usage.")[:500],
    )


def raise_alerts(config: CostConfiguration, candidates: list[Alert]) -> list[Alert]:
    """Store the new alerts among `candidates` (one per key, ever) and, after commit, e-mail and send them on."""
    if not candidates:
        return []
    unique, seen = [], set()
    for alert in candidates:
        if alert.dedupe_key not in seen:
            seen.add(alert.dedupe_key)
            unique.append(alert)
    # One statement: alerts already raised (by us or a concurrent writer) are skipped, not re-read.
    ids = dict((key, pk) for pk, key in rows_insert_new(Alert, unique, unique="dedupe_key",
                                                       returning=("id", "dedupe_key")))
    fresh = [a for a in unique if a.dedupe_key in ids]
    for alert in fresh:
        alert.pk = ids[alert.dedupe_key]
    keys = [a.dedupe_key for a in fresh]
    if fresh and config.email_notifications_enabled:
        transaction.on_commit(lambda: alerts_email(dedupe_keys=keys))
    if fresh:
        transaction.on_commit(lambda: alerts_notify(dedupe_keys=keys))
    return sorted(fresh, key=lambda a: (a.raised_at, a.pk), reverse=True)


def alerts_email(*, dedupe_keys: list[str]) -> None:
    """E-mail new alerts through Django's mail settings (after the transaction that raised them)."""
    config = configuration_get()
    alerts = list(Alert.objects.filter(dedupe_key__in=dedupe_keys, emailed=False))
    if not alerts:
        return
    recipient = config.notification_email or settings.DEFAULT_FROM_EMAIL
    body = "\n".join(a.message for a in alerts)
    try:
        send_mail(f"Aura budget alert: {alerts[0].message}", body, settings.DEFAULT_FROM_EMAIL, [recipient])
    except OSError:
        logger.exception("Could not e-mail %d budget alert(s)", len(alerts))
        return
    Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(emailed=True)


def alert_acknowledge(*, alert_id: int, user) -> Alert:
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(pk=alert_id).first()
        if alert is None:
            raise NotFound(f"No alert {alert_id}.")
        if alert.acknowledged_at is None:
            alert.acknowledged_at = timezone.now()
            alert.acknowledged_by = user.get_username()
            alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        return alert
