"""Runs against misbehaving providers: each fault ends with known job and stage states, exact ledger rows
and the hold settled to the cent. The providers are the real fake server on 127.0.0.1."""

from __future__ import annotations

import json
import math
import socket
from decimal import Decimal

import bpe_openai
import pytest

from costs.configuration import configuration_update
from costs.models import Alert, BudgetTotal, CostOperation, Hold
from costs.webhooks import webhook_create
from models_selection import connections, services
from models_selection.models import CatalogModel
from models_selection.runs.execution import run_execute
from models_selection.runs.lifecycle import run_start
from models_selection.runs.metering import call_cost, reservation
from models_selection.runs.models import Job, StageRun
from tests.fake_provider import GOOD_KEY, HUGE_USAGE_TOKENS, OVERRUN_OUTPUT_TOKENS

from .conftest import PRICES, _price
from .test_execution import BRIEF, start_run

pytestmark = pytest.mark.django_db

# The script stage moved to a misbehaving model of each SDK's vendor.
VENDOR_OF = {"OpenAI": "fake-gpt", "Anthropic": "fake-claude"}
FAULTS = ["garbage-json", "garbage-html", "garbage-empty", "nousage", "hugeusage", "overrun"]


@pytest.fixture
def faulty_models(run_world):
    """`{vendor}-{fault}` models in the catalog, priced like the vendor's good model."""
    for provider, base in VENDOR_OF.items():
        for fault in FAULTS:
            CatalogModel.objects.update_or_create(provider=provider, model_id=f"{base}-{fault}",
                                                  defaults={"stages": ["script", "visual", "narration", "refinement"]})
            _price(provider, f"{base}-{fault}", PRICES[(provider, base)])
    return run_world


def run_on(api, capture, provider: str, fault: str) -> Job:
    model = f"{VENDOR_OF[provider]}-{fault}"
    return start_run(api, capture, modelOverrides={"script": {"provider": provider, "modelId": model}})


def assert_hold_settled(job: Job) -> Decimal:
    """The hold is released, the running totals hold nothing, and what was spent is exactly the ledger's sum."""
    used = sum((op.cost for op in CostOperation.objects.filter(job_id=job.id)), Decimal("0"))
    hold = Hold.objects.get(job_id=job.id)
    assert hold.released_at is not None and hold.remaining == 0
    assert job.outcome["settlement"]["used"] == float(used)
    for total in BudgetTotal.objects.all():
        assert total.held == 0, total
    assert BudgetTotal.objects.get(scope="overall", key="").spent == used
    return used


# --- provider garbage -----------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["OpenAI", "Anthropic"])
@pytest.mark.parametrize(("fault", "said"), [
    ("garbage-json", "answered HTTP 200 with a body that is not valid JSON (application/json"),
    ("garbage-html", "answered HTTP 200 with a body that is not a completion (text/html"),
    ("garbage-empty", "answered HTTP 200 with an empty body"),
])
def test_a_body_that_is_not_a_completion_fails_the_stage_and_records_nothing(
    faulty_models, owner_api, django_capture_on_commit_callbacks, provider, fault, said
):
    job = run_on(owner_api, django_capture_on_commit_callbacks, provider, fault)

    script = StageRun.objects.get(job=job, stage="script")
    assert job.status == "Failed" and job.finished_at is not None
    assert (script.status, script.http_status) == ("Failed", 200)
    assert said in script.error and script.finished_at is not None
    assert "internal error" not in job.outcome["reasons"][0] and said in job.outcome["reasons"][0]
    assert list(StageRun.objects.filter(job=job).values_list("stage", flat=True)) == ["script"]
    assert not CostOperation.objects.filter(job_id=job.id).exists()
    assert assert_hold_settled(job) == 0
    assert job.outcome["settlement"]["released"] == float(Hold.objects.get(job_id=job.id).amount)


@pytest.mark.parametrize("provider", ["OpenAI", "Anthropic"])
def test_a_usage_too_large_to_price_is_a_provider_error_kept_for_investigation(
    faulty_models, owner_api, django_capture_on_commit_callbacks, provider
):
    job = run_on(owner_api, django_capture_on_commit_callbacks, provider, "hugeusage")

    script = StageRun.objects.get(job=job, stage="script")
    assert job.status == "Failed" and job.finished_at is not None
    assert script.status == "Failed" and script.finished_at is not None
    assert "usage too large to price" in script.error and str(HUGE_USAGE_TOKENS) in script.error
    assert (script.input_tokens, script.output_tokens, script.cost) == (0, 0, 0)
    assert "usage too large to price" in job.outcome["reasons"][0]
    assert not CostOperation.objects.filter(job_id=job.id).exists()
    assert assert_hold_settled(job) == 0


# --- no usage in the answer -----------------------------------------------------------------------------


def _expected_estimate(provider: str, request: dict, text: str) -> tuple[int, int]:
    """The tokens of what was sent and answered: OpenAI's tokenizer, else UTF-8 bytes / 3 (rounded up)."""
    body = request["body"]
    contents = [m["content"] for m in body["messages"]] + ([body["system"]] if body.get("system") else [])
    if provider == "OpenAI":
        encoding = bpe_openai.get_encoding("o200k_base")
        prompt = sum(len(encoding.encode(c)) for c in contents) + 3 * len(contents) + 3
        return prompt, len(encoding.encode(text))
    per_message = 8
    return (sum(math.ceil(len(c.encode()) / 3) for c in contents) + per_message * len(contents),
            math.ceil(len(text.encode()) / 3))


@pytest.mark.parametrize("provider", ["OpenAI", "Anthropic"])
def test_an_answer_without_usage_is_counted_and_recorded_as_estimated_never_free(
    faulty_models, owner_api, django_capture_on_commit_callbacks, provider
):
    job = run_on(owner_api, django_capture_on_commit_callbacks, provider, "nousage")

    assert job.status == "Succeeded", job.outcome
    script = StageRun.objects.get(job=job, stage="script")
    op = CostOperation.objects.get(idempotency_key=f"{job.id}:script:1")
    request = faulty_models.completions()[0]
    assert request["body"]["model"].endswith("-nousage")
    prompt, answer = _expected_estimate(provider, request, script.output)
    assert (op.input_tokens, op.output_tokens) == (script.input_tokens, script.output_tokens) == (prompt, answer)
    snapshot = job.price_snapshot[f"{provider}:{VENDOR_OF[provider]}-nousage"]
    assert op.cost == call_cost(snapshot, input_tokens=prompt, output_tokens=answer) > 0
    assert op.estimated is True and op.overrun is False
    listed = owner_api.get(f"/api/cost-tracking/operations?jobId={job.id}").json()["items"]
    assert [o["estimated"] for o in listed] == [True, False, False, False, False]
    others = CostOperation.objects.filter(job_id=job.id).exclude(pk=op.pk)
    assert others.count() == 4 and not others.filter(estimated=True).exists()
    assert assert_hold_settled(job) > op.cost


def test_an_estimated_cost_counts_against_a_hard_budget(faulty_models, owner_api,
                                                        django_capture_on_commit_callbacks):
    configuration_update(data={"overall_monthly_budget": Decimal("1000"), "hard_budget_limit": True})

    job = run_on(owner_api, django_capture_on_commit_callbacks, "OpenAI", "nousage")

    estimated = CostOperation.objects.get(job_id=job.id, estimated=True)
    overall = BudgetTotal.objects.get(scope="overall", key="")
    assert estimated.cost > 0 and overall.spent >= estimated.cost
    assert assert_hold_settled(job) == overall.spent


# --- usage over the reservation -------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["OpenAI", "Anthropic"])
def test_usage_over_the_reservation_is_recorded_as_an_overrun_past_a_hard_budget_and_stops_the_run(
    faulty_models, owner_api, django_capture_on_commit_callbacks, provider
):
    model = f"{VENDOR_OF[provider]}-overrun"
    job_id = owner_api.post("/api/jobs", {"brief": BRIEF, "modelOverrides": {
        "script": {"provider": provider, "modelId": model}}}).json()["jobId"]
    hold = Hold.objects.get(job_id=job_id)
    configuration_update(data={"overall_monthly_budget": hold.amount + Decimal("0.01"), "hard_budget_limit": True})

    with django_capture_on_commit_callbacks(execute=True):
        owner_api.post(f"/api/jobs/{job_id}/start")

    job = Job.objects.get(pk=job_id)
    script = StageRun.objects.get(job=job, stage="script")
    op = CostOperation.objects.get(job_id=job.id)
    snapshot = job.price_snapshot[f"{provider}:{model}"]
    assert op.output_tokens == OVERRUN_OUTPUT_TOKENS
    assert op.cost == call_cost(snapshot, input_tokens=op.input_tokens, output_tokens=op.output_tokens)
    assert op.cost > hold.amount and op.overrun is True and op.estimated is False
    # The run stopped before its next call, with a reason a person can read.
    assert [r["body"]["model"] for r in faulty_models.completions()] == [model]
    assert (job.status, script.status) == ("Failed", "Failed") and script.finished_at is not None
    assert "overrun" in script.error and "more usage" in script.error
    assert "overrun" in job.outcome["reasons"][0]
    assert script.cost == op.cost and script.output_tokens == OVERRUN_OUTPUT_TOKENS
    # The ledger is the truth, over budget or not: spent passes the hard limit by what the call cost.
    assert assert_hold_settled(job) == op.cost
    assert BudgetTotal.objects.get(scope="overall", key="").spent > hold.amount + Decimal("0.01")
    assert job.outcome["settlement"]["released"] == 0
    alert = Alert.objects.get(dedupe_key=f"overrun:{job.id}:script:1")
    assert (alert.scope, alert.key, alert.spent) == ("job", job.id, op.cost)
    assert alert.budget < op.cost and alert.threshold > 100 and "Overrun" in alert.message
    listed = owner_api.get(f"/api/cost-tracking/operations?jobId={job.id}").json()["items"]
    assert [(o["stage"], o["overrun"], o["estimated"]) for o in listed] == [("script", True, False)]


def test_an_overrun_is_recorded_and_alerted_without_any_budget(faulty_models, owner_api, settings,
                                                              django_capture_on_commit_callbacks, webhook_receiver):
    settings.AURA_ALLOW_PRIVATE_WEBHOOK_URLS = True  # the receiver listens on 127.0.0.1
    webhook_create(name="ops", url=webhook_receiver.url + "/hook", secret="s3cret-value")

    job = run_on(owner_api, django_capture_on_commit_callbacks, "OpenAI", "overrun")

    op = CostOperation.objects.get(job_id=job.id)
    assert job.status == "Failed" and op.overrun is True
    assert Alert.objects.filter(dedupe_key=f"overrun:{job.id}:script:1").exists()
    assert assert_hold_settled(job) == op.cost
    delivered = [json.loads(r["body"]) for r in webhook_receiver.requests]
    assert [d["alert"]["kind"] for d in delivered] == ["overrun"]


def test_max_tokens_is_sent_from_the_reservation_so_a_full_answer_stays_within_it(
    run_world, owner_api, django_capture_on_commit_callbacks
):
    job = start_run(owner_api, django_capture_on_commit_callbacks,
                    modelOverrides={"script": {"provider": "OpenAI", "modelId": "fake-gpt-verbose"}})

    assert job.status == "Succeeded", job.outcome
    request = run_world.completions()[0]["body"]
    max_tokens = job.effective_preferences["aiBehavior"]["script"]["values"]["maxTokens"]
    assert request["max_completion_tokens"] == max_tokens
    op = CostOperation.objects.get(idempotency_key=f"{job.id}:script:1")
    assert op.output_tokens == max_tokens  # the model wrote all it was allowed
    reserved = reservation(job.price_snapshot["OpenAI:fake-gpt-verbose"], messages=request["messages"],
                           max_tokens=max_tokens)
    assert op.cost <= reserved.amount and op.overrun is False
    assert not CostOperation.objects.filter(job_id=job.id, overrun=True).exists()
    assert not Alert.objects.filter(dedupe_key__startswith="overrun:").exists()


# --- an internal error mid-stage ------------------------------------------------------------------------


def test_an_internal_error_mid_stage_leaves_no_stage_running(run_world, owner_api):
    job_id = owner_api.post("/api/jobs", {"brief": BRIEF}).json()["jobId"]
    run_start(job_id=job_id, enqueue=False)
    job = Job.objects.get(pk=job_id)
    job.price_snapshot["OpenAI:fake-gpt"]["cost_per_1k_input_tokens"] = "not a number"
    job.save()

    job = run_execute(job_id=job_id)

    script = StageRun.objects.get(job=job, stage="script")
    assert job.status == "Failed" and "internal error (InvalidOperation)" in job.outcome["reasons"][0]
    assert script.status == "Failed" and script.finished_at is not None and "internal error" in script.error
    assert run_world.completions() == []
    assert assert_hold_settled(job) == 0


# --- DNS rebinding on the run path ----------------------------------------------------------------------

REBINDING_HOST = "provider.rebind.test"
PUBLIC_ADDRESS = "93.184.216.34"


@pytest.fixture
def rebinding_dns(monkeypatch):
    """REBINDING_HOST answers a public address to its first lookup and 127.0.0.1 to every later one."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != REBINDING_HOST:
            return real(host, port, *args, **kwargs)
        address = PUBLIC_ADDRESS if not lookups else "127.0.0.1"
        lookups.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port)))]

    def install() -> list[str]:
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        return lookups

    return install


@pytest.mark.parametrize(("provider", "kind", "model"), [("OpenAI", "openai", "fake-gpt"),
                                                         ("Anthropic", "anthropic", "fake-claude")])
def test_a_provider_name_rebound_to_a_private_address_never_receives_the_key(
    run_world, owner_api, django_capture_on_commit_callbacks, settings, rebinding_dns, provider, kind, model
):
    settings.AURA_ALLOW_PRIVATE_PROVIDER_URLS = False
    real_url = run_world.base_url(kind)
    rebound_url = real_url.replace("127.0.0.1", REBINDING_HOST)
    connections.provider_update(name=provider, base_url=rebound_url, api_key=GOOD_KEY, enabled=True)
    services.selection_set(scope="Stage", stage="script", provider=provider, model_id=model)
    lookups = rebinding_dns()

    job = start_run(owner_api, django_capture_on_commit_callbacks)

    assert lookups[0] == PUBLIC_ADDRESS and "127.0.0.1" in lookups  # checked public, then rebound
    assert GOOD_KEY not in json.dumps([r["headers"] for r in run_world.requests])
    assert run_world.requests == []  # nothing reached the server behind the private address
    script = StageRun.objects.get(job=job, stage="script")
    assert (job.status, script.status) == ("Failed", "Failed")
    assert "private" in script.error and "127.0.0.1" in script.error
    assert GOOD_KEY not in script.error
    assert not CostOperation.objects.filter(job_id=job.id).exists()
    assert assert_hold_settled(job) == 0
