"""Money: amounts to the ledger's precision, percentages, and the bounds and currency every amount meets."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from aura_site.errors import ValidationFailed
from aura_site.schemas import AMOUNT_MAX

CENT = Decimal("0.000001")  # the ledger's smallest unit (6 decimal places)


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def dec(value: Any) -> Decimal | None:
    """A stored number (JSON float, string, Decimal) as a Decimal; None stays None."""
    return None if value is None else Decimal(str(value))


def percent(part: Decimal, whole: Decimal | None) -> float | None:
    if not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def amount_check(amount: Decimal, *, field: str) -> None:
    """Refuse (422) a computed amount past AMOUNT_MAX, the bound every given amount has in the schema.

    Price and usage are each bounded; their product is not, and could pass what a money column holds.
    """
    if amount > AMOUNT_MAX:
        raise ValidationFailed.on(field, f"comes to {money(amount)}, past {AMOUNT_MAX}, the most one amount may be")


def currency_check(currency: str | None, budget_currency: str, *, field: str = "currency") -> None:
    """Refuse (422) money in another currency than the budget's: it would be added up as if it were the same."""
    if currency and budget_currency and currency.upper() != budget_currency.upper():
        raise ValidationFailed.on(
            field, f"is {currency} but the budget is in {budget_currency}; amounts in two currencies are never "
                   f"added up (set prices in {budget_currency}, or change the budget currency first)")
