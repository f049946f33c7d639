"""Money and percentages as people read them: one format for pages, alerts, e-mails and API texts.

`format_money` is the only place that decides how an amount is shown: the currency's symbol (or its
ISO code where the currency has no symbol of its own), grouped thousands and the currency's decimals
(2 for dollars and euros, 0 for yen). Prices per 1K tokens or characters are often fractions of a cent,
so `unit=True` keeps the decimals that carry a value, up to the ledger's six.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from functools import lru_cache
from typing import Any

from babel.numbers import get_currency_precision, get_currency_symbol

MAX_DECIMALS = 6  # the ledger's precision (costs.models.MONEY)
MISSING = "—"


@lru_cache(maxsize=256)
def _currency(code: str) -> tuple[str, int]:
    """(prefix, decimals) of a currency: '$' for USD, 'CHF ' for a currency shown by its code."""
    code = (code or "USD").upper()
    symbol = get_currency_symbol(code, locale="en_US")
    prefix = f"{code} " if symbol == code else symbol
    return prefix, get_currency_precision(code)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, float):
        number = Decimal(repr(value))  # the float as written, not its binary expansion
    else:
        number = Decimal(str(value).strip())
    if not number.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return number


def _places(number: Decimal, minimum: int) -> int:
    """Decimals an amount needs: at least `minimum`, at most MAX_DECIMALS, no trailing zeros beyond."""
    exponent = _round(number, MAX_DECIMALS).normalize().as_tuple().exponent
    return max(minimum, min(MAX_DECIMALS, -exponent if isinstance(exponent, int) and exponent < 0 else 0))


def _round(number: Decimal, places: int) -> Decimal:
    """Half up to `places` decimals, with the precision any finite amount needs (1e30 included)."""
    with localcontext() as context:
        context.prec = max(28, number.adjusted() + places + 2)
        return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_money(value: Any, currency: str = "USD", *, unit: bool = False) -> str:
    """'$1,234.50', '€0.00', '¥1,235', 'CHF 3.00'; with `unit=True` a price such as '$0.0025' per 1K.

    None reads as '—'. Totals round half up to the currency's decimals; unit prices keep the
    decimals that carry a value (up to six), so a price is never shown as $0.00 when it is not zero.
    """
    if value is None or value == "":
        return MISSING
    try:
        number = _decimal(value)
    except (InvalidOperation, ValueError):
        raise ValueError(f"not an amount: {value!r}") from None
    prefix, decimals = _currency(currency)
    places = _places(number, decimals) if unit else decimals
    rounded = _round(number, places)
    sign = "-" if rounded < 0 else ""
    return f"{sign}{prefix}{abs(rounded):,.{places}f}"


def plain_amount(value: Any, *, minimum_decimals: int = 2) -> str:
    """An amount for an input field: no symbol, no grouping, every stored decimal kept ('10.123456',
    '10.50'), so a form shows exactly what it will accept and save back."""
    if value is None or value == "":
        return ""
    number = _decimal(value)
    places = _places(number, minimum_decimals)
    return f"{_round(number, places):.{places}f}"


def format_percent(value: Any) -> str:
    """A share rounded honestly: '42%', never '100%' for 99.99% nor '0%' for 0.01%."""
    if value is None:
        return MISSING
    number = _decimal(value)
    if 99 < number < 100:
        return "over 99%"
    if 0 < number < 1:
        return "under 1%"
    whole = _round(number, 0)
    return f"{whole:.0f}%"

