"""Runs are their own app (label `runs`; who may import it: tests/foundation/test_import_rules.py), its
models keep their tables, and the rights on runs granted before the move are kept by the migration that moves them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from models_selection.runs.models import Job, JobDecision, StageRun

BEFORE_THE_MOVE = [("models_selection", "0006_job_task_heartbeat"), ("contenttypes", "0002_remove_content_type_name"),
                   ("auth", "0012_alter_user_first_name_max_length")]


def test_the_run_models_belong_to_runs_and_keep_their_tables():
    assert [(m._meta.app_label, m._meta.db_table) for m in (Job, JobDecision, StageRun)] == [
        ("runs", "models_selection_job"), ("runs", "models_selection_jobdecision"),
        ("runs", "models_selection_stagerun")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_rights_and_rows_from_before_the_move_are_kept(django_user_model):
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    old = _migrate(BEFORE_THE_MOVE)
    OldJob = old.get_model("models_selection", "Job")
    OldStageRun = old.get_model("models_selection", "StageRun")
    OldContentType = old.get_model("contenttypes", "ContentType")
    OldPermission = old.get_model("auth", "Permission")
    OldGroup = old.get_model("auth", "Group")
    OldUser = old.get_model("auth", "User")
    job_type = OldContentType.objects.get(app_label="models_selection", model="job")
    assert not OldContentType.objects.filter(app_label="runs").exists()
    group = OldGroup.objects.create(name="Run auditors")
    group.permissions.add(OldPermission.objects.get(content_type=job_type, codename="view_job"))
    user = OldUser.objects.create(username="rita")
    user.user_permissions.add(OldPermission.objects.get(content_type=job_type, codename="change_job"))
    OldJob.objects.create(id="job-before", brief="Tides", status="Succeeded")
    OldStageRun.objects.create(job_id="job-before", stage="script", status="Succeeded", cost="0.25")

    _migrate(_latest())
    ContentType.objects.clear_cache()

    assert not ContentType.objects.filter(app_label="models_selection", model__in=["job", "stagerun"]).exists()
    assert set(Group.objects.get(name="Run auditors").permissions.values_list(
        "content_type__app_label", "codename")) == {("runs", "view_job")}
    rita = django_user_model.objects.get(username="rita")
    assert rita.has_perm("runs.change_job") and not rita.has_perm("runs.view_job")
    assert Permission.objects.filter(content_type__app_label="runs", codename="view_job").count() == 1
    job = Job.objects.get(pk="job-before")
    assert (job.brief, job.status, [(s.stage, str(s.cost)) for s in job.stage_runs.all()]) == (
        "Tides", "Succeeded", [("script", "0.250000")])


@pytest.mark.django_db(transaction=True)
def test_a_runs_content_type_made_early_takes_over_the_grants_of_the_old_one():
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType

    old = _migrate(BEFORE_THE_MOVE)
    OldContentType = old.get_model("contenttypes", "ContentType")
    OldPermission = old.get_model("auth", "Permission")
    OldGroup = old.get_model("auth", "Group")
    job_type = OldContentType.objects.get(app_label="models_selection", model="job")
    early = OldContentType.objects.create(app_label="runs", model="job")
    for permission in OldPermission.objects.filter(content_type=job_type):
        OldPermission.objects.create(content_type=early, codename=permission.codename, name=permission.name)
    group = OldGroup.objects.create(name="Run auditors")
    group.permissions.add(OldPermission.objects.get(content_type=job_type, codename="view_job"))

    _migrate(_latest())
    ContentType.objects.clear_cache()

    assert not ContentType.objects.filter(app_label="models_selection", model="job").exists()
    assert set(Group.objects.get(name="Run auditors").permissions.values_list(
        "content_type__app_label", "codename")) == {("runs", "view_job")}


def test_every_run_choice_names_a_kind_a_request_field_and_a_cli_flag():
    from aura_site.cli import build_parser
    from models_selection.runs.choices import RUN_CHOICES
    from models_selection.runs.schemas import JobIn
    from preferences.kinds import KINDS_BY_KEY

    flags = {a.dest for a in build_parser()._subparsers._group_actions[0].choices["generate"]._actions}
    assert [(c.kind in KINDS_BY_KEY, c.field in JobIn.model_fields, c.flag.replace("-", "_") in flags)
            for c in RUN_CHOICES] == [(True, True, True)] * len(RUN_CHOICES)
    ids = {f for f in JobIn.model_fields if f.endswith(("_id", "_ids"))} - {"project_id"}
    assert ids == {c.field for c in RUN_CHOICES}


def test_the_run_routes_keep_their_published_operation_ids_and_tag():
    from aura_site.api import api

    document = api.get_openapi_schema()
    runs = {(path, method): (o["operationId"], o["tags"]) for path, methods in document["paths"].items()
            if path.startswith("/api/jobs") for method, o in methods.items()}
    assert runs == {
        ("/api/jobs", "post"): ("models_selection_api_job_create", ["Model selection"]),
        ("/api/jobs", "get"): ("models_selection_api_job_list", ["Model selection"]),
        ("/api/jobs/{job_id}", "get"): ("models_selection_api_job_get", ["Model selection"]),
        ("/api/jobs/{job_id}/decision", "post"): ("models_selection_api_job_decision", ["Model selection"]),
        ("/api/jobs/{job_id}/start", "post"): ("models_selection_api_job_start", ["Model selection"]),
        ("/api/jobs/{job_id}/artifacts", "get"): ("models_selection_api_job_artifacts", ["Model selection"]),
    }
