"""REST routes of the models_selection app."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["Model selection"], by_alias=True)
