"""Savings: suggestions from a run's operations, and the optimizer that brings a typical run toward a budget."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from aura_site.lookups import ask

from .configuration import configuration_get
from .display import format_money, format_percent
from .models import ZERO, CostOperation, Price, ProviderType
from .money import money
from .pricing import charge, price_for


def pinned_stages() -> dict[str, tuple[str, str]]:
    """Pinned stage models (stage → (provider, modelId)) from model selection."""
    return ask("pinned_stage_models")


def _current_llm_prices(prices: list[Price]) -> list[Price]:
    """Priced LLM models that the catalog does not mark deprecated or retired (never suggest those)."""
    outdated = ask("outdated_models")
    return [p for p in prices if p.provider_type == ProviderType.LLM and p.model_id
            and p.cost_per_1k_input_tokens is not None and p.cost_per_1k_output_tokens is not None
            and (p.provider_name.lower(), p.model_id.lower()) not in outdated]


def _llm_alternative(price: Price, llm_prices: list[Price]) -> Price | None:
    """The closest cheaper LLM: the most expensive one still cheaper (the likeliest similar capability)."""
    def unit(p: Price) -> Decimal:
        return (p.cost_per_1k_input_tokens or ZERO) + (p.cost_per_1k_output_tokens or ZERO)

    cheaper = [p for p in llm_prices if unit(p) < unit(price) * Decimal("0.8") and p.model_id]
    return max(cheaper, key=lambda p: (unit(p), p.provider_name, p.model_id)) if cheaper else None


@dataclass
class ModelUsage:
    """What one (provider, model) of a run used: its calls not served from cache, and speech."""

    provider: str
    model: str
    uncached_calls: int = 0
    uncached_cost: Decimal = ZERO
    input_tokens: int = 0
    output_tokens: int = 0
    spoken_cost: Decimal = ZERO
    characters: int = 0


def suggestions(operations: list[CostOperation], pinned: dict[str, tuple[str, str]] | None = None
                ) -> list[dict[str, Any]]:
    """Suggestions computed from a list of operations (e.g. a sample of a run) and the pricing table."""
    usage: dict[tuple[str, str], ModelUsage] = {}
    seen: set[tuple] = set()
    repeat_cost = ZERO
    for o in operations:
        u = usage.setdefault((o.provider, o.model), ModelUsage(o.provider, o.model))
        if not o.cache_hit:
            u.uncached_calls += 1
            u.uncached_cost += o.cost
            u.input_tokens += o.input_tokens
            u.output_tokens += o.output_tokens
        if o.characters:
            u.spoken_cost += o.cost
            u.characters += o.characters
        signature = (o.stage, o.provider, o.model, o.input_tokens)
        if o.input_tokens and not o.cache_hit:
            if signature in seen:
                repeat_cost += o.cost
            seen.add(signature)
    return _suggestions(list(usage.values()), repeat_cost)


def job_suggestions(*, job_id: str) -> list[dict[str, Any]]:
    """Suggestions for a whole run from two aggregate queries (and the pricing table)."""
    return operations_suggestions(CostOperation.objects.filter(job_id=job_id))


def operations_suggestions(ops: QuerySet[CostOperation]) -> list[dict[str, Any]]:
    """Suggestions for these operations (a run, or part of one), from aggregates in the database."""
    ops = ops.order_by()
    uncached, spoken = Q(cache_hit=False), Q(characters__gt=0)
    usage = [ModelUsage(r["provider"], r["model"], r["calls"], r["uncached"] or ZERO, r["tokens_in"] or 0,
                        r["tokens_out"] or 0, r["spoken"] or ZERO, r["chars"] or 0)
             for r in ops.values("provider", "model").order_by().annotate(
                 calls=Count("id", filter=uncached), uncached=Sum("cost", filter=uncached),
                 tokens_in=Sum("input_tokens", filter=uncached), tokens_out=Sum("output_tokens", filter=uncached),
                 spoken=Sum("cost", filter=spoken), chars=Sum("characters", filter=spoken))]
    # Repeats: every call after the first with the same stage, model and prompt size, not from cache.
    repeats = ops.filter(input_tokens__gt=0, cache_hit=False).annotate(nth=Window(
        RowNumber(), partition_by=[F("stage"), F("provider"), F("model"), F("input_tokens")],
        order_by=[F("timestamp").asc(), F("id").asc()])).filter(nth__gt=1)
    repeat_cost = repeats.aggregate(repeated=Sum("cost"))["repeated"] or ZERO
    return _suggestions(usage, repeat_cost)


def _suggestions(usage: list[ModelUsage], repeat_cost: Decimal) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    all_prices = list(Price.objects.all())
    llm_prices = _current_llm_prices(all_prices)
    table = {(p.provider_name.lower(), p.model_id.lower()): p for p in all_prices}
    # Model switch: per (provider, model) of LLM operations, the closest cheaper priced model.
    for u in sorted(usage, key=lambda u: (u.provider, u.model)):
        if not u.uncached_calls:
            continue
        provider, model = u.provider, u.model
        price = price_for(table, provider, model)
        if price is None or price.provider_type != ProviderType.LLM:
            continue
        alternative = _llm_alternative(price, llm_prices)
        if alternative is None:
            continue
        before = u.uncached_cost
        after = charge(alternative, input_tokens=u.input_tokens, output_tokens=u.output_tokens).cost or ZERO
        if before - after <= 0:
            continue
        category = "ProviderSwitch" if alternative.provider_name.lower() != provider.lower() else "ModelSelection"
        found.append({
            "category": category,
            "suggestion": f"Switch from {provider} {model} to {alternative.provider_name} {alternative.model_id} "
                          f"for {format_percent((before - after) * 100 / before)} cost reduction",
            "estimatedSavings": float(money(before - after)),
            "qualityImpact": "Possible reduction in output quality: a smaller or cheaper model; test it first.",
            "difficulty": "Easy",
        })
    # Caching: operations repeated with identical inputs that were not served from cache.
    if repeat_cost > 0:
        found.append({
            "category": "Caching",
            "suggestion": "Enable LLM caching: this run repeated identical requests",
            "estimatedSavings": float(money(repeat_cost)),
            "qualityImpact": "No quality impact: cached answers are identical.", "difficulty": "Easy",
        })
    # TTS: the cheapest TTS provider for the characters spoken.
    tts = [u for u in usage if (price_for(table, u.provider, u.model) or Price()).provider_type
           == ProviderType.TTS and u.characters]
    tts_prices = [p for p in all_prices if p.provider_type == ProviderType.TTS and p.cost_per_1k_characters is not None]
    if tts and tts_prices:
        cheapest = min(tts_prices, key=lambda p: (p.cost_per_1k_characters, p.provider_name))
        before = sum((u.spoken_cost for u in tts), ZERO)
        after = sum((charge(cheapest, characters=u.characters).cost or ZERO for u in tts), ZERO)
        if before - after > 0 and cheapest.provider_name not in {u.provider for u in tts}:
            found.append({
                "category": "TTSAlternative",
                "suggestion": f"Switch TTS to {cheapest.provider_name}"
                              f"{' (free, offline)' if not cheapest.cost_per_1k_characters else ''}",
                "estimatedSavings": float(money(before - after)),
                "qualityImpact": "Less natural voices than premium TTS.", "difficulty": "Moderate",
            })
    return sorted(found, key=lambda s: -s["estimatedSavings"])


# Ledger stages and the model-selection stages they correspond to (for pinning).
MODEL_STAGE = {"ScriptGeneration": "script", "script": "script", "Visuals": "visual", "visual": "visual",
               "narration": "narration", "refinement": "refinement", "ScriptRefinement": "refinement"}
QUALITY_LEVELS = ("draft", "standard", "premium")


QUALITY_IMPACT = {
    "draft": "Noticeably simpler output: the cheapest models and voices are used.",
    "standard": "Slight reduction in output creativity, but maintains overall video quality",
    "premium": "No quality reduction: models and voices are kept.",
}


def _target(price: Price | None, desired_quality: str, llm: list[Price], tts: list[Price]) -> Price | None:
    """The price to switch a stage's model or voice to at this quality (cheapest first lists); None: keep it."""
    if price is not None and price.provider_type == ProviderType.LLM and desired_quality != "premium" and llm:
        return llm[0] if desired_quality == "draft" else (_llm_alternative(price, llm) or price)
    if price is not None and price.provider_type == ProviderType.TTS and desired_quality != "premium" and tts:
        return tts[0]
    return None


def optimize_budget(*, budget_limit: Decimal, desired_quality: str, deadline_minutes: int | None,
                    pinned: dict[str, tuple[str, str]], days: int = 30, currency: str | None = None
                    ) -> dict[str, Any]:
    """Before/after cost of a typical recent run and the changes that bring it toward the budget.

    Deterministic: computed from the last `days` of the ledger and the pricing table. A pinned stage's
    model is never changed; the savings that pin forgoes are reported instead.
    """
    since = timezone.now() - timezone.timedelta(days=days)
    currency = currency or configuration_get().currency
    rows = list(CostOperation.objects.filter(timestamp__gte=since).exclude(job_id="")
                .values("job_id", "stage", "provider", "model", "cache_hit", "input_tokens", "output_tokens",
                        "characters", "images", "seconds", "cost"))
    runs = len({r["job_id"] for r in rows}) or 1
    prices = list(Price.objects.all())
    table = {(p.provider_name.lower(), p.model_id.lower()): p for p in prices}
    llm = sorted(_current_llm_prices(prices),
                 key=lambda p: (p.cost_per_1k_input_tokens + p.cost_per_1k_output_tokens, p.provider_name, p.model_id))
    tts = sorted([p for p in prices if p.provider_type == ProviderType.TTS and p.cost_per_1k_characters is not None],
                 key=lambda p: (p.cost_per_1k_characters, p.provider_name))
    before = sum((r["cost"] for r in rows), ZERO) / runs
    after, forgone = ZERO, ZERO
    changes: list[str] = []
    switched: dict[str, tuple[str, str, Decimal, Decimal]] = {}
    new_llm_provider = new_tts_provider = None
    repeats = _repeat_share(rows)
    for (stage, provider, model), group in sorted(_group(rows).items()):
        cost = sum((r["cost"] for r in group), ZERO) / runs
        price = price_for(table, provider, model)
        target = _target(price, desired_quality, llm, tts)
        if target is None or target is price:
            after += cost
            continue
        new_cost = sum((charge(target, input_tokens=r["input_tokens"], output_tokens=r["output_tokens"],
                               characters=r["characters"]).cost or ZERO for r in group), ZERO) / runs
        if new_cost >= cost:
            after += cost
            continue
        model_stage = MODEL_STAGE.get(stage)
        if model_stage in pinned and price.provider_type == ProviderType.LLM:
            forgone += cost - new_cost
            after += cost
            changes.append(f"Keep {provider} {model} for {stage}: the stage is pinned "
                           f"(switching would save {format_money(cost - new_cost, currency)} per run)")
            continue
        after += new_cost
        switched[f"{stage}:{provider}:{model}"] = (target.provider_name, target.model_id, cost, new_cost)
        reduction = format_percent((cost - new_cost) * 100 / cost)
        if price.provider_type == ProviderType.LLM:
            new_llm_provider = new_llm_provider or target.provider_name
            changes.append(f"Switch {stage} from {provider} {model} to {target.provider_name} {target.model_id} "
                           f"({reduction} cost reduction)")
        else:
            new_tts_provider = new_tts_provider or target.provider_name
            free = " (free, offline)" if not target.cost_per_1k_characters else ""
            changes.append(f"Switch TTS provider from {provider} to {target.provider_name}{free}")
    enable_caching = repeats > 0
    if enable_caching:
        llm_after = after * Decimal(str(repeats))
        after -= llm_after
        changes.append(f"Enable LLM caching for repeated operations ({format_percent(repeats * 100)} of recent LLM "
                       "calls repeated)")
    max_tokens = 2000 if (after > budget_limit and desired_quality != "premium") else None
    if max_tokens:
        changes.append("Limit completions to 2,000 tokens per operation")
    quality = QUALITY_IMPACT[desired_quality]
    return {
        "estimatedCostBefore": float(money(before)), "estimatedCostAfter": float(money(after)),
        "estimatedSavings": float(money(before - after)), "budgetLimit": float(budget_limit),
        "fitsBudget": after <= budget_limit, "runsAnalyzed": len({r["job_id"] for r in rows}),
        "recommendedSettings": {"llmProvider": new_llm_provider, "ttsProvider": new_tts_provider,
                                "enableCaching": enable_caching, "maxTokensPerOperation": max_tokens},
        "changes": changes, "qualityImpact": quality if changes else "No change proposed.",
        "pinnedStages": sorted(pinned), "savingsForgoneByPins": float(money(forgone)),
        "deadlineMinutes": deadline_minutes,
    }


def _group(rows: list[dict]) -> dict[tuple[str, str, str], list[dict]]:
    groups: dict[tuple[str, str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["stage"], r["provider"], r["model"]), []).append(r)
    return groups


def _repeat_share(rows: list[dict]) -> float:
    """Share of recent LLM calls that repeated an earlier identical request without a cache hit."""
    calls = [r for r in rows if r["input_tokens"] and not r["cache_hit"]]
    if not calls:
        return 0.0
    seen, repeats = set(), 0
    for r in calls:
        signature = (r["job_id"], r["stage"], r["provider"], r["model"], r["input_tokens"])
        repeats += signature in seen
        seen.add(signature)
    return round(repeats / len(calls), 4)
