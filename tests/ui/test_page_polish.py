"""What a new user and a screen reader meet on the pages: help and error ids that exist, the current nav
link, labels that name their row, empty states, progress bars within their range, status polling that
backs off and gives up, and a blocked-run dialog that offers only what it can do."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from http import HTTPStatus

import pytest
from django.test import Client
from django.utils import timezone

from aura_site.polling import MAX_DELAY_MS, poll_next
from costs.models import BudgetTotal, ExportJob, Price
from models_selection.models import ProbeResult

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _ids(html: str) -> Counter:
    return Counter(re.findall(r'\sid="([^"]+)"', html))


def _described_by(html: str) -> list[str]:
    return [i for value in re.findall(r'aria-describedby="([^"]+)"', html) for i in value.split()]


@pytest.mark.parametrize("url", ["/preferences/audience-profiles/new/", "/preferences/quality-thresholds/new/",
                                 "/costs/"])
def test_every_aria_describedby_points_at_an_element_that_exists(owner, url):
    html = _client(owner).get(url).content.decode()
    described = _described_by(html)
    assert described, "the form's help texts are not tied to their fields"
    ids = _ids(html)
    assert [i for i in described if i not in ids] == []


def test_a_field_with_two_errors_has_one_error_element_and_no_duplicate_ids(owner):
    # Both the JSON shape and the list rules fail for these fields: more than one message per field.
    response = _client(owner).post("/preferences/audience-profiles/new/", {
        "name": "", "min_age": "200", "max_age": "-1", "mode": "advanced"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    duplicates = [i for i, n in _ids(html).items() if n > 1]
    assert duplicates == []
    assert [i for i in _described_by(html) if i not in _ids(html)] == []
    invalid = re.findall(r'<(?:input|select|textarea)[^>]*aria-invalid="true"[^>]*>', html)
    for tag in invalid:
        field_id = re.search(r'\sid="([^"]+)"', tag).group(1)
        assert f"{field_id}_error" in re.search(r'aria-describedby="([^"]+)"', tag).group(1)


def test_the_budget_form_ties_each_error_to_its_field(owner):
    response = _client(owner).post("/costs/configuration/", {
        "overall_monthly_budget": "-1.1234567", "period_type": "Monthly", "currency": "USD",
        "alert_thresholds": "x", "alert_frequency": "Once"})
    html = response.content.decode()
    assert 'id="id_overall_monthly_budget_error"' in html and 'id="id_alert_thresholds_error"' in html
    two = re.search(r'id="id_overall_monthly_budget_error">(.*?)</div>', html).group(1)
    assert two.count("<p>") == 2  # below zero and more than six decimals: two messages, one id
    assert [i for i, n in _ids(html).items() if n > 1] == []
    assert [i for i in _described_by(html) if i not in _ids(html)] == []


@pytest.mark.parametrize(("url", "current"), [
    ("/models/", "Models"), ("/costs/", "Costs"), ("/costs/jobs/j1/", "Costs"),
    ("/preferences/", "Preferences"), ("/preferences/audience-profiles/", "Preferences"),
    ("/preferences/import-export/", "Import/Export"), ("/", None),
])
def test_the_nav_marks_the_section_of_the_page(owner, url, current):
    html = _client(owner).get(url).content.decode()
    nav = html[html.index('<nav aria-label="Main">'):]
    nav = nav[:nav.index("</nav>")]
    marked = re.findall(r'<a [^>]*aria-current="page"[^>]*>([^<]+)</a>', nav)
    assert marked == ([current] if current else [])


def test_pin_and_price_labels_name_their_stage_and_model(owner):
    models = _client(owner).get("/models/").content.decode()
    assert re.search(r'> Pin<span class="visually-hidden"> Script Generation</span></label>', models)
    Price.objects.create(provider_name="OpenAI", model_id="gpt-x", provider_type="LLM")
    costs = _client(owner).get("/costs/").content.decode()
    assert 'In/1K<span class="visually-hidden"> input tokens, OpenAI gpt-x</span>' in costs


def test_the_clone_buttons_accessible_name_is_their_visible_label(owner):
    html = _client(owner).get("/preferences/audience-profiles/").content.decode()
    presets = html[html.index('id="presets-title"'):html.index("</section>", html.index('id="presets-title"'))]
    buttons = re.findall(r"<button[^>]*>Clone[^<]*</button>", presets)
    assert buttons and all("aria-label" not in b for b in buttons)


def test_the_provider_spend_and_pricing_tables_have_empty_states(owner):
    Price.objects.all().delete()
    html = _client(owner).get("/costs/").content.decode()
    assert "No provider has spent anything this period" in html
    assert "No prices yet." in html


def test_an_overspent_budget_bar_stays_within_its_range(owner, owner_api):
    owner_api.put("/api/cost-tracking/configuration", {"overallMonthlyBudget": 1, "providerBudgets": {"OpenAI": 1}})
    owner_api.post("/api/cost-tracking/operations", {"idempotencyKey": "k", "jobId": "j", "stage": "s",
                                                     "provider": "OpenAI", "model": "gpt-4o", "cost": 2.5})
    assert BudgetTotal.objects.filter(scope=BudgetTotal.OVERALL).get().spent > 1
    html = _client(owner).get("/costs/").content.decode()
    bars = re.findall(r'<div class="bar[^"]*" role="progressbar"[^>]*>', html)
    assert len(bars) == 2
    for bar in bars:
        now = float(re.search(r'aria-valuenow="([^"]+)"', bar).group(1))
        top = float(re.search(r'aria-valuemax="([^"]+)"', bar).group(1))
        assert now <= top and 'aria-valuetext="250.0% used"' in bar


def test_polling_backs_off_to_a_ceiling_and_gives_up_after_its_patience():
    start = timezone.now()
    delays = [poll_next(attempt=a, waiting_since=start, patience=dt.timedelta(seconds=30), now=start).delay_ms
              for a in range(12)]
    assert delays[0] == 1000 and delays == sorted(delays) and delays[-1] == MAX_DELAY_MS
    assert not poll_next(attempt=3, waiting_since=start, patience=dt.timedelta(seconds=30),
                         now=start + dt.timedelta(seconds=29)).gave_up
    assert poll_next(attempt=3, waiting_since=start, patience=dt.timedelta(seconds=30),
                     now=start + dt.timedelta(seconds=31)).gave_up


def _probe(**fields) -> ProbeResult:
    return ProbeResult.objects.create(provider="OpenAI", model_id="gpt-4o", **fields)


def test_a_pending_probe_asks_again_later_and_later(owner):
    probe = _probe()
    first = _client(owner).get(f"/models/probes/{probe.pk}/").content.decode()
    later = _client(owner).get(f"/models/probes/{probe.pk}/?attempt=3").content.decode()
    assert 'hx-trigger="load delay:1000ms"' in first and f"/models/probes/{probe.pk}/?attempt=1" in first
    assert re.search(r'hx-trigger="load delay:(\d+)ms"', later).group(1) == "3375"
    assert "every" not in first


@pytest.mark.parametrize("attempt", ["abc", "-5", "99999999999999999999999", "1e9", ""])
def test_a_hostile_attempt_number_still_polls_within_the_ceiling(owner, attempt):
    probe = _probe()
    response = _client(owner).get(f"/models/probes/{probe.pk}/", {"attempt": attempt})
    assert response.status_code == HTTPStatus.OK
    delay = int(re.search(r'hx-trigger="load delay:(\d+)ms"', response.content.decode()).group(1))
    assert 1000 <= delay <= MAX_DELAY_MS


def test_a_probe_nobody_runs_ends_in_an_error_and_polling_stops(owner):
    probe = _probe()
    ProbeResult.objects.filter(pk=probe.pk).update(created_at=timezone.now() - dt.timedelta(minutes=5))
    html = _client(owner).get(f"/models/probes/{probe.pk}/?attempt=40").content.decode()
    assert 'role="alert"' in html and "not answering" in html
    assert "hx-get" not in html and "hx-trigger" not in html


def test_a_finished_probe_stops_polling(owner):
    probe = _probe(status="done", is_available=True, latency_ms=12)
    html = _client(owner).get(f"/models/probes/{probe.pk}/").content.decode()
    assert "Available" in html and "hx-get" not in html


@pytest.mark.parametrize(("state", "age_s", "polls"), [
    (ExportJob.State.PENDING, 5, True),
    (ExportJob.State.PENDING, 600, False),
    (ExportJob.State.STARTED, 600, True),
    (ExportJob.State.SUCCESS, 5, False),
    (ExportJob.State.FAILURE, 5, False),
])
def test_export_status_polls_until_a_final_state_or_until_no_worker_picks_it_up(owner, state, age_s, polls):
    export = ExportJob.objects.create(job_id="j", format="csv", state=state,
                                      created_at=timezone.now() - dt.timedelta(seconds=age_s))
    html = _client(owner).get(f"/costs/exports/{export.pk}/").content.decode()
    assert ("hx-get" in html) == polls
    if state == ExportJob.State.PENDING and not polls:
        assert 'role="alert"' in html and "No worker has picked up" in html


def _blocked_job(owner_api, **extra) -> str:
    body = {"brief": "Tides", "modelOverrides": {"script": {"provider": "Anthropic", "modelId": "claude-3-opus",
                                                            "pin": True}}, **extra}
    response = owner_api.post("/api/jobs", body)
    assert response.status_code == HTTPStatus.CONFLICT
    return response.json()["jobId"]


def test_a_blocked_run_without_an_alternative_does_not_offer_apply_recommended(owner, owner_api):
    job_id = _blocked_job(owner_api)  # no provider has a key: nothing is available to recommend
    html = _client(owner).get(f"/models/jobs/{job_id}/").content.decode()
    dialog = html[html.index("<dialog"):html.index("</dialog>")]
    assert "Retry with original later" in dialog
    assert "Apply recommended model" not in dialog and 'value="apply-recommended"' not in dialog


def test_a_blocked_run_with_an_alternative_offers_apply_recommended(owner, owner_api):
    from models_selection import connections as model_connections

    model_connections.provider_update(name="OpenAI", api_key="sk-test")
    job_id = _blocked_job(owner_api)
    html = _client(owner).get(f"/models/jobs/{job_id}/").content.decode()
    assert 'value="apply-recommended"' in html and "Alternative for Script Generation" in html
