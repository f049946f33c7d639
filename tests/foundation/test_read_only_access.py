"""Read-only users read everything and start nothing; permission checks come before any lookup."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from aura_site.groups import groups_complete
from costs.models import ExportJob, Webhook

pytestmark = pytest.mark.django_db
COSTS = "/api/cost-tracking"


def _member(django_user_model, name: str, group: str):
    user = django_user_model.objects.create_user(name, f"{name}@example.com", f"{name}-pass-123")
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def recorded_job(owner_api) -> str:
    operation = {"idempotencyKey": "export-perm-1", "jobId": "job-perm", "stage": "ScriptGeneration",
                 "provider": "OpenAI", "cost": 0.25}
    assert owner_api.post(f"{COSTS}/operations", operation).status_code == HTTPStatus.OK
    return "job-perm"


def test_a_viewer_cannot_start_a_cost_export_through_the_api(viewer_api, recorded_job):
    response = viewer_api.post(f"{COSTS}/export/{recorded_job}?format=csv")

    assert response.status_code == HTTPStatus.FORBIDDEN and response.json()["detail"]
    assert not ExportJob.objects.exists()


def test_a_viewer_cannot_start_a_cost_export_on_the_page_and_sees_no_export_buttons(viewer, recorded_job):
    client = Client()
    client.force_login(viewer)

    response = client.post(f"/costs/jobs/{recorded_job}/export/", {"format": "csv"})

    assert response.status_code == HTTPStatus.FORBIDDEN and not ExportJob.objects.exists()
    page = client.get(f"/costs/jobs/{recorded_job}/").content.decode()
    assert "Run summary" in page and "Export CSV" not in page


def test_an_unknown_job_is_a_403_not_a_404_for_a_viewer_starting_an_export(viewer_api, viewer):
    assert viewer_api.post(f"{COSTS}/export/no-such-job?format=csv").status_code == HTTPStatus.FORBIDDEN
    client = Client()
    client.force_login(viewer)
    assert client.post("/costs/jobs/no-such-job/export/", {"format": "csv"}).status_code == HTTPStatus.FORBIDDEN


def test_an_editor_may_start_an_export(django_user_model, api_client_for):
    editor = api_client_for(_member(django_user_model, "eddie", "Editors"))

    assert editor.post(f"{COSTS}/export/no-such-job?format=csv").status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/jobs/{id}"),
    ("get", "/api/jobs/{id}/artifacts"),
    ("post", "/api/jobs/{id}/decision"),
    ("post", "/api/jobs/{id}/start"),
    ("get", f"{COSTS}/run-summary/{{id}}"),
    ("post", f"{COSTS}/export/{{id}}"),
    ("get", f"{COSTS}/exports/00000000-0000-4000-8000-000000000000"),
])
def test_job_routes_answer_403_to_a_user_without_permission_whether_the_job_exists_or_not(
        outsider_api, owner_api, recorded_job, method, path):
    known, unknown = (outsider_api._send(method, path.format(id=job), {"decision": "cancel"})
                      for job in (recorded_job, "no-such-job"))

    assert known.status_code == unknown.status_code == HTTPStatus.FORBIDDEN
    assert known.json() == unknown.json()


def test_the_viewers_group_reads_webhooks_without_their_secrets(django_user_model, api_client_for):
    Webhook.objects.create(name="ops", url="https://hooks.example.com/ops", secret_encrypted="sealed-value")
    viewer = api_client_for(_member(django_user_model, "vera", "Viewers"))

    response = viewer.get(f"{COSTS}/webhooks")

    assert response.status_code == HTTPStatus.OK, response.content
    assert [w["name"] for w in response.json()["items"]] == ["ops"]
    assert "sealed-value" not in response.content.decode() and "secret" not in response.json()["items"][0]
    webhook_id = response.json()["items"][0]["id"]
    assert viewer.get(f"{COSTS}/webhooks/{webhook_id}/deliveries").status_code == HTTPStatus.OK
    assert viewer.delete(f"{COSTS}/webhooks/{webhook_id}").status_code == HTTPStatus.FORBIDDEN


def test_the_groups_hold_the_permissions_of_every_model_of_our_apps():
    viewers = set(Group.objects.get(name="Viewers").permissions.values_list("codename", flat=True))
    editors = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))

    assert {"view_webhook", "view_webhookdelivery", "view_stagerun", "view_costoperation"} <= viewers
    assert all(c.startswith("view_") for c in viewers)
    assert {"add_webhook", "change_webhook", "delete_webhook", "add_exportjob"} <= editors
    assert not {"add_apitoken", "change_apitoken", "delete_apitoken"} & editors


def test_completing_the_groups_adds_missing_permissions_and_leaves_deleted_groups_deleted():
    viewers = Group.objects.get(name="Viewers")
    viewers.permissions.remove(*viewers.permissions.filter(codename="view_webhook"))
    Group.objects.filter(name="Editors").delete()

    groups_complete()

    assert viewers.permissions.filter(codename="view_webhook").exists()
    assert not Group.objects.filter(name="Editors").exists()
