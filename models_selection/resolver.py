"""The six-level model resolution, in memory, over rows loaded in a constant number of queries.

Levels (DESIGN.md "Model selection"): 1 run override pinned (blocks), 2 run override, 3 stage selection
(pinned blocks, unpinned continues), 4 project override, 5 global default, 6 automatic fallback (only
when enabled for the run or globally). A model is never substituted: an unavailable choice is skipped
or blocks, it is never swapped for its replacement or a provider default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from aura_site.errors import FieldError, ValidationFailed

from .models import CatalogModel, ModelSelection, Scope, SelectionSettings, Source
from .selectors import (
    CatalogIndex,
    ProviderState,
    model_unavailable_reason,
    provider_states,
    ranked_candidates,
)
from .stages import STAGES

MAX_ALTERNATIVES = 5
PINNED_SOURCES = {Source.RUN_OVERRIDE_PINNED, Source.STAGE_PINNED}
NO_MODEL_MESSAGE = "no model selected; set one or enable automatic fallback"


@dataclass(frozen=True)
class RunOverride:
    """A per-run model for one stage; provider None means 'find the provider from the catalog'."""

    provider: str | None
    model_id: str
    pin: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"provider": self.provider, "modelId": self.model_id, "pin": self.pin}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunOverride:
        return cls(data.get("provider"), data["modelId"], bool(data.get("pin", False)))


@dataclass(frozen=True)
class Alternative:
    provider: str
    model_id: str


@dataclass
class Resolution:
    stage: str
    provider: str
    model_id: str
    source: str
    reasoning: str
    is_pinned: bool
    is_blocked: bool
    alternatives: list[Alternative] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "provider": self.provider,
            "model_id": self.model_id,
            "source": self.source,
            "reasoning": self.reasoning,
            "is_pinned": self.is_pinned,
            "is_blocked": self.is_blocked,
            "alternatives": [{"provider": a.provider, "model_id": a.model_id} for a in self.alternatives],
        }


@dataclass
class ResolutionContext:
    """Everything resolution reads, loaded once: settings, selections, providers, catalog."""

    allow_fallback_globally: bool
    stage_selections: dict[str, ModelSelection]
    project_selections: dict[str, ModelSelection]  # stage ("" = every stage) → selection
    global_default: ModelSelection | None
    providers: dict[str, ProviderState]
    catalog: CatalogIndex

    @classmethod
    def load(cls, *, project_id: str | None) -> ResolutionContext:
        """Four queries whatever the table sizes: settings, the relevant selections, providers, catalog."""
        settings_row = SelectionSettings.objects.filter(pk=1).first()
        wanted = Q(scope__in=[Scope.GLOBAL, Scope.STAGE])
        if project_id:
            wanted |= Q(scope=Scope.PROJECT, project_id=project_id)
        stage_sel: dict[str, ModelSelection] = {}
        project_sel: dict[str, ModelSelection] = {}
        global_sel = None
        for row in ModelSelection.objects.filter(wanted):
            if row.scope == Scope.GLOBAL:
                global_sel = row
            elif row.scope == Scope.STAGE:
                stage_sel[row.stage] = row
            else:
                project_sel[row.stage] = row
        return cls(
            allow_fallback_globally=bool(settings_row and settings_row.allow_automatic_fallback),
            stage_selections=stage_sel,
            project_selections=project_sel,
            global_default=global_sel,
            providers=provider_states(),
            catalog=CatalogIndex.load(),
        )

    def provider_name(self, name: str) -> str | None:
        state = self.providers.get(name.lower())
        return state.name if state else None

    def lookup(self, provider: str, model_id: str) -> tuple[CatalogModel | None, str | None]:
        """The catalog row (aliases resolved) and why it is unavailable (None: available)."""
        row = self.catalog.get(provider, model_id)
        return row, model_unavailable_reason(row, self.providers.get(provider.lower()))


def normalize_overrides(ctx: ResolutionContext, overrides: dict[str, RunOverride]) -> dict[str, RunOverride]:
    """Check stages and providers; name the provider of bare model ids; aliases become model ids."""
    errors: list[FieldError] = []
    normalized: dict[str, RunOverride] = {}
    for stage, override in overrides.items():
        path = f"modelOverrides.{stage}"
        if stage not in STAGES:
            errors.append(FieldError(path, f"unknown stage; use one of {', '.join(STAGES)}"))
            continue
        if not override.model_id.strip():
            errors.append(FieldError(f"{path}.modelId", "must not be empty"))
            continue
        provider = override.provider
        if provider:
            canonical = ctx.provider_name(provider)
            if canonical is None:
                errors.append(FieldError(f"{path}.provider", f"unknown provider {provider!r}"))
                continue
            provider = canonical
        else:
            matches = ctx.catalog.by_model(override.model_id)
            providers = sorted({row.provider for row in matches})
            if len(providers) > 1:
                errors.append(
                    FieldError(
                        f"{path}.modelId",
                        f"{override.model_id!r} is served by {' and '.join(providers)}; write provider:model",
                    )
                )
                continue
            # A bare id the catalog does not know keeps an empty provider: it is unavailable, not guessed.
            provider = providers[0] if providers else ""
        # Aliases are kept as given here; resolution names the model they stand for.
        normalized[stage] = RunOverride(provider, override.model_id, override.pin)
    if errors:
        raise ValidationFailed(
            "Invalid model overrides: " + "; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors
        )
    return normalized


def _label(provider: str, model_id: str) -> str:
    return f"{provider}:{model_id}" if provider else model_id


def _deprecation_note(row: CatalogModel | None) -> str:
    if row is not None and row.is_deprecated:
        replacement = f"; the vendor recommends {row.replacement}" if row.replacement else ""
        return f" Warning: {row.model_id} is deprecated{replacement}."
    return ""


def resolve_in_memory(
    *,
    stage: str,
    ctx: ResolutionContext,
    overrides: dict[str, RunOverride],
    allow_run_fallback: bool,
    global_defaults_only: bool = False,
) -> Resolution:
    """Resolve one stage from the loaded context (no queries)."""
    skipped: list[str] = []
    first_skipped_provider = ""

    def alternatives_for(provider: str, model_id: str) -> list[Alternative]:
        exclude = (provider.lower(), model_id.lower()) if provider and model_id else None
        ranked = ranked_candidates(
            catalog=ctx.catalog,
            providers=ctx.providers,
            stage=stage,
            prefer_provider=provider,
            exclude=exclude,
        )
        return [Alternative(r.provider, r.model_id) for r in ranked[:MAX_ALTERNATIVES]]

    def reasoning(final: str) -> str:
        if not skipped:
            return final
        return f"{final} Skipped: {'; '.join(skipped)}."

    def use(source: str, provider: str, model_id: str, row: CatalogModel | None, what: str) -> Resolution:
        model = row.model_id if row else model_id
        alias = f" ({model_id} is an alias of {model})" if row and model_id.lower() != model.lower() else ""
        text = f"Using {what}: {model}{alias}." + _deprecation_note(row)
        return Resolution(stage, provider, model, source, reasoning(text), source in PINNED_SOURCES, False)

    def block(
        source: str, provider: str, model_id: str, why: str, what: str, row: CatalogModel | None
    ) -> Resolution:
        model_id = row.model_id if row else model_id  # an alias is reported as the model it names
        text = (
            f"Blocked: {what} {_label(provider, model_id)} is unavailable ({why}); pinned selections "
            f"never fall back."
        )
        return Resolution(
            stage,
            provider,
            model_id,
            source,
            reasoning(text),
            True,
            True,
            alternatives_for(provider, model_id),
        )

    def skip(level: str, provider: str, model_id: str, why: str) -> None:
        nonlocal first_skipped_provider
        skipped.append(f"{level} {_label(provider, model_id)} unavailable ({why})")
        first_skipped_provider = first_skipped_provider or provider

    override = overrides.get(stage)
    if global_defaults_only:
        skipped.append("run override, stage and project levels set aside by the use-global-defaults decision")
    else:
        # Levels 1 and 2: the run override.
        if override is not None:
            row, why = ctx.lookup(override.provider or "", override.model_id)
            if override.pin:
                if why is None:
                    return use(
                        Source.RUN_OVERRIDE_PINNED,
                        row.provider,
                        override.model_id,
                        row,
                        "pinned run override",
                    )
                return block(
                    Source.RUN_OVERRIDE_PINNED,
                    override.provider or "",
                    override.model_id,
                    why,
                    "pinned run override",
                    row,
                )
            if why is None:
                return use(Source.RUN_OVERRIDE, row.provider, override.model_id, row, "run override")
            skip("run override", override.provider or "", override.model_id, why)
        else:
            skipped.append("no run override")
        # Level 3: the stage selection.
        selection = ctx.stage_selections.get(stage)
        if selection is not None:
            row, why = ctx.lookup(selection.provider, selection.model_id)
            if selection.is_pinned:
                if why is None:
                    return use(
                        Source.STAGE_PINNED, selection.provider, selection.model_id, row, "stage-pinned model"
                    )
                return block(
                    Source.STAGE_PINNED,
                    selection.provider,
                    selection.model_id,
                    why,
                    "stage-pinned model",
                    row,
                )
            if why is None:
                return use(Source.STAGE, selection.provider, selection.model_id, row, "stage selection")
            skip("stage selection", selection.provider, selection.model_id, why)
        else:
            skipped.append("no stage selection")
        # Level 4: the project override (for this stage, else for every stage of the project).
        selection = ctx.project_selections.get(stage) or ctx.project_selections.get("")
        if selection is not None:
            row, why = ctx.lookup(selection.provider, selection.model_id)
            if why is None:
                return use(
                    Source.PROJECT_OVERRIDE,
                    selection.provider,
                    selection.model_id,
                    row,
                    f"project override for {selection.project_id}",
                )
            skip("project override", selection.provider, selection.model_id, why)
        else:
            skipped.append("no project override")
    # Level 5: the global default.
    selection = ctx.global_default
    if selection is not None:
        row, why = ctx.lookup(selection.provider, selection.model_id)
        if why is None:
            return use(Source.GLOBAL_DEFAULT, selection.provider, selection.model_id, row, "global default")
        skip("global default", selection.provider, selection.model_id, why)
    else:
        skipped.append("no global default")
    # Level 6: automatic fallback, only when enabled.
    enabled = allow_run_fallback or ctx.allow_fallback_globally
    if enabled:
        ranked = ranked_candidates(
            catalog=ctx.catalog, providers=ctx.providers, stage=stage, prefer_provider=first_skipped_provider
        )
        if ranked:
            best = ranked[0]
            scope = "for this run" if allow_run_fallback else "globally"
            text = (
                f"Using automatic fallback (enabled {scope}): {best.model_id}, the best available "
                f"non-deprecated model for {stage}."
            )
            return Resolution(
                stage, best.provider, best.model_id, Source.AUTOMATIC_FALLBACK, reasoning(text), False, False
            )
        text = f"Blocked: automatic fallback found no available, non-deprecated model for {stage}."
    else:
        nothing_set = all(s.startswith("no ") or s.startswith("run override, stage") for s in skipped)
        text = (
            f"Blocked: {NO_MODEL_MESSAGE}."
            if nothing_set
            else "Blocked: no selected model is available and automatic fallback is off; fix a selection "
            "or enable automatic fallback."
        )
    return Resolution(
        stage,
        "",
        "",
        Source.AUTOMATIC_FALLBACK,
        reasoning(text),
        False,
        True,
        alternatives_for(first_skipped_provider, ""),
    )
