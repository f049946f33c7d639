"""Who changed what: configuration, prices, providers (never the key), model settings and preference items."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from costs.models import CostConfiguration
from models_selection.models import Provider, SelectionSettings

pytestmark = pytest.mark.django_db

SECRET = "sk-history-must-never-hold-this"


def test_a_budget_change_records_who_when_and_the_difference(owner, owner_api):
    owner_api.put("/api/cost-tracking/configuration", {"overallMonthlyBudget": 100})
    owner_api.put("/api/cost-tracking/configuration", {"overallMonthlyBudget": 250})

    newest, previous = CostConfiguration.history.order_by("-history_date")[:2]
    assert newest.history_user == owner and newest.history_date
    diff = newest.diff_against(previous)
    change = next(c for c in diff.changes if c.field == "overall_monthly_budget")
    assert (change.old, change.new) == (Decimal("100"), Decimal("250"))


def test_provider_history_keeps_the_base_url_and_enabled_but_never_the_key(owner, owner_api):
    owner_api.put("/api/models/providers/OpenAI", {"baseUrl": "https://api.example.com/v1", "apiKey": SECRET})
    owner_api.put("/api/models/providers/OpenAI", {"enabled": False})

    rows = list(Provider.history.filter(name="OpenAI").order_by("history_date"))
    assert rows[-1].history_user == owner and rows[-1].enabled is False
    assert any(r.base_url == "https://api.example.com/v1" for r in rows)
    fields = {f.name for f in Provider.history.model._meta.get_fields()}
    assert "encrypted_api_key" not in fields
    stored = Provider.objects.get(name="OpenAI").encrypted_api_key
    for row in Provider.history.values():
        assert all(SECRET not in str(v) and (not stored or stored not in str(v)) for v in row.values())


def test_the_fallback_switch_and_preference_items_are_kept_with_their_author(owner, owner_api):
    owner_api.put("/api/models/settings", {"allowAutomaticFallback": True})
    created = owner_api.post("/api/user-preferences/audience-profiles",
                             {"name": "Night owls", "minAge": 30, "maxAge": 50})
    assert created.status_code == 201, created.content

    assert SelectionSettings.history.latest("history_date").history_user == owner
    from preferences.models import CustomAudienceProfile

    assert CustomAudienceProfile.history.get(name="Night owls").history_user == owner


def test_history_is_readable_in_admin_and_shows_no_key(owner, owner_api):
    owner_api.put("/api/models/providers/OpenAI", {"baseUrl": "https://api.example.com/v1", "apiKey": SECRET})
    client = Client()
    client.force_login(owner)
    provider = Provider.objects.get(name="OpenAI")

    page = client.get(f"/admin/models_selection/provider/{provider.pk}/history/")

    assert page.status_code == 200
    assert "owner" in page.content.decode() and SECRET not in page.content.decode()
    config = CostConfiguration.objects.first()
    if config is not None:
        assert client.get(f"/admin/costs/costconfiguration/{config.pk}/history/").status_code == 200


def test_the_pages_say_who_last_changed_the_budget_and_the_fallback_switch(owner, owner_api, viewer):
    owner_api.put("/api/cost-tracking/configuration", {"overallMonthlyBudget": 120})
    owner_api.put("/api/models/settings", {"allowAutomaticFallback": True})
    browser = Client()
    browser.force_login(viewer)

    costs = browser.get("/costs/").content.decode()
    models = browser.get("/models/").content.decode()

    assert 'data-testid="last-change"' in costs and "Changed by owner at" in costs
    assert "Changed by owner at" in models
