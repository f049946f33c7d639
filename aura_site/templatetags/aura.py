"""Template filters used across the pages (loaded as builtins)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`mapping|get_item:key` — a dict lookup with a variable key."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None
