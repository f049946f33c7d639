"""Reads need the view permission (staff alone is not enough); the Viewers and Editors groups."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db

READS = ["/api/cost-tracking/current-period", "/api/models/audit-log", "/api/cost-tracking/configuration",
         "/api/models/providers", "/api/jobs"]


@pytest.fixture
def staff_only(django_user_model):
    return django_user_model.objects.create_user("staffer", "s@example.com", "staffer-pass-123", is_staff=True)


def _member(django_user_model, name: str, group: str):
    user = django_user_model.objects.create_user(name, f"{name}@example.com", f"{name}-pass-123")
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.mark.parametrize("path", READS)
def test_staff_status_alone_does_not_open_costs_or_the_audit_log(staff_only, api_client_for, path):
    assert api_client_for(staff_only).get(path).status_code == 403


@pytest.mark.parametrize("path", READS)
def test_viewers_read_everything(django_user_model, api_client_for, path):
    assert api_client_for(_member(django_user_model, "vera", "Viewers")).get(path).status_code == 200


def test_viewers_cannot_change_anything_and_editors_can(django_user_model, api_client_for):
    body = {"overallMonthlyBudget": 50}
    viewer = api_client_for(_member(django_user_model, "vera", "Viewers"))
    editor = api_client_for(_member(django_user_model, "eddie", "Editors"))

    assert viewer.put("/api/cost-tracking/configuration", body).status_code == 403
    assert editor.put("/api/cost-tracking/configuration", body).status_code == 200


def test_the_groups_exist_after_migrating_and_editors_do_not_manage_tokens():
    editors = Group.objects.get(name="Editors")
    codenames = set(editors.permissions.values_list("codename", flat=True))

    assert {"change_costconfiguration", "change_provider", "add_hold", "delete_hold"} <= codenames
    runs = set(editors.permissions.filter(content_type__app_label="runs").values_list("codename", flat=True))
    assert {"add_job", "change_job", "view_job", "view_stagerun", "view_jobdecision"} <= runs
    assert "add_apitoken" not in codenames and "view_apitoken" in codenames
    viewer_codenames = set(Group.objects.get(name="Viewers").permissions.values_list("codename", flat=True))
    assert viewer_codenames and all(c.startswith("view_") for c in viewer_codenames)
