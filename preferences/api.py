"""REST routes of the preferences app."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["Preferences"], by_alias=True)
