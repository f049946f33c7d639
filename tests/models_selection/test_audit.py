"""Every resolution leaves exactly one append-only audit entry; resolving takes constant queries."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test.utils import CaptureQueriesContext

from models_selection import resolving
from models_selection.models import AppendOnlyError, ModelSelection, ResolutionAudit
from models_selection.resolver import RunOverride

from .factories import AuditFactory, SelectionFactory

pytestmark = pytest.mark.django_db


def test_resolving_four_stages_writes_four_entries_with_source_reasoning_and_correlation(world):
    SelectionFactory(scope="Stage", stage="script", provider="OpenAI", model_id="gpt-4o", is_pinned=True)
    SelectionFactory(scope="Global", stage="", provider="Anthropic", model_id="claude-opus-4-5")

    resolving.stages_resolve(
        overrides={"visual": RunOverride("OpenAI", "gpt-9", True)}, job_id="job-1", correlation_id="corr-42"
    )

    entries = {e.stage: e for e in ResolutionAudit.objects.all()}
    assert set(entries) == {"script", "visual", "narration", "refinement"}
    assert (entries["script"].source, entries["script"].is_pinned) == ("StagePinned", True)
    assert entries["script"].reasoning.startswith("Using stage-pinned model: gpt-4o")
    assert (entries["visual"].source, entries["visual"].is_blocked) == ("RunOverridePinned", True)
    assert entries["visual"].alternatives
    assert entries["narration"].source == "GlobalDefault"
    assert "no run override; no stage selection; no project override" in entries["narration"].reasoning
    assert {e.job_id for e in entries.values()} == {"job-1"}
    assert {e.correlation_id for e in entries.values()} == {"corr-42"}


def test_a_dry_run_is_audited_without_a_job_id(world, owner_api):
    response = owner_api.post("/api/models/resolve", {"stages": ["script"]})

    assert response.status_code == 200
    entry = ResolutionAudit.objects.get()
    assert entry.job_id == ""
    assert entry.is_blocked
    assert entry.correlation_id == response.json()["correlationId"]


def test_audit_entries_cannot_be_changed_or_deleted():
    entry = AuditFactory()

    entry.reasoning = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        ResolutionAudit.objects.filter(pk=entry.pk).update(reasoning="rewritten")
    with pytest.raises(AppendOnlyError):
        ResolutionAudit.objects.all().delete()
    assert ResolutionAudit.objects.get().reasoning == "Using global default: gpt-4o."


def test_the_admin_shows_the_audit_log_read_only(rf, owner):
    request = rf.get("/admin/")
    request.user = owner
    audit_admin = site._registry[ResolutionAudit]

    assert audit_admin.has_view_permission(request)
    assert not audit_admin.has_add_permission(request)
    assert not audit_admin.has_change_permission(request)
    assert not audit_admin.has_delete_permission(request)
    assert audit_admin.get_actions(request) == {}


def test_the_admin_audit_page_lists_entries_and_filters(client, owner):
    AuditFactory(stage="visual", job_id="job-xyz")
    client.force_login(owner)

    response = client.get("/admin/models_selection/resolutionaudit/", {"stage": "visual"})

    assert response.status_code == 200
    assert b"job-xyz" in response.content


def test_the_audit_log_api_filters_and_lists_newest_first(world, owner_api):
    AuditFactory(stage="script", job_id="job-a", source="StagePinned")
    AuditFactory(stage="visual", job_id="job-b", is_blocked=True, source="RunOverridePinned")
    AuditFactory(stage="visual", job_id="job-c")

    everything = owner_api.get("/api/models/audit-log", {"limit": 100}).json()
    blocked = owner_api.get("/api/models/audit-log", {"blocked": "true"}).json()
    by_job = owner_api.get("/api/models/audit-log", {"jobId": "job-a"}).json()
    by_source = owner_api.get(
        "/api/models/audit-log", {"source": "RunOverridePinned", "stage": "visual"}
    ).json()

    assert [e["jobId"] for e in everything["items"]] == ["job-c", "job-b", "job-a"]
    assert everything["count"] == 3
    assert set(everything["items"][0]) >= {
        "provider",
        "stage",
        "modelId",
        "source",
        "reasoning",
        "isPinned",
        "isBlocked",
        "timestamp",
        "jobId",
        "correlationId",
    }
    assert [e["jobId"] for e in blocked["items"]] == ["job-b"]
    assert [e["jobId"] for e in by_job["items"]] == ["job-a"]
    assert [e["jobId"] for e in by_source["items"]] == ["job-b"]


def test_the_api_has_no_way_to_change_the_audit_log():
    from tests.routes import all_routes

    audit_routes = [r for r in all_routes() if "audit" in r.path]
    assert [r.method for r in audit_routes] == ["GET"]


def _queries_to_resolve_all_stages(project_id: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        resolving.stages_resolve(
            project_id=project_id, overrides={"script": RunOverride("OpenAI", "gpt-4o", True)}
        )
    return len(captured)


def _grow(selections: int, audit_rows: int) -> None:
    ModelSelection.objects.bulk_create(
        [
            SelectionFactory.build(scope="Project", stage="script", project_id=f"p{i}", model_id="gpt-4o")
            for i in range(ModelSelection.objects.filter(scope="Project").count(), selections)
        ]
    )
    ResolutionAudit.objects.bulk_create([AuditFactory.build() for _ in range(audit_rows)])


def test_resolving_all_stages_takes_the_same_queries_with_10_and_10000_rows(world):
    SelectionFactory(scope="Global", stage="", provider="Anthropic", model_id="claude-opus-4-5")
    _grow(10, 10)
    small = _queries_to_resolve_all_stages("p3")

    _grow(10_000, 10_000)
    large = _queries_to_resolve_all_stages("p3")

    assert small == large
    assert large <= 5 + 2  # four reads and one bulk insert, inside a savepoint pair


def test_resolving_all_stages_takes_at_most_four_reads_and_one_insert(world, django_assert_max_num_queries):
    SelectionFactory(scope="Stage", stage="visual", provider="OpenAI", model_id="gpt-4o-mini")
    with CaptureQueriesContext(connection) as captured:
        resolving.stages_resolve(project_id="p1")

    statements = [q["sql"].split()[0].upper() for q in captured]
    assert statements.count("SELECT") <= 4
    assert statements.count("INSERT") == 1
