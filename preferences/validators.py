"""Validators shared by the preference models (the one place their rules live)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.deconstruct import deconstructible

MAX_LIST_ITEMS = 1000
MAX_BANNED_WORDS = 5000
MAX_ITEM_LENGTH = 200
TEMPLATE_VARIABLES = ("topic", "audience", "duration", "goal", "tone", "style")
TEMPLATE_VARIABLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


def between(low: float, high: float) -> list:
    return [MinValueValidator(low), MaxValueValidator(high)]


@deconstructible
class StringList:
    """A JSON list of at most `max_items` non-empty strings of at most `max_length` characters."""

    def __init__(self, max_items: int = MAX_LIST_ITEMS, max_length: int = MAX_ITEM_LENGTH) -> None:
        self.max_items = max_items
        self.max_length = max_length

    def __call__(self, value) -> None:
        if not isinstance(value, list):
            raise ValidationError("Must be a list of strings.")
        if len(value) > self.max_items:
            raise ValidationError(f"At most {self.max_items} entries (got {len(value)}).")
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise ValidationError(f"Entry {index} must be a string.")
            if len(item) > self.max_length:
                raise ValidationError(f"Entry {index} is longer than {self.max_length} characters.")
            if "\x00" in item:
                raise ValidationError(f"Entry {index} contains a NUL character.")

    def __eq__(self, other) -> bool:
        return isinstance(other, StringList) and (self.max_items, self.max_length) == (
            other.max_items,
            other.max_length,
        )


def no_nul(value: str) -> None:
    if "\x00" in (value or ""):
        raise ValidationError("Must not contain NUL characters.")


def template_variables(value: str) -> None:
    """Only the documented {{variables}} may appear in a prompt template."""
    unknown = sorted({name for name in TEMPLATE_VARIABLE.findall(value or "")} - set(TEMPLATE_VARIABLES))
    if unknown:
        def braced(name: str) -> str:
            return "{{" + name + "}}"

        allowed = ", ".join(braced(v) for v in TEMPLATE_VARIABLES)
        named = ", ".join(braced(u) for u in unknown)
        raise ValidationError(f"Unknown template variable(s): {named}. Allowed: {allowed}.")
