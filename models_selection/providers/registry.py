"""The registry of provider kinds: one class per kind of vendor, registered by its module.

`register` is a class decorator; the model field's choices, the API's kind names, the default base
URLs and the names messages use are all read from here, so a new kind is one module in this package
(plus its catalog and price data).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import BaseProvider

_KINDS: dict[str, BaseProvider] = {}


def register(cls: type[BaseProvider]) -> type[BaseProvider]:
    """Register a provider kind (a class decorator); a kind name is registered once."""
    if not getattr(cls, "kind", "") or not getattr(cls, "label", ""):
        raise ValueError(f"{cls.__name__} needs a kind and a label")
    if cls.kind in _KINDS:
        raise ValueError(f"the provider kind {cls.kind!r} is already registered")
    _KINDS[cls.kind] = cls()
    return cls


def unregister(kind: str) -> None:
    """Forget a kind (for a kind registered at run time, e.g. by a test)."""
    _KINDS.pop(kind, None)


def get(kind: str) -> BaseProvider:
    """The registered provider kind; ValueError when no kind has this name."""
    try:
        return _KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown provider kind {kind!r}") from None


def registered() -> list[BaseProvider]:
    """Every registered kind, in registration order."""
    return list(_KINDS.values())


def kind_names() -> tuple[str, ...]:
    return tuple(_KINDS)


def kind_choices() -> list[tuple[str, str]]:
    """(kind, label) of every registered kind: the choices of Provider.kind (evaluated when read)."""
    return [(p.kind, p.label) for p in _KINDS.values()]
