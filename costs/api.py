"""REST routes of the costs app."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["Costs"], by_alias=True)
