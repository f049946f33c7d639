"""Reads: the catalog with availability and prices, selections, histories, providers, and what other apps need."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from aura_site import pricing_seam

from . import providers
from .keys import env_value
from .models import (
    CatalogModel,
    ModelSelection,
    Provider,
    ResolutionAudit,
    Scope,
    SelectionChange,
    SelectionSettings,
)
from .stages import STAGES


def default_base_url(kind: str) -> str:
    """The vendor's base URL for this kind of provider (models_selection.providers), "" if none or unknown."""
    try:
        return providers.get(kind).default_base_url
    except ValueError:
        return ""


@dataclass(frozen=True)
class ProviderState:
    """What availability needs to know about a provider, with no secret in it."""

    name: str
    kind: str
    enabled: bool
    needs_api_key: bool
    key_source: str | None  # "stored", "environment" or None
    base_url: str
    # A stored key saved for another base URL: kept, but never sent to this one.
    key_bound_elsewhere: bool = False

    @property
    def has_api_key(self) -> bool:
        return self.key_source is not None

    def unavailable_reason(self) -> str | None:
        if not self.enabled:
            return f"provider {self.name} is disabled"
        if self.needs_api_key and not self.has_api_key:
            if self.key_bound_elsewhere:
                return (f"provider {self.name}'s stored API key was saved for another base URL and is not sent to "
                        f"{self.base_url}; enter the key again")
            return f"provider {self.name} has no API key (set it in admin, the API or {_env_key(self.name)})"
        return None


def _env_key(name: str) -> str:
    cleaned = "".join(c if c.isalnum() else "_" for c in name.upper())
    return f"AURA_{cleaned}_API_KEY"


def provider_configured_base_url(provider: Provider) -> str:
    """The base URL the operator configured outside the app: AURA_<NAME>_BASE_URL, else the vendor's."""
    return env_value(f"{provider.env_prefix}BASE_URL") or default_base_url(provider.kind)


def provider_state(provider: Provider) -> ProviderState:
    """The provider's state; reads the environment, never the network.

    A key is only ever used with the base URL it belongs to: a stored key with the URL it was saved
    with, a key from the environment with the URL from the environment (or the vendor's default).
    """
    configured = provider_configured_base_url(provider)
    base_url = provider.base_url or configured
    bound_elsewhere = False
    if provider.encrypted_api_key and provider.api_key_base_url == base_url:
        key_source = "stored"
    elif env_value(f"{provider.env_prefix}API_KEY") and base_url == configured:
        key_source = "environment"
    else:
        key_source = None
        bound_elsewhere = bool(provider.encrypted_api_key)
    return ProviderState(
        provider.name, provider.kind, provider.enabled, provider.needs_api_key, key_source, base_url,
        bound_elsewhere,
    )


def provider_states() -> dict[str, ProviderState]:
    """Every provider by lower-cased name (one query)."""
    return {p.name.lower(): provider_state(p) for p in Provider.objects.all()}


def model_unavailable_reason(row: CatalogModel | None, provider: ProviderState | None) -> str | None:
    """Why this catalog model cannot run now, or None when it can. Only database facts count."""
    if row is None:
        return "not in the model catalog"
    if row.is_retired:
        return f"retired by the vendor{f' (replacement: {row.replacement})' if row.replacement else ''}"
    if provider is None:
        return f"provider {row.provider} is not configured"
    reason = provider.unavailable_reason()
    if reason:
        return reason
    if row.last_probe_ok is False:
        return f"the last probe failed: {row.last_probe_error or 'unknown error'}"
    return None


class CatalogIndex:
    """The catalog in memory: look models up by provider and id or alias, case-insensitively."""

    def __init__(self, rows: list[CatalogModel]) -> None:
        self.rows = rows
        self._by_key: dict[tuple[str, str], CatalogModel] = {}
        self._by_model: dict[str, list[CatalogModel]] = {}
        for row in rows:
            for name in [row.model_id, *row.aliases]:
                self._by_key.setdefault((row.provider.lower(), name.lower()), row)
                bucket = self._by_model.setdefault(name.lower(), [])
                if row not in bucket:
                    bucket.append(row)

    @classmethod
    def load(cls) -> CatalogIndex:
        """The catalog with each model's price (aura_site.pricing_seam), in one query."""
        return cls(list(pricing_seam.with_prices(CatalogModel.objects.all())))

    def get(self, provider: str, model_id: str) -> CatalogModel | None:
        return self._by_key.get((provider.lower(), model_id.lower()))

    def by_model(self, model_id: str) -> list[CatalogModel]:
        return list(self._by_model.get(model_id.lower(), []))


def price_key(row: CatalogModel) -> Decimal:
    """Input plus output price per 1K tokens from the price table (rows loaded with their price, see
    CatalogIndex.load); unknown prices sort last."""
    price = pricing_seam.price_of(row)
    return price.per_1k_in_and_out if price is not None else Decimal("Infinity")


def ranked_candidates(
    *,
    catalog: CatalogIndex,
    providers: dict[str, ProviderState],
    stage: str,
    prefer_provider: str = "",
    exclude: tuple[str, str] | None = None,
) -> list[CatalogModel]:
    """Available, non-deprecated models suiting the stage: the preferred provider first, then cheapest."""
    preferred = prefer_provider.lower()
    candidates = [
        row
        for row in catalog.rows
        if stage in row.stages
        and not row.is_deprecated
        and model_unavailable_reason(row, providers.get(row.provider.lower())) is None
        and (exclude is None or (row.provider.lower(), row.model_id.lower()) != exclude)
    ]
    return sorted(
        candidates, key=lambda r: (r.provider.lower() != preferred, price_key(r), r.provider, r.model_id)
    )


@dataclass(frozen=True)
class CatalogEntry:
    row: CatalogModel
    unavailable_reason: str | None

    @property
    def is_available(self) -> bool:
        return self.unavailable_reason is None


def catalog_available(*, provider: str | None = None) -> dict[str, list[CatalogEntry]]:
    """Catalog models grouped by provider (with their prices), each saying whether it can run and why not
    (two queries)."""
    providers = provider_states()
    rows = pricing_seam.with_prices(CatalogModel.objects.all())
    if provider:
        rows = rows.filter(provider__iexact=provider)
    grouped: dict[str, list[CatalogEntry]] = {}
    for row in rows:
        state = providers.get(row.provider.lower())
        grouped.setdefault(row.provider, []).append(CatalogEntry(row, model_unavailable_reason(row, state)))
    return grouped


@dataclass(frozen=True)
class CurrentSelections:
    global_defaults: list[ModelSelection]
    stage_selections: list[ModelSelection]
    project_selections: list[ModelSelection]
    allow_automatic_fallback: bool


def selection_settings() -> SelectionSettings:
    return SelectionSettings.objects.get_or_create(pk=1)[0]


def selections_current(*, project_id: str | None = None) -> CurrentSelections:
    """Every selection (project ones for one project when given), and the fallback setting."""
    rows = ModelSelection.objects.all()
    if project_id is not None:
        rows = rows.filter(~Q(scope=Scope.PROJECT) | Q(project_id=project_id))
    grouped: dict[str, list[ModelSelection]] = {Scope.GLOBAL: [], Scope.STAGE: [], Scope.PROJECT: []}
    order = {stage: i for i, stage in enumerate(("", *STAGES))}
    for row in rows:
        grouped[row.scope].append(row)
    for items in grouped.values():
        items.sort(key=lambda r: (r.project_id, order.get(r.stage, 99)))
    return CurrentSelections(
        grouped[Scope.GLOBAL],
        grouped[Scope.STAGE],
        grouped[Scope.PROJECT],
        selection_settings().allow_automatic_fallback,
    )


def selection_history(*, limit: int | None = 100):
    """Selection changes, newest first (a queryset when limit is None, for paging)."""
    rows = SelectionChange.objects.all()
    return rows if limit is None else list(rows[:limit])


def audit_log(
    *,
    limit: int | None = 100,
    stage: str | None = None,
    job_id: str | None = None,
    source: str | None = None,
    blocked: bool | None = None,
):
    """Resolution audit entries, newest first, filtered (a queryset when limit is None, for paging)."""
    rows = ResolutionAudit.objects.all()
    if stage:
        rows = rows.filter(stage=stage)
    if job_id:
        rows = rows.filter(job_id=job_id)
    if source:
        rows = rows.filter(source=source)
    if blocked is not None:
        rows = rows.filter(is_blocked=blocked)
    return rows if limit is None else list(rows[:limit])


def providers_list() -> list[tuple[Provider, ProviderState]]:
    return [(p, provider_state(p)) for p in Provider.objects.all()]


def pinned_stage_models() -> dict[str, tuple[str, str]]:
    """Stage → (provider, modelId) for every pinned Stage selection (for the costs app)."""
    rows = ModelSelection.objects.filter(scope=Scope.STAGE, is_pinned=True)
    return {row.stage: (row.provider, row.model_id) for row in rows}


def outdated_models() -> set[tuple[str, str]]:
    """(provider, modelId) in lower case of every catalog model deprecated or retired (for the costs app)."""
    rows = CatalogModel.objects.filter(Q(is_deprecated=True) | Q(is_retired=True)).values_list("provider", "model_id")
    return {(p.lower(), m.lower()) for p, m in rows}
