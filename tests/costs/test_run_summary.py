"""Run summaries stay the same size and cost however long the run; operations are paged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.test import Client

from costs import optimizer, selectors
from costs.models import CostOperation

pytestmark = pytest.mark.django_db
BASE = "/api/cost-tracking"
START = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
STAGES = [("ScriptGeneration", "OpenAI", "gpt-4o"), ("TTS", "ElevenLabs", ""), ("Visuals", "Stability", ""),
          ("refinement", "Anthropic", "claude-3-opus")]


def _seed(job: str, n: int) -> None:
    rows = []
    for i in range(n):
        stage, provider, model = STAGES[i % 4]
        rows.append(CostOperation(
            idempotency_key=f"{job}-{i}", job_id=job, stage=stage, provider=provider, model=model,
            input_tokens=1000 * (i % 3) if model else 0, output_tokens=400 if model else 0,
            characters=2500 if stage == "TTS" else 0, cache_hit=i % 7 == 0, cost=Decimal("0.0125") + i % 5,
            cost_saved=Decimal("0.001") if i % 7 == 0 else 0, cost_source="reported",
            timestamp=START + dt.timedelta(seconds=n - i)))
    CostOperation.objects.bulk_create(rows)


@pytest.mark.parametrize("n", [40, 400])
def test_the_summary_takes_the_same_queries_and_size_however_long_the_run(owner_api, n,
                                                                          django_assert_max_num_queries):
    _seed("ref", 40)
    _seed("run", n)
    baseline = owner_api.get(f"{BASE}/run-summary/ref")
    with django_assert_max_num_queries(10):  # the token, 5 aggregates, a page, config, prices, catalog
        response = owner_api.get(f"{BASE}/run-summary/run")
    summary = response.json()
    assert summary["tokenStats"]["operationCount"] == n
    assert len(summary["operations"]) == selectors.SUMMARY_OPERATIONS
    assert summary["operationsHref"] == f"{BASE}/operations?jobId=run"
    assert abs(len(response.content) - len(baseline.content)) < 64


def test_the_summary_figures_equal_sums_over_every_operation(owner_api):
    _seed("run", 203)
    summary = owner_api.get(f"{BASE}/run-summary/run").json()
    rows = list(CostOperation.objects.filter(job_id="run"))
    assert Decimal(str(summary["totalCost"])) == sum(r.cost for r in rows)
    for stage, _, _ in STAGES:
        assert Decimal(str(summary["costByStage"][stage]["cost"])) == sum(r.cost for r in rows if r.stage == stage)
    assert summary["tokenStats"]["totalTokens"] == sum(r.input_tokens + r.output_tokens for r in rows)
    assert summary["tokenStats"]["cacheHits"] == sum(r.cache_hit for r in rows)


def test_the_runs_suggestions_from_sql_equal_those_from_its_operations():
    _seed("run", 97)
    CostOperation.objects.filter(job_id="run", stage="ScriptGeneration").update(model="gpt-4")
    found = optimizer.job_suggestions(job_id="run")
    everything = list(CostOperation.objects.filter(job_id="run").order_by("timestamp", "id"))
    assert found == optimizer.suggestions(everything)
    assert {s["category"] for s in found} >= {"Caching", "TTSAlternative"}
    repeats = [s for s in found if s["category"] == "Caching"][0]
    seen, expected = set(), Decimal(0)
    for o in everything:  # every repeat after the first, in time order
        signature = (o.stage, o.provider, o.model, o.input_tokens)
        if o.input_tokens and not o.cache_hit:
            expected += o.cost if signature in seen else 0
            seen.add(signature)
    assert Decimal(str(repeats["estimatedSavings"])) == expected


def test_operations_are_paged_in_time_order_with_the_total_count(owner_api):
    _seed("run", 25)
    _seed("other", 3)
    first = owner_api.get(f"{BASE}/operations", {"jobId": "run", "limit": 10}).json()
    last = owner_api.get(f"{BASE}/operations", {"jobId": "run", "limit": 10, "offset": 20}).json()
    assert first["count"] == last["count"] == 25
    assert len(first["items"]) == 10 and len(last["items"]) == 5
    stamps = [i["timestamp"] for i in first["items"] + last["items"]]
    assert stamps == sorted(stamps) and first["items"][0]["idempotencyKey"] == "run-24"
    assert {"cost", "costSaved", "cacheHit", "inputTokens", "stage", "provider"} <= set(first["items"][0])


@pytest.mark.parametrize("query", [{"jobId": "run", "limit": 1001}, {"jobId": "run", "limit": 0},
                                   {"jobId": "run", "offset": -1}, {}])
def test_a_bad_page_request_is_a_422_naming_the_field(owner_api, query):
    response = owner_api.get(f"{BASE}/operations", query)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["errors"]


def test_operations_need_the_right_to_view_them(viewer_api, outsider_api, anon_api):
    _seed("run", 3)
    assert viewer_api.get(f"{BASE}/operations", {"jobId": "run"}).json()["count"] == 3
    assert outsider_api.get(f"{BASE}/operations", {"jobId": "run"}).status_code == HTTPStatus.FORBIDDEN
    assert anon_api.get(f"{BASE}/operations", {"jobId": "run"}).status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize("n", [8, 800])
def test_the_live_meter_fragment_is_small_and_cheap_whatever_the_run(viewer, n, django_assert_max_num_queries):
    _seed("run", n)
    selectors.configuration_get()
    client = Client()
    client.force_login(viewer)
    with django_assert_max_num_queries(10):
        response = client.get("/costs/jobs/run/meter/", headers={"HX-Request": "true"})
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert "By stage" in body and "Suggestions" not in body and "run-0" not in body
    assert len(body) < 6000
