"""Every page: sign-in required, constant queries for 1 and 200 rows, read-only users change nothing."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus

import pytest
from django.test import Client
from django.utils import timezone

from costs.models import CostOperation, Price
from models_selection.models import ResolutionAudit
from models_selection.runs.models import Job
from preferences.kinds import KINDS
from preferences.models import ContentFilteringPolicy, CustomAudienceProfile

pytestmark = pytest.mark.django_db

PAGES = ["/", "/preferences/", "/preferences/import-export/", "/models/", "/models/audit/", "/costs/",
         "/costs/jobs/job-1/"] + [f"/preferences/{k.slug}/" for k in KINDS] + [
         f"/preferences/{k.slug}/new/" for k in KINDS]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(url):
    response = Client().get(url)
    assert response.status_code == HTTPStatus.FOUND and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", PAGES)
def test_every_page_renders_for_a_viewer_except_the_create_forms(viewer, url):
    expected = HTTPStatus.FORBIDDEN if url.endswith("/new/") else HTTPStatus.OK
    assert _client(viewer).get(url).status_code == expected


def _rows(n: int) -> None:
    CustomAudienceProfile.objects.bulk_create(
        [CustomAudienceProfile(name=f"p{n}-{i}", tags=["t"]) for i in range(n)])
    ContentFilteringPolicy.objects.bulk_create([ContentFilteringPolicy(name=f"c{n}-{i}") for i in range(n)])
    ResolutionAudit.objects.bulk_create([
        ResolutionAudit(provider="OpenAI", stage="script", model_id="gpt-4o", source="GlobalDefault",
                        reasoning="r", is_pinned=False, is_blocked=False, job_id="job-1", timestamp=timezone.now())
        for _ in range(n)])
    Job.objects.bulk_create([Job(id=f"job-{n}-{i}", brief="b", status="Planned") for i in range(n)])
    CostOperation.objects.bulk_create([
        CostOperation(idempotency_key=f"k{n}-{i}", job_id="job-1", stage="TTS" if i % 2 else "ScriptGeneration",
                      provider="OpenAI", cost=Decimal("0.01"), cost_source="reported") for i in range(n)])
    Price.objects.bulk_create([Price(provider_name=f"P{n}-{i}", provider_type="TTS",
                                     cost_per_1k_characters=Decimal("0.1")) for i in range(n)])


@pytest.mark.parametrize("url", PAGES)
def test_pages_run_the_same_number_of_queries_for_1_and_200_rows(owner, url, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(owner)
    _rows(1)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    _rows(199)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(url).status_code == HTTPStatus.OK


FORGED = [
    ("/preferences/audience-profiles/new/", {"name": "Forged"}),
    ("/preferences/import-export/import/", {"json_data": '{"version": "1.0"}', "confirm": "1"}),
    ("/models/selection/", {"stage": "script", "model": "OpenAI:gpt-4o"}),
    ("/models/fallback/", {"allow": "1"}),
    ("/models/jobs/", {"brief": "forged"}),
    ("/costs/configuration/", {"overall_monthly_budget": "1", "period_type": "Monthly", "currency": "USD",
                               "alert_thresholds": "50", "alert_frequency": "Once"}),
    ("/costs/pricing/", {"provider_name": "OpenAI", "provider_type": "LLM", "cost_per_1k_input_tokens": "9"}),
]


@pytest.mark.parametrize(("url", "data"), FORGED)
def test_a_read_only_user_cannot_change_anything_with_a_forged_post(viewer, url, data):
    from costs.models import CostConfiguration
    from models_selection.models import ModelSelection, SelectionSettings

    response = _client(viewer).post(url, data)
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not CustomAudienceProfile.objects.filter(name="Forged").exists()
    assert not ModelSelection.objects.exists() and not Job.objects.exists()
    assert not SelectionSettings.objects.filter(allow_automatic_fallback=True).exists()
    assert not CostConfiguration.objects.filter(overall_monthly_budget=1).exists()
    assert not Price.objects.filter(provider_name="OpenAI", model_id="").exists()


def test_a_read_only_user_sees_no_edit_buttons(viewer):
    html = _client(viewer).get("/preferences/audience-profiles/").content.decode()
    assert "Create audience profile" not in html and ">Delete<" not in html and ">Select<" not in html
    models_html = _client(viewer).get("/models/").content.decode()
    assert "Save Script Generation" not in models_html and "Plan run" not in models_html
