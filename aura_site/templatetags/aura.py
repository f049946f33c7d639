"""Template filters used across the pages (loaded as builtins)."""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from costs.display import format_money
from costs.display import plain_amount as _plain_amount

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`mapping|get_item:key` — a dict lookup with a variable key."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def money(value, currency="USD"):
    """`amount|money:currency` — a total in the one money format ('$10.00'); see costs.display."""
    try:
        return format_money(value, currency or "USD")
    except ValueError:
        return value


@register.filter
def unit_money(value, currency="USD"):
    """`price|unit_money:currency` — a per-1K or per-unit price with the decimals it needs ('$0.0025')."""
    try:
        return format_money(value, currency or "USD", unit=True)
    except ValueError:
        return value


@register.filter
def plain_amount(value):
    """`amount|plain_amount` — the value an amount field shows and accepts back ('10.123456', '10.00')."""
    try:
        return _plain_amount(value)
    except (ValueError, ArithmeticError):
        return value


@register.simple_tag(takes_context=True)
def aria_current(context, prefix: str, *excluded: str) -> str:
    """`{% aria_current "/models/" %}` marks the nav link of the section the page belongs to.

    Paths under an `excluded` prefix belong to another link (Import/Export lives under /preferences/).
    """
    request = context.get("request")
    path = getattr(request, "path", "")
    if path.startswith(prefix) and not any(path.startswith(e) for e in excluded):
        return mark_safe(' aria-current="page"')
    return ""
