"""REST routes of provider connections and probes, mounted in the models_selection router (full paths below).

Their operation ids are those of the routes when they lived in `models_selection/api.py`, so the OpenAPI
document does not change.
"""

from __future__ import annotations

from celery.exceptions import TimeoutError as CeleryTimeout
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from aura_site.auth import read_access, write_access
from aura_site.broker import enqueue
from aura_site.schemas import READ_ERRORS, WRITE_ERRORS, ErrorOut

from . import connections, probes, selectors
from .models import CatalogModel, ProbeResult, Provider
from .schemas import ProbeIn, ProbeOut, ProviderIn, ProviderOut
from .tasks import probe_run, seal_key

router = Router(by_alias=True)  # its tag, "Model selection", comes from the router it is mounted in


@router.post(
    "/models/test",
    operation_id="models_selection_api_model_test",
    response={200: ProbeOut, **WRITE_ERRORS, 503: ErrorOut, 504: ErrorOut},
    auth=write_access(ProbeResult, "add"),
)
def model_test(request: HttpRequest, payload: ProbeIn):
    """Probe a model against its provider's real API (in a Celery task); the apiKey is used once."""
    probe = probes.probe_start(
        provider=payload.provider,
        model_id=payload.model_id,
        user=request.user,
        correlation_id=request.correlation_id,
    )
    result = enqueue(probe_run, probe.pk, seal_key(payload.api_key), undo=probe.delete)
    try:
        result.get(timeout=60, propagate=True, disable_sync_subtasks=False)
    except CeleryTimeout:
        return Status(
            504,
            {
                "detail": "The probe did not finish within 60 seconds; see GET /api/models/available later.",
                "errors": [],
            },
        )
    probe.refresh_from_db()
    return {
        "provider": probe.provider,
        "model_id": probe.model_id,
        "is_available": bool(probe.is_available),
        "is_deprecated": bool(probe.is_deprecated)
        if probe.is_deprecated is not None
        else CatalogModel.objects.get(provider=probe.provider, model_id=probe.model_id).is_deprecated,
        "context_window": probe.context_window,
        "max_tokens": probe.max_tokens,
        "latency_ms": probe.latency_ms,
        "error_message": probe.error_message or None,
        "tested_at": probe.tested_at,
        "correlation_id": request.correlation_id,
    }



def _provider(row: Provider, state: selectors.ProviderState) -> dict:
    return {
        "name": row.name,
        "kind": row.kind,
        "base_url": state.base_url,
        "enabled": row.enabled,
        "needs_api_key": row.needs_api_key,
        "has_api_key": state.has_api_key,
        "api_key_source": state.key_source,
        "is_usable": state.unavailable_reason() is None,
        "unusable_reason": state.unavailable_reason(),
    }


@router.get(
    "/models/providers",
    response={200: list[ProviderOut], **READ_ERRORS},
    auth=read_access(Provider),
    operation_id="models_selection_api_providers_get",
)
@paginate
def providers_get(request: HttpRequest):
    """Providers with their base URL and whether a key is configured (never the key)."""
    return [_provider(row, state) for row, state in selectors.providers_list()]


@router.put(
    "/models/providers/{provider}",
    operation_id="models_selection_api_provider_put",
    response={200: ProviderOut, **WRITE_ERRORS},
    auth=write_access(Provider, "change"),
)
def provider_put(request: HttpRequest, provider: str, payload: ProviderIn):
    """Set baseUrl, apiKey (write-only; "" removes it) and enabled; adds OpenAI-compatible providers."""
    row = connections.provider_update(
        name=provider,
        base_url=payload.base_url,
        api_key=payload.api_key,
        enabled=payload.enabled,
        kind=payload.kind,
    )
    cleared = getattr(row, "api_key_cleared", False)
    return {
        **_provider(row, selectors.provider_state(row)),
        "api_key_cleared": cleared,
        "notice": (
            f"The base URL of {row.name} changed, so its stored API key was removed: a key is only sent to the "
            "base URL it was saved with. Send apiKey with the new baseUrl to keep one."
        ) if cleared else None,
    }
