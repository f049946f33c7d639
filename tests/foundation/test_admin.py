"""Every model in admin lists and opens; audit and ledger rows cannot be changed there."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib import admin
from django.test import Client

from costs.models import CostOperation
from models_selection.models import ResolutionAudit

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_every_admin_changelist_loads(owner, model):
    client = Client()
    client.force_login(owner)
    opts = model._meta
    assert client.get(f"/admin/{opts.app_label}/{opts.model_name}/").status_code == HTTPStatus.OK


@pytest.mark.parametrize("model", [ResolutionAudit, CostOperation], ids=lambda m: m._meta.label)
def test_audit_and_ledger_rows_are_read_only_in_admin(owner, model):
    model_admin = admin.site._registry[model]
    request = type("Request", (), {"user": owner})()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
