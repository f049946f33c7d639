"""Probes: test a catalog model against its provider, record the outcome, close probes whose worker died."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import providers
from .connections import provider_api_key
from .models import CatalogModel, ProbeResult, Provider
from .selectors import provider_state
from .services import _catalog_model, _user_or_none


@transaction.atomic
def probe_start(*, provider: str, model_id: str, user=None, correlation_id: str = "") -> ProbeResult:
    """Record a pending probe of a catalog model (the task runs it)."""
    provider_row, row = _catalog_model(provider, model_id)
    return ProbeResult.objects.create(
        provider=provider_row.name,
        model_id=row.model_id,
        tested_by=_user_or_none(user),
        correlation_id=correlation_id,
    )


def probe_execute(*, probe_id: int, api_key: str | None = None) -> ProbeResult:
    """Call the provider's API for the probe, store the outcome and feed it to availability.

    `api_key` (from the request) is used for this call only; it is never stored or logged.
    """
    probe = ProbeResult.objects.get(pk=probe_id)
    if probe.status == "done":
        return probe  # running twice is harmless
    provider = Provider.objects.get(name=probe.provider)
    key = api_key or provider_api_key(provider)
    outcome = providers.get(provider.kind).probe(
        base_url=provider_state(provider).base_url, api_key=key, model_id=probe.model_id,
        timeout=settings.AURA_PROBE_TIMEOUT,
    )
    error = outcome.error_message
    if error and key:
        error = error.replace(key, "[redacted]")  # belt and braces: the client never echoes keys
    return _probe_record(probe_id=probe.pk, outcome=outcome, error=error, used_request_key=bool(api_key))


# A probe still pending this long after it was asked for lost its worker (the task limit is 90 s).
PROBE_GIVE_UP_SECONDS = 180


def probes_sweep() -> int:
    """Close probes whose worker died before answering; returns how many."""
    cutoff = timezone.now() - timedelta(seconds=PROBE_GIVE_UP_SECONDS)
    return ProbeResult.objects.filter(status="pending", created_at__lt=cutoff).update(
        status="done", error_message="The worker stopped before the probe finished; run the test again.",
        tested_at=timezone.now(),
    )


@transaction.atomic
def _probe_record(*, probe_id: int, outcome, error: str | None, used_request_key: bool) -> ProbeResult:
    probe = ProbeResult.objects.select_for_update().get(pk=probe_id)
    now = timezone.now()
    probe.status = "done"
    probe.is_available = outcome.is_available
    probe.is_deprecated = outcome.is_deprecated
    probe.context_window = outcome.context_window
    probe.max_tokens = outcome.max_tokens
    probe.latency_ms = outcome.latency_ms
    probe.error_message = error or ""
    probe.used_request_key = used_request_key
    probe.tested_at = now
    probe.save()
    CatalogModel.objects.filter(provider=probe.provider, model_id=probe.model_id).update(
        last_probe_ok=outcome.is_available,
        last_probe_error=error or "",
        last_probe_latency_ms=outcome.latency_ms,
        last_probed_at=now,
    )
    return probe
