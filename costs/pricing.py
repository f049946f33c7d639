"""Prices: what a provider or model costs (kept with its history), and what an operation comes to."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from aura_site.errors import ValidationFailed

from .configuration import configuration_get
from .currencies import CURRENCIES
from .models import ZERO, Price, PriceChange, ProviderType
from .money import currency_check, money

PRICE_FIELDS = (
    "provider_type", "cost_per_1k_input_tokens", "cost_per_1k_output_tokens", "cost_per_1k_cached_input_tokens",
    "cost_per_1k_characters", "cost_per_image", "cost_per_second", "currency", "notes",
)


def _price_state(price: Price) -> dict[str, Any]:
    return {name: (str(v) if isinstance(v := getattr(price, name), Decimal) else v) for name in PRICE_FIELDS} | {
        "source": price.source, "set_at": price.set_at.isoformat()}


@transaction.atomic
def price_set(*, provider_name: str, model_id: str = "", data: dict[str, Any], user=None,
              source: str = "manual") -> Price:
    """Set the provider's price (or one model's, which overrides it); the change is kept in history."""
    if data.get("currency") is None:
        data = {**data, "currency": configuration_get().currency}  # not given: the budget's currency
    if data["currency"] not in CURRENCIES:
        raise ValidationFailed.on("currency", f"unknown currency {data.get('currency')!r}")
    currency_check(data["currency"], configuration_get().currency)
    if "cost_per_1k_cached_input_tokens" in data and data["cost_per_1k_cached_input_tokens"] is None:
        data = {k: v for k, v in data.items() if k != "cost_per_1k_cached_input_tokens"}  # null: not given
    for name, value in data.items():
        if name.startswith("cost_per") and value is not None and Decimal(str(value)) < 0:
            raise ValidationFailed.on(_camel(name), "must be ≥ 0")
    price = Price.objects.select_for_update().filter(provider_name=provider_name, model_id=model_id).first()
    before = _price_state(price) if price else None
    price = price or Price(provider_name=provider_name, model_id=model_id)
    for name in PRICE_FIELDS:
        if name in data:
            setattr(price, name, data[name])
    price.source = source
    price.set_at = timezone.now()
    price.set_by = user.get_username() if user is not None else ""
    price.save()
    price.refresh_from_db()
    PriceChange.objects.create(provider_name=provider_name, model_id=model_id, before=before,
                               after=_price_state(price), changed_by=price.set_by)
    return price


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() if not p[0].isdigit() else p.upper() for p in rest)


def price_table(providers: set[str]) -> dict[tuple[str, str], Price]:
    """Prices of these providers keyed by (provider, model) in lower case; one query."""
    lowered = {p.lower() for p in providers}
    rows = Price.objects.annotate(lower_name=Lower("provider_name")).filter(lower_name__in=lowered) if providers else []
    return {(p.provider_name.lower(), p.model_id.lower()): p for p in rows if p.provider_name.lower() in lowered}


def price_for(table: dict[tuple[str, str], Price], provider: str, model: str) -> Price | None:
    """The model's own price, else its provider's."""
    return table.get((provider.lower(), (model or "").lower())) or table.get((provider.lower(), ""))


@dataclass
class Charge:
    cost: Decimal | None  # None: no price covers this operation
    cost_saved: Decimal
    snapshot: dict[str, Any] | None
    missing: str = ""


def charge(price: Price | None, *, input_tokens: int = 0, output_tokens: int = 0, characters: int = 0,
           images: int = 0, seconds: Decimal | float = 0, cache_hit: bool = False,
           currency: str | None = None) -> Charge:
    """What an operation costs at a price (and what a cache hit saved); `currency`: the budget's."""
    if price is None:
        return Charge(None, ZERO, None, "no price for this provider/model")
    currency_check(price.currency, currency or "", field=f"price of {price}")
    snapshot = _price_state(price) | {"provider_name": price.provider_name, "model_id": price.model_id}
    kind = price.provider_type
    if kind == ProviderType.LLM:
        if price.cost_per_1k_input_tokens is None or price.cost_per_1k_output_tokens is None:
            return Charge(None, ZERO, snapshot, "the LLM price lacks input/output token prices")
        full = (Decimal(input_tokens) * price.cost_per_1k_input_tokens
                + Decimal(output_tokens) * price.cost_per_1k_output_tokens) / 1000
        if cache_hit:
            cost = Decimal(input_tokens) * price.cost_per_1k_cached_input_tokens / 1000
            return Charge(money(cost), money(full - cost), snapshot)
        return Charge(money(full), ZERO, snapshot)
    unit_price, amount = {
        ProviderType.TTS: (price.cost_per_1k_characters, Decimal(characters) / 1000),
        ProviderType.IMAGE: (price.cost_per_image, Decimal(images)),
        ProviderType.VIDEO: (price.cost_per_second, Decimal(str(seconds))),
        ProviderType.RENDERING: (price.cost_per_second, Decimal(str(seconds))),
    }[kind]
    if unit_price is None:
        return Charge(None, ZERO, snapshot, f"the {kind} price has no unit price")
    full = money(unit_price * amount)
    if cache_hit:
        return Charge(ZERO, full, snapshot)
    return Charge(full, ZERO, snapshot)
