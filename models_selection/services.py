"""Writes and rules of model selection: selections, settings, providers, resolution, probes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from aura_site.errors import ValidationFailed
from aura_site.outbound import OutboundRefused, outbound_url_clean

from . import providers
from .keys import env_value, key_decrypt, key_encrypt
from .models import (
    CatalogModel,
    ModelSelection,
    ProbeResult,
    Provider,
    ProviderKind,
    ResolutionAudit,
    Scope,
    SelectionChange,
    SelectionSettings,
)
from .resolver import Resolution, ResolutionContext, RunOverride, normalize_overrides, resolve_in_memory
from .selectors import provider_state
from .stages import STAGES

logger = logging.getLogger(__name__)

def _username(user) -> str:
    return user.get_username() if user is not None and user.is_authenticated else ""


def _user_or_none(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


# --- Resolution ---------------------------------------------------------------------------------------


def _audit_rows(resolutions: list[Resolution], *, job_id: str, correlation_id: str) -> list[ResolutionAudit]:
    now = timezone.now()
    return [
        ResolutionAudit(
            provider=r.provider,
            stage=r.stage,
            model_id=r.model_id,
            source=r.source,
            reasoning=r.reasoning,
            is_pinned=r.is_pinned,
            is_blocked=r.is_blocked,
            timestamp=now,
            job_id=job_id,
            correlation_id=correlation_id,
            alternatives=[{"provider": a.provider, "modelId": a.model_id} for a in r.alternatives],
        )
        for r in resolutions
    ]


@transaction.atomic
def stages_resolve(
    *,
    stages: list[str] | None = None,
    overrides: dict[str, RunOverride] | None = None,
    project_id: str | None = None,
    allow_auto_fallback: bool = False,
    job_id: str = "",
    correlation_id: str = "",
    global_defaults_only: frozenset[str] = frozenset(),
) -> list[Resolution]:
    """Resolve several stages with four reads and one bulk audit insert, whatever the table sizes."""
    wanted = list(stages) if stages else list(STAGES)
    unknown = [s for s in wanted if s not in STAGES]
    if unknown:
        raise ValidationFailed.on("stages", f"unknown stage {unknown[0]!r}; use one of {', '.join(STAGES)}")
    ctx = ResolutionContext.load(project_id=project_id or None)
    normalized = normalize_overrides(ctx, overrides or {})
    resolutions = [
        resolve_in_memory(
            stage=stage,
            ctx=ctx,
            overrides=normalized,
            allow_run_fallback=allow_auto_fallback,
            global_defaults_only=stage in global_defaults_only,
        )
        for stage in dict.fromkeys(wanted)
    ]
    ResolutionAudit.objects.bulk_create(
        _audit_rows(resolutions, job_id=job_id, correlation_id=correlation_id)
    )
    return resolutions


def stage_resolve(
    *,
    stage: str,
    overrides: dict[str, RunOverride] | None = None,
    project_id: str | None = None,
    allow_auto_fallback: bool = False,
    job_id: str = "",
    correlation_id: str = "",
) -> Resolution:
    """Resolve one stage (and write its one audit entry)."""
    return stages_resolve(
        stages=[stage],
        overrides=overrides,
        project_id=project_id,
        allow_auto_fallback=allow_auto_fallback,
        job_id=job_id,
        correlation_id=correlation_id,
    )[0]


# --- Selections ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SelectionOutcome:
    applied: bool
    reason: str
    deprecation_warning: str | None
    selection: ModelSelection | None


def _selection_snapshot(row: ModelSelection | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "provider": row.provider,
        "modelId": row.model_id,
        "isPinned": row.is_pinned,
        "setBy": row.set_by_name,
        "setAt": row.set_at.isoformat(),
        "reason": row.reason,
    }


def _catalog_model(
    provider: str, model_id: str, *, provider_field: str = "provider", model_field: str = "modelId"
) -> tuple[Provider, CatalogModel]:
    """The provider row and catalog row (aliases resolved), or a 422 naming the field."""
    provider_row = Provider.objects.filter(name__iexact=provider.strip()).first()
    if provider_row is None:
        known = ", ".join(Provider.objects.values_list("name", flat=True))
        raise ValidationFailed.on(provider_field, f"unknown provider {provider!r}; known: {known}")
    wanted = model_id.strip().lower()
    for row in CatalogModel.objects.filter(provider=provider_row.name):
        if row.model_id.lower() == wanted or wanted in (a.lower() for a in row.aliases):
            return provider_row, row
    raise ValidationFailed.on(model_field, f"{model_id!r} is not a {provider_row.name} model in the catalog")


def _check_slot(*, scope: str, stage: str, project_id: str) -> None:
    if scope not in Scope.values:
        raise ValidationFailed.on("scope", f"must be one of {', '.join(Scope.values)}")
    if stage and stage not in STAGES:
        raise ValidationFailed.on("stage", f"unknown stage; use one of {', '.join(STAGES)} (or empty)")
    if scope == Scope.GLOBAL and stage:
        raise ValidationFailed.on("stage", "a Global selection applies to every stage; leave stage empty")
    if scope == Scope.STAGE and not stage:
        raise ValidationFailed.on("stage", "a Stage selection needs a stage")
    if scope == Scope.PROJECT and not project_id:
        raise ValidationFailed.on("projectId", "a Project selection needs a projectId")
    if scope != Scope.PROJECT and project_id:
        raise ValidationFailed.on("projectId", "only Project selections take a projectId")


@transaction.atomic
def selection_set(
    *,
    scope: str,
    stage: str,
    provider: str,
    model_id: str,
    pin: bool = False,
    reason: str = "",
    project_id: str = "",
    allow_deprecated: bool = False,
    user=None,
    correlation_id: str = "",
) -> SelectionOutcome:
    """Set one slot (replacing what was there); a deprecated model needs allow_deprecated."""
    stage = stage or ""
    project_id = project_id or ""
    _check_slot(scope=scope, stage=stage, project_id=project_id)
    if pin and scope != Scope.STAGE:
        # Only run overrides and stage selections are pinnable (the guide's precedence table).
        raise ValidationFailed.on("pin", "only Stage selections can be pinned")
    provider_row, row = _catalog_model(provider, model_id)
    warning = None
    if row.is_deprecated:
        replacement = f"; the recommended replacement is {row.replacement}" if row.replacement else ""
        retired = " and no longer served by the vendor, so it will be unavailable" if row.is_retired else ""
        warning = f"{row.model_id} is deprecated{retired}{replacement}."
        if not allow_deprecated:
            return SelectionOutcome(
                False,
                "Not applied: the model is deprecated. Send allowDeprecated: true to use it anyway.",
                warning,
                None,
            )
    existing = (
        ModelSelection.objects.select_for_update()
        .filter(scope=scope, stage=stage, project_id=project_id)
        .first()
    )
    before = _selection_snapshot(existing)
    now = timezone.now()
    selection = existing or ModelSelection(scope=scope, stage=stage, project_id=project_id)
    selection.provider = provider_row.name
    selection.model_id = row.model_id
    selection.is_pinned = pin
    selection.set_by = _user_or_none(user)
    selection.set_by_name = _username(user) or "cli"
    selection.set_at = now
    selection.reason = reason
    selection.save()
    SelectionChange.objects.create(
        action="set",
        scope=scope,
        stage=stage,
        project_id=project_id,
        before=before,
        after=_selection_snapshot(selection),
        changed_by=_user_or_none(user),
        changed_by_name=_username(user),
        reason=reason,
        correlation_id=correlation_id,
    )
    return SelectionOutcome(True, "Model selection saved successfully", warning, selection)


@transaction.atomic
def selection_clear(
    *,
    provider: str | None = None,
    stage: str | None = None,
    scope: str | None = None,
    project_id: str | None = None,
    reason: str = "",
    user=None,
    correlation_id: str = "",
) -> int:
    """Empty every slot matching the filter; returns how many were cleared."""
    rows = ModelSelection.objects.select_for_update()
    if scope is not None:
        if scope not in Scope.values:
            raise ValidationFailed.on("scope", f"must be one of {', '.join(Scope.values)}")
        rows = rows.filter(scope=scope)
    if stage is not None:
        if stage and stage not in STAGES:
            raise ValidationFailed.on("stage", f"unknown stage; use one of {', '.join(STAGES)} (or empty)")
        rows = rows.filter(stage=stage)
    if provider is not None:
        if not Provider.objects.filter(name__iexact=provider).exists():
            raise ValidationFailed.on("provider", f"unknown provider {provider!r}")
        rows = rows.filter(provider__iexact=provider)
    if project_id is not None:
        rows = rows.filter(project_id=project_id)
    cleared = list(rows)
    SelectionChange.objects.bulk_create(
        [
            SelectionChange(
                action="clear",
                scope=row.scope,
                stage=row.stage,
                project_id=row.project_id,
                before=_selection_snapshot(row),
                after=None,
                changed_by=_user_or_none(user),
                changed_by_name=_username(user),
                reason=reason,
                correlation_id=correlation_id,
            )
            for row in cleared
        ]
    )
    ModelSelection.objects.filter(pk__in=[row.pk for row in cleared]).delete()
    return len(cleared)


@transaction.atomic
def settings_update(*, allow_automatic_fallback: bool, user=None) -> SelectionSettings:
    row, _ = SelectionSettings.objects.select_for_update().get_or_create(pk=1)
    row.allow_automatic_fallback = allow_automatic_fallback
    row.updated_by_name = _username(user)
    row.save()
    return row


# --- Providers ----------------------------------------------------------------------------------------


@transaction.atomic
def provider_update(
    *,
    name: str,
    base_url: str | None = None,
    api_key: str | None = None,
    enabled: bool | None = None,
    kind: str | None = None,
) -> Provider:
    """Change a provider, or add an OpenAI-compatible endpoint. An empty api_key removes the stored key.

    A stored key belongs to the base URL it was saved with: changing the base URL removes the stored
    key unless the same call supplies one (the returned row then has `api_key_cleared` set).
    """
    if base_url is not None:
        base_url = provider_base_url_clean(base_url)
    row = Provider.objects.select_for_update().filter(name__iexact=name).first()
    if row is None:
        if not name.strip() or len(name) > 50:
            raise ValidationFailed.on("provider", "a provider name has 1 to 50 characters")
        if kind not in (None, ProviderKind.OPENAI_COMPATIBLE):
            raise ValidationFailed.on("kind", "new providers are OpenAI-compatible endpoints")
        if not base_url:
            raise ValidationFailed.on("baseUrl", "a new OpenAI-compatible provider needs a baseUrl")
        row = Provider(name=name.strip(), kind=ProviderKind.OPENAI_COMPATIBLE,
                       needs_api_key=providers.get(ProviderKind.OPENAI_COMPATIBLE).needs_key)
    elif kind is not None and kind != row.kind:
        raise ValidationFailed.on("kind", f"{row.name} is a {row.kind} provider; its kind cannot change")
    url_before = provider_state(row).base_url
    if base_url is not None:
        row.base_url = base_url
    url_after = provider_state(row).base_url
    row.api_key_cleared = False
    if api_key is not None:
        row.encrypted_api_key = key_encrypt(api_key) if api_key else ""
        row.api_key_base_url = url_after if api_key else ""
    elif url_after != url_before and row.encrypted_api_key:
        row.encrypted_api_key, row.api_key_base_url = "", ""
        row.api_key_cleared = True
    if enabled is not None:
        row.enabled = enabled
    row.save()
    return row


def provider_base_url_clean(base_url: str) -> str:
    """A base URL as stored: trimmed, http(s), with a host and no credentials ("" means the default)."""
    if not base_url.strip():
        return ""
    try:
        return outbound_url_clean(base_url)
    except OutboundRefused as error:
        raise ValidationFailed.on("baseUrl", str(error)) from None


def provider_base_url_changed(*, name: str, url_before: str) -> bool:
    """After an edit outside provider_update (admin): drop the stored key if the base URL moved.

    Returns whether a key was removed.
    """
    row = Provider.objects.filter(name__iexact=name).first()
    if row is None or not row.encrypted_api_key or provider_state(row).base_url == url_before:
        return False
    Provider.objects.filter(pk=row.pk).update(encrypted_api_key="", api_key_base_url="")
    return True


def provider_api_key(provider: Provider) -> str | None:
    """The plain key to call the provider's current base URL with, or None.

    Only a key that belongs to that URL is returned (see selectors.provider_state).
    """
    source = provider_state(provider).key_source
    if source == "stored":
        return key_decrypt(provider.encrypted_api_key)
    if source == "environment":
        return env_value(f"{provider.env_prefix}API_KEY") or None
    return None


# --- Probes -------------------------------------------------------------------------------------------


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
