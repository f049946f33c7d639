"""The money rules at their edges: exact budgets and thresholds, holds, prices of every kind, ledger rows.

Each test goes through the public service functions (or the API) and states the exact numbers a user
would see, so a wrong comparison, a dropped term or a changed formula fails here.
"""

from __future__ import annotations

import datetime as dt
import socket
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail

from aura_site.errors import Conflict, NotFound, PaymentRequired, ValidationFailed
from costs import alerts, budgets, configuration, estimates, holds, ledger, pricing
from costs.models import Alert, BudgetTotal, CostOperation, Hold

BASE = "/api/cost-tracking"
NOW = dt.datetime(2026, 11, 10, 12, 0, tzinfo=dt.UTC)
D = Decimal


def _start(year: int, month: int) -> dt.datetime:
    return dt.datetime(year, month, 1, tzinfo=ZoneInfo(settings.TIME_ZONE))


NOVEMBER = _start(2026, 11)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def prices(db):
    """Prices of every kind, none of them zero, on providers of their own."""
    pricing.price_set(provider_name="Lingo", data={
        "provider_type": "LLM", "cost_per_1k_input_tokens": D("0.002"), "cost_per_1k_output_tokens": D("0.004"),
        "cost_per_1k_cached_input_tokens": D("0.0005")})
    pricing.price_set(provider_name="Lingo", model_id="lingo-big", data={
        "provider_type": "LLM", "cost_per_1k_input_tokens": D("0.01"), "cost_per_1k_output_tokens": D("0.03")})
    pricing.price_set(provider_name="Lingo", model_id="lingo-half", data={
        "provider_type": "LLM", "cost_per_1k_input_tokens": D("0.01")})
    pricing.price_set(provider_name="Vox", data={"provider_type": "TTS", "cost_per_1k_characters": D("0.015")})
    pricing.price_set(provider_name="Mute", data={"provider_type": "TTS"})
    pricing.price_set(provider_name="Pix", data={"provider_type": "Image", "cost_per_image": D("0.04")})
    pricing.price_set(provider_name="Reel", data={"provider_type": "Video", "cost_per_second": D("0.05")})
    pricing.price_set(provider_name="Render", data={"provider_type": "Rendering", "cost_per_second": D("0.01")})


def _configure(**data):
    base = {"overall_monthly_budget": None, "provider_budgets": {}, "hard_budget_limit": False,
            "alert_thresholds": [], "alert_frequency": "Once", "enable_project_tracking": False}
    return configuration.configuration_update(data=base | data)


def _op(key: str, cost=None, provider: str = "Lingo", **extra) -> dict:
    op = {"idempotency_key": key, "stage": "script", "provider": provider, **extra}
    if cost is not None:
        op["cost"] = D(str(cost))
    return op


def _record(*ops):
    return ledger.operations_record(operations=list(ops))


def _total(scope: str = "overall", key: str = "", start: dt.datetime = NOVEMBER) -> BudgetTotal:
    return BudgetTotal.objects.get(period_start=start, scope=scope, key=key)


def _sums() -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    return {(t.scope, t.key): (t.spent, t.held) for t in BudgetTotal.objects.all()}


# ---- prices of every kind, and every stored field of a ledger row -------------------------------------


@pytest.mark.django_db
def test_a_priced_llm_operation_stores_every_field_of_its_ledger_row(prices):
    _configure()
    result = _record(_op("llm-1", job_id="job-9", project_id="proj-a", stage="refinement", model="lingo-big",
                         input_tokens=3000, output_tokens=2000,
                         timestamp=dt.datetime(2026, 11, 9, 8, 30, tzinfo=dt.UTC)))
    assert result.accepted == [{"idempotencyKey": "llm-1", "cost": 0.09, "costSaved": 0.0, "costSource": "priced"}]
    assert result.total_cost == D("0.09") and result.duplicates == [] and result.warnings == []
    row = CostOperation.objects.get()
    assert (row.idempotency_key, row.job_id, row.project_id, row.stage, row.provider, row.model) == (
        "llm-1", "job-9", "proj-a", "refinement", "Lingo", "lingo-big")
    assert (row.input_tokens, row.output_tokens, row.characters, row.images, row.seconds) == (3000, 2000, 0, 0, 0)
    assert row.cache_hit is False
    assert (row.cost, row.cost_saved, row.cost_source) == (D("0.09"), D("0"), "priced")
    assert row.price_snapshot["provider_name"] == "Lingo" and row.price_snapshot["model_id"] == "lingo-big"
    assert row.price_snapshot["cost_per_1k_input_tokens"] == "0.010000"
    assert row.price_snapshot["cost_per_1k_output_tokens"] == "0.030000"
    assert row.price_snapshot["provider_type"] == "LLM" and row.price_snapshot["source"] == "manual"
    assert row.period_start == NOVEMBER
    assert row.timestamp == dt.datetime(2026, 11, 9, 8, 30, tzinfo=dt.UTC)
    assert row.recorded_at == NOW


@pytest.mark.django_db
def test_an_operation_without_a_timestamp_is_stamped_now_and_other_kinds_store_their_units(prices):
    _configure()
    _record(_op("tts", provider="Vox", stage="narration", characters=2500),
            _op("img", provider="Pix", stage="visual", images=3),
            _op("vid", provider="Reel", stage="visual", seconds=D("12.5")))
    rows = {r.idempotency_key: r for r in CostOperation.objects.all()}
    assert rows["tts"].characters == 2500 and rows["tts"].cost == D("0.0375")
    assert rows["img"].images == 3 and rows["img"].cost == D("0.12")
    assert rows["vid"].seconds == D("12.5") and rows["vid"].cost == D("0.625")
    assert all(r.timestamp == NOW and r.period_start == NOVEMBER and r.job_id == "" and r.project_id == ""
               and r.model == "" and r.cost_source == "priced" and r.cache_hit is False for r in rows.values())
    assert (rows["tts"].input_tokens, rows["tts"].output_tokens, rows["tts"].images, rows["tts"].seconds) == (
        0, 0, 0, 0)
    assert (rows["img"].characters, rows["vid"].images, rows["vid"].characters) == (0, 0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize(("op", "cost", "saved"), [
    ({"provider": "Lingo", "input_tokens": 3000, "output_tokens": 2000}, "0.014", "0"),
    ({"provider": "Lingo", "input_tokens": 3000, "output_tokens": 2000, "cache_hit": True}, "0.0015", "0.0125"),
    ({"provider": "Lingo", "model": "lingo-big", "input_tokens": 1000, "output_tokens": 0}, "0.01", "0"),
    ({"provider": "Vox", "characters": 2500}, "0.0375", "0"),
    ({"provider": "Vox", "characters": 2500, "cache_hit": True}, "0", "0.0375"),
    ({"provider": "Pix", "images": 3}, "0.12", "0"),
    ({"provider": "Pix", "images": 2, "cache_hit": True}, "0", "0.08"),
    ({"provider": "Reel", "seconds": D("12.5")}, "0.625", "0"),
    ({"provider": "Render", "seconds": D("7")}, "0.07", "0"),
    ({"provider": "Render", "seconds": 3.5}, "0.035", "0"),
])
def test_every_kind_of_price_gives_the_exact_cost_and_saving(prices, op, cost, saved):
    _configure()
    provider = op["provider"]  # the parameters are shared between runs: never change them
    result = _record(_op("k", **op))
    row = CostOperation.objects.get()
    assert (row.cost, row.cost_saved) == (D(cost), D(saved))
    assert result.accepted[0]["cost"] == float(D(cost)) and result.accepted[0]["costSaved"] == float(D(saved))
    assert row.cache_hit is bool(op.get("cache_hit")) and row.price_snapshot["provider_name"] == provider


@pytest.mark.django_db
def test_an_estimate_prices_each_kind_at_its_worst_case(prices):
    estimate = estimates.estimate_items([
        {"provider": "Lingo", "model": "lingo-big", "stage": "script", "input_tokens": 1000, "max_tokens": 2000},
        {"provider": "Lingo", "input_tokens": 1000, "output_tokens": 1000},
        {"provider": "Vox", "characters": 2000},
        {"provider": "Pix", "images": 2},
        {"provider": "Reel", "seconds": 10},
        {"provider": "Nowhere"},
    ])
    assert [i["cost"] for i in estimate.items] == [0.07, 0.006, 0.03, 0.08, 0.5, None]
    assert estimate.items[0] == {"index": 0, "provider": "Lingo", "model": "lingo-big", "stage": "script",
                                 "cost": 0.07, "priced": True}
    assert estimate.total == D("0.686")
    assert estimate.by_provider == {"Lingo": D("0.076"), "Vox": D("0.03"), "Pix": D("0.08"), "Reel": D("0.5")}
    assert estimate.unpriced == [{"index": 5, "provider": "Nowhere", "model": "", "stage": "", "cost": None,
                                  "priced": False, "reason": "no price for this provider/model"}]


@pytest.mark.django_db
def test_prices_are_found_whatever_the_case_of_provider_and_model(prices):
    _configure()
    _record(_op("a", provider="LINGO", model="Lingo-Big", input_tokens=1000),
            _op("b", provider="lingo", model="LINGO-UNKNOWN", input_tokens=1000))
    rows = {r.idempotency_key: r for r in CostOperation.objects.all()}
    assert (rows["a"].cost, rows["a"].price_snapshot["model_id"]) == (D("0.01"), "lingo-big")
    assert (rows["b"].cost, rows["b"].price_snapshot["model_id"]) == (D("0.002"), "")


@pytest.mark.django_db
def test_an_estimate_counts_nothing_for_what_a_plan_item_leaves_out(prices):
    estimate = estimates.estimate_items([{"provider": "Lingo"}, {"provider": "Lingo", "input_tokens": 1000},
                                        {"provider": "Vox"}, {"provider": "Pix"}, {"provider": "Reel"}])
    assert [i["cost"] for i in estimate.items] == [0.0, 0.002, 0.0, 0.0, 0.0]
    assert estimate.total == D("0.002") and estimate.unpriced == []


@pytest.mark.django_db
def test_a_reported_cost_wins_and_keeps_the_saving_and_snapshot_of_the_price(prices):
    _configure()
    _record(_op("r", cost="0.5", input_tokens=2000, output_tokens=0, cache_hit=True),
            _op("n", cost="0.25", provider="Nowhere"),
            _op("half", cost="0.1", model="lingo-half"), _op("mute", cost="0.2", provider="Mute"))
    rows = {r.idempotency_key: r for r in CostOperation.objects.all()}
    # A price that cannot compute the cost is still the price the operation ran at.
    assert (rows["half"].price_snapshot["model_id"], rows["half"].cost_saved) == ("lingo-half", 0)
    assert rows["mute"].price_snapshot["provider_name"] == "Mute" and rows["mute"].cost == D("0.2")
    assert (rows["r"].cost, rows["r"].cost_saved, rows["r"].cost_source) == (D("0.5"), D("0.003"), "reported")
    assert rows["r"].price_snapshot["provider_name"] == "Lingo"
    assert (rows["n"].cost, rows["n"].cost_saved, rows["n"].price_snapshot) == (D("0.25"), D("0"), None)


@pytest.mark.django_db
def test_operations_that_cannot_be_priced_are_refused_with_what_is_missing(prices):
    _configure()
    with pytest.raises(ValidationFailed) as caught:
        _record(_op("a", provider="Nowhere", model="m1"), _op("b", model="lingo-half", input_tokens=5),
                _op("c", provider="Mute", characters=9), _op("d", cost="-1"), _op("e", provider="Nowhere"),
                _op("f", cost="-2"))
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("operations[0].cost", "no cost given and no price for this provider/model (Nowhere m1)"),
        ("operations[1].cost", "no cost given and the LLM price lacks input/output token prices (Lingo lingo-half)"),
        ("operations[2].cost", "no cost given and the TTS price has no unit price (Mute)"),
        ("operations[3].cost", "must be ≥ 0"),
        ("operations[4].cost", "no cost given and no price for this provider/model (Nowhere)"),
        ("operations[5].cost", "must be ≥ 0"),
    ]
    # The message names the first five; the list has them all.
    assert caught.value.detail.startswith("operations[0].cost: no cost given")
    assert caught.value.detail == "; ".join(f"{e.field}: {e.message}" for e in caught.value.errors[:5])
    assert not CostOperation.objects.exists() and not BudgetTotal.objects.exists()


@pytest.mark.django_db
def test_an_empty_or_oversized_batch_is_refused():
    with pytest.raises(ValidationFailed) as empty:
        ledger.operations_record(operations=[])
    assert (empty.value.errors[0].field, empty.value.errors[0].message) == (
        "operations", "at least one operation is required")
    ops = [_op(f"k{i}", 0) for i in range(ledger.MAX_BATCH + 1)]
    with pytest.raises(ValidationFailed) as big:
        ledger.operations_record(operations=ops)
    assert (big.value.errors[0].field, big.value.errors[0].message) == (
        "operations", "at most 1000 operations per request")
    assert ledger.operations_record(operations=ops[:ledger.MAX_BATCH]).total_cost == 0


@pytest.mark.django_db
def test_the_response_total_is_the_sum_of_what_was_accepted_now(owner_api):
    _configure()
    ops = [{"idempotencyKey": "a", "stage": "s", "provider": "X", "cost": 1.25},
           {"idempotencyKey": "b", "stage": "s", "provider": "X", "cost": 2.5}]
    first = owner_api.post(f"{BASE}/operations", {"operations": ops}).json()
    assert first["totalCost"] == 3.75
    again = owner_api.post(f"{BASE}/operations", {"operations": [*ops, {**ops[0], "idempotencyKey": "c"}]}).json()
    assert again["totalCost"] == 1.25 and again["duplicates"] == ["a", "b"]


# ---- running totals: overall, providers, two projects --------------------------------------------------


@pytest.mark.django_db
def test_each_operation_counts_once_in_overall_its_provider_and_its_own_project():
    _configure(enable_project_tracking=True)
    _record(_op("a", 1, project_id="p1"), _op("b", 2, project_id="p2", provider="Vox"), _op("c", 4),
            _op("a", 1, project_id="p1"))  # a retry of "a"
    assert _sums() == {("overall", ""): (D(7), D(0)), ("provider", "Lingo"): (D(5), D(0)),
                       ("provider", "Vox"): (D(2), D(0)), ("project", "p1"): (D(1), D(0)),
                       ("project", "p2"): (D(2), D(0))}


@pytest.mark.django_db
def test_without_project_tracking_no_project_total_is_kept():
    _configure(enable_project_tracking=False)
    _record(_op("a", 1, project_id="p1"))
    assert set(_sums()) == {("overall", ""), ("provider", "Lingo")}


@pytest.mark.django_db
def test_operations_are_counted_in_the_period_of_their_timestamp():
    _configure()
    _record(_op("oct", 3, timestamp=dt.datetime(2026, 10, 31, 23, 59, tzinfo=dt.UTC)), _op("nov", 5))
    assert _total(start=_start(2026, 10)).spent == 3 and _total().spent == 5


@pytest.mark.django_db
def test_outside_a_custom_period_operations_are_stored_but_count_in_no_budget():
    _configure(period_type="Custom", custom_start=dt.date(2026, 12, 1), custom_end=dt.date(2026, 12, 31),
               overall_monthly_budget=D(1), hard_budget_limit=True)
    _record(_op("a", 5))
    assert CostOperation.objects.get().period_start is None and not BudgetTotal.objects.exists()


# ---- the hard limit, exactly at the budget ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("scope", ["overall", "provider"])
def test_spending_exactly_the_budget_is_allowed_and_a_millionth_more_is_refused(scope):
    if scope == "overall":
        _configure(overall_monthly_budget=D(10), hard_budget_limit=True)
    else:
        _configure(provider_budgets={"lingo": 10}, hard_budget_limit=True)
    _record(_op("a", 4))
    assert _record(_op("b", 6)).accepted[0]["cost"] == 6.0
    with pytest.raises(PaymentRequired) as caught:
        _record(_op("c", "0.000001"))
    assert caught.value.extra == {"spent": 10.0, "held": 0.0, "budget": 10.0, "operationCost": 0.000001,
                                  "scope": scope, "key": "" if scope == "overall" else "Lingo",
                                  "idempotencyKey": "c"}
    label = "overall budget" if scope == "overall" else "provider 'Lingo' budget"
    assert caught.value.detail == (f"Hard budget limit: this operation ($0.000001) would take the {label} "
                                   "past $10.00 ($10.00 spent, $0.00 held).")
    assert _total().spent == 10 and CostOperation.objects.count() == 2


@pytest.mark.django_db
def test_a_soft_limit_accepts_and_warns_only_past_the_budget():
    _configure(overall_monthly_budget=D(10), provider_budgets={"Lingo": 20})
    assert _record(_op("a", 10)).warnings == []
    result = _record(_op("b", "0.5"))
    assert result.warnings == ["b: the overall budget of $10.00 is exceeded ($10.50 spent)."]
    assert result.accepted[0]["cost"] == 0.5 and _total().spent == D("10.5")


@pytest.mark.django_db
def test_a_jobs_own_hold_makes_room_for_its_operations_and_is_counted_once():
    _configure(overall_monthly_budget=D(10), hard_budget_limit=True)
    holds.hold_place(job_id="run", amount=6)
    _record(_op("r1", 4, job_id="run"))  # drawn from the hold: 4 spent, 2 still held
    assert (_total().spent, _total().held) == (D(4), D(2))
    assert _record(_op("o1", 4, job_id="other")).warnings == []  # 4 + 4 + 2 held = 10, exactly the budget
    with pytest.raises(PaymentRequired) as caught:
        _record(_op("o2", "0.01", job_id="other"))
    assert (caught.value.extra["spent"], caught.value.extra["held"]) == (8.0, 2.0)
    _record(_op("r2", 2, job_id="run"))  # the rest of its own hold still fits
    assert (_total().spent, _total().held) == (D(10), D(0))
    assert Hold.objects.get(job_id="run").remaining == 0


@pytest.mark.django_db
def test_a_refusal_reports_the_hold_left_after_the_operations_own_draw():
    _configure(overall_monthly_budget=D(10), hard_budget_limit=True)
    _record(_op("a", 4))
    holds.hold_place(job_id="run", amount=6)
    with pytest.raises(PaymentRequired) as caught:
        _record(_op("r1", 7, job_id="run"))  # 4 spent + 7 − its 6 held = 11 > 10
    assert (caught.value.extra["spent"], caught.value.extra["held"]) == (4.0, 0.0)
    assert caught.value.detail.endswith("($4.00 spent, $0.00 held).")
    assert (_total().spent, _total().held) == (D(4), D(6))


@pytest.mark.django_db
def test_an_operation_beyond_its_hold_draws_only_what_is_left():
    _configure(overall_monthly_budget=D(10), hard_budget_limit=True)
    holds.hold_place(job_id="run", amount=2, provider="Lingo")
    result = _record(_op("r1", 5, job_id="run"))
    assert result.accepted[0]["cost"] == 5.0
    assert _sums() == {("overall", ""): (D(5), D(0)), ("provider", "Lingo"): (D(5), D(0))}
    hold = Hold.objects.get(job_id="run")
    assert (hold.remaining, hold.provider_remaining) == (D(0), {"Lingo": 0.0})
    with pytest.raises(PaymentRequired) as caught:
        _record(_op("r2", "5.01", job_id="run"))
    assert caught.value.extra["held"] == 0.0


@pytest.mark.django_db
def test_a_hold_releases_to_a_provider_only_what_it_holds_for_that_provider():
    _configure(enable_project_tracking=True)
    holds.hold_place(job_id="run", amount=5, provider="Lingo", project_id="p1")
    _record(_op("a", 2, job_id="run", provider="Vox", project_id="p1"),
            _op("b", 1, job_id="run", provider="Lingo", project_id="p2"))
    hold = Hold.objects.get(job_id="run")
    assert (hold.remaining, hold.provider_remaining) == (D(2), {"Lingo": 4.0})
    assert _sums() == {("overall", ""): (D(3), D(2)), ("provider", "Lingo"): (D(1), D(4)),
                       ("provider", "Vox"): (D(2), D(0)), ("project", "p1"): (D(2), D(3)),
                       ("project", "p2"): (D(1), D(0))}


@pytest.mark.django_db
def test_a_hold_of_another_period_is_not_drawn():
    _configure()
    holds.hold_place(job_id="run", amount=5, provider="Lingo")
    _record(_op("dec", 2, job_id="run", timestamp=dt.datetime(2026, 12, 3, tzinfo=dt.UTC)))
    hold = Hold.objects.get(job_id="run")
    assert (hold.remaining, hold.provider_remaining) == (D(5), {"Lingo": 5.0})
    december = _start(2026, 12)
    assert {(t.period_start, t.scope, t.key): (t.spent, t.held) for t in BudgetTotal.objects.all()} == {
        (NOVEMBER, "overall", ""): (D(0), D(5)), (NOVEMBER, "provider", "Lingo"): (D(0), D(5)),
        (december, "overall", ""): (D(2), D(0)), (december, "provider", "Lingo"): (D(2), D(0))}


@pytest.mark.django_db
def test_a_released_hold_is_not_drawn():
    _configure()
    holds.hold_place(job_id="run", amount=5)
    holds.hold_release(job_id="run")
    _record(_op("a", 2, job_id="run"))
    assert (_total().spent, _total().held) == (D(2), D(0))


# ---- alerts at each threshold --------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_alert_is_raised_exactly_at_its_threshold_and_not_a_millionth_before():
    _configure(overall_monthly_budget=D(100), alert_thresholds=[50, 75])
    assert _record(_op("a", "49.999999")).alerts == []
    alerts = _record(_op("b", "0.000001")).alerts
    assert [(a.scope, a.key, a.threshold, a.spent, a.budget, a.period_start) for a in alerts] == [
        ("overall", "", 50, D(50), D(100), NOVEMBER)]
    assert alerts[0].message == "50% of the overall budget reached: $50.00 of $100.00 spent."
    assert _record(_op("c", "24.999999")).alerts == []
    assert [a.threshold for a in _record(_op("d", "0.000001")).alerts] == [75]
    assert Alert.objects.count() == 2


@pytest.mark.django_db
def test_one_operation_crossing_several_thresholds_raises_each_once():
    _configure(overall_monthly_budget=D(10), provider_budgets={"Lingo": 4}, alert_thresholds=[25, 50, 100])
    alerts = _record(_op("a", 5)).alerts
    assert sorted((a.scope, a.threshold) for a in alerts) == [
        ("overall", 25), ("overall", 50), ("provider", 25), ("provider", 50), ("provider", 100)]
    provider_alert = next(a for a in alerts if a.scope == "provider" and a.threshold == 100)
    assert provider_alert.message == "100% of the provider 'Lingo' budget reached: $5.00 of $4.00 spent."
    assert provider_alert.key == "Lingo"
    assert _record(_op("b", 1)).alerts == []  # Once: each stays raised for the period


@pytest.mark.django_db
def test_once_a_batch_crossing_a_threshold_twice_raises_it_once():
    _configure(overall_monthly_budget=D(10), alert_thresholds=[50], alert_frequency="Once")
    alerts = _record(_op("a", 5), _op("b", 1)).alerts
    assert [(a.threshold, a.spent) for a in alerts] == [(50, D(5))]
    assert Alert.objects.count() == 1


@pytest.mark.django_db
def test_no_budget_or_no_thresholds_raise_no_alert():
    _configure(alert_thresholds=[50])
    _configure(overall_monthly_budget=D(0), alert_thresholds=[50])
    assert _record(_op("a", 5)).alerts == []
    _configure(overall_monthly_budget=D(1), alert_thresholds=[])
    assert _record(_op("b", 5)).alerts == []
    assert not Alert.objects.exists()


@pytest.mark.django_db
def test_alert_frequencies_once_per_period_daily_and_every_time():
    _configure(overall_monthly_budget=D(10), alert_thresholds=[50], alert_frequency="Once")
    assert len(_record(_op("a", 6)).alerts) == 1
    assert _record(_op("b", 1)).alerts == []
    with time_machine.travel(dt.datetime(2026, 12, 2, tzinfo=dt.UTC), tick=False):
        assert [a.period_start for a in _record(_op("dec", 6)).alerts] == [_start(2026, 12)]
    _configure(overall_monthly_budget=D(10), alert_thresholds=[50], alert_frequency="Daily")
    assert len(_record(_op("c", 1)).alerts) == 1
    assert _record(_op("d", 1)).alerts == []
    with time_machine.travel(dt.datetime(2026, 11, 11, 9, tzinfo=dt.UTC), tick=False):
        assert len(_record(_op("e", 1)).alerts) == 1
    _configure(overall_monthly_budget=D(10), alert_thresholds=[50], alert_frequency="EveryTime")
    assert len(_record(_op("f", 1)).alerts) == 1
    assert len(_record(_op("g", 1)).alerts) == 1
    both = _record(_op("h", 1), _op("i", 1)).alerts  # EveryTime: one per operation, even in one batch
    assert len(both) == 2 and both[0].dedupe_key != both[1].dedupe_key
    assert Alert.objects.count() == 8


@pytest.mark.django_db
def test_a_daily_alert_uses_the_day_of_the_operation():
    _configure(overall_monthly_budget=D(10), alert_thresholds=[50], alert_frequency="Daily")
    _record(_op("a", 6, timestamp=dt.datetime(2026, 11, 3, tzinfo=dt.UTC)))
    assert len(_record(_op("b", 1, timestamp=dt.datetime(2026, 11, 4, tzinfo=dt.UTC))).alerts) == 1
    assert _record(_op("c", 1, timestamp=dt.datetime(2026, 11, 4, 20, tzinfo=dt.UTC))).alerts == []


@pytest.mark.django_db
def test_alerts_are_emailed_once_after_commit(django_capture_on_commit_callbacks):
    _configure(overall_monthly_budget=D(10), alert_thresholds=[50, 60], email_notifications_enabled=True,
               notification_email="finance@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        _record(_op("a", 7))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["finance@example.com"] and message.from_email == settings.DEFAULT_FROM_EMAIL
    # Newest first, as the alerts page lists them.
    assert message.subject == "Aura budget alert: 60% of the overall budget reached: $7.00 of $10.00 spent."
    assert message.body.splitlines() == [
        "60% of the overall budget reached: $7.00 of $10.00 spent.",
        "50% of the overall budget reached: $7.00 of $10.00 spent."]
    assert set(Alert.objects.values_list("emailed", flat=True)) == {True}
    alerts.alerts_email(dedupe_keys=list(Alert.objects.values_list("dedupe_key", flat=True)))
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_alerts_go_to_the_default_address_and_never_when_disabled(django_capture_on_commit_callbacks):
    _configure(overall_monthly_budget=D(10), alert_thresholds=[50], email_notifications_enabled=True,
               notification_email="")
    with django_capture_on_commit_callbacks(execute=True):
        _record(_op("a", 7))
    assert mail.outbox[0].to == [settings.DEFAULT_FROM_EMAIL]
    _configure(overall_monthly_budget=D(10), alert_thresholds=[80], email_notifications_enabled=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert len(_record(_op("b", 2)).alerts) == 1
    assert len(callbacks) == 1 and len(mail.outbox) == 1  # the webhook fan-out only
    assert Alert.objects.get(threshold=80).emailed is False
    # Mail sent later carries only the alerts just raised, not older unsent ones.
    _configure(overall_monthly_budget=D(10), alert_thresholds=[80, 90], email_notifications_enabled=True)
    with django_capture_on_commit_callbacks(execute=True):
        _record(_op("c", 1))
    assert len(mail.outbox) == 2
    assert mail.outbox[1].body == "90% of the overall budget reached: $10.00 of $10.00 spent."
    assert Alert.objects.get(threshold=80).emailed is False


@pytest.mark.django_db
def test_an_unreachable_mail_server_leaves_alerts_unsent_and_recording_succeeds(
        settings, django_capture_on_commit_callbacks, caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    _configure(overall_monthly_budget=D(10), alert_thresholds=[50], email_notifications_enabled=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert _record(_op("a", 7)).accepted[0]["cost"] == 7.0
    assert Alert.objects.get().emailed is False and CostOperation.objects.count() == 1
    assert [r.getMessage() for r in caplog.records if r.name == "costs.alerts"] == [
        "Could not e-mail 1 budget alert(s)"]


@pytest.mark.django_db
def test_acknowledging_an_alert_records_who_and_when_once(owner, viewer):
    _configure(overall_monthly_budget=D(10), alert_thresholds=[50])
    alert = _record(_op("a", 6)).alerts[0]
    acked = alerts.alert_acknowledge(alert_id=alert.id, user=owner)
    assert (acked.acknowledged_at, acked.acknowledged_by) == (NOW, "owner")
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        again = alerts.alert_acknowledge(alert_id=alert.id, user=viewer)
    assert (again.acknowledged_at, again.acknowledged_by) == (NOW, "owner")
    stored = Alert.objects.get(pk=alert.id)
    assert (stored.acknowledged_at, stored.acknowledged_by) == (NOW, "owner")
    with pytest.raises(NotFound) as missing:
        alerts.alert_acknowledge(alert_id=alert.id + 1000, user=owner)
    assert missing.value.detail == f"No alert {alert.id + 1000}."


# ---- holds: two in a period, exact fits, release ----------------------------------------------------------


@pytest.mark.django_db
def test_two_holds_in_a_period_add_up_in_every_scope_and_release_one_at_a_time():
    _configure(enable_project_tracking=True)
    first = holds.hold_place(job_id="j1", amount=3, provider="Lingo", project_id="p1")
    holds.hold_place(job_id="j2", amount=D("4.5"), provider="Lingo", project_id="p2")
    assert (first.amount, first.remaining, first.provider_remaining, first.project_id, first.period_start) == (
        D(3), D(3), {"Lingo": 3.0}, "p1", NOVEMBER)
    assert _sums() == {("overall", ""): (D(0), D("7.5")), ("provider", "Lingo"): (D(0), D("7.5")),
                       ("project", "p1"): (D(0), D(3)), ("project", "p2"): (D(0), D("4.5"))}
    released = holds.hold_release(job_id="j1")
    assert (released.remaining, released.provider_remaining, released.released_at) == (D(0), {"Lingo": 0.0}, NOW)
    assert released.amount == 3
    assert _sums() == {("overall", ""): (D(0), D("4.5")), ("provider", "Lingo"): (D(0), D("4.5")),
                       ("project", "p1"): (D(0), D(0)), ("project", "p2"): (D(0), D("4.5"))}
    assert holds.hold_release(job_id="j1").released_at == NOW  # releasing twice changes nothing
    assert _total().held == D("4.5")


@pytest.mark.django_db
def test_release_returns_only_what_is_left_after_operations_drew_on_the_hold():
    _configure()
    holds.hold_place(job_id="j1", amount=5, provider="Lingo")
    holds.hold_place(job_id="j2", amount=1, provider="Lingo")
    _record(_op("a", 2, job_id="j1"))
    holds.hold_release(job_id="j1")
    assert _sums() == {("overall", ""): (D(2), D(1)), ("provider", "Lingo"): (D(2), D(1))}
    stored = Hold.objects.get(job_id="j1")
    assert (stored.remaining, stored.provider_remaining, stored.released_at) == (D(0), {"Lingo": 0.0}, NOW)


@pytest.mark.django_db
def test_a_plan_is_held_per_provider(prices):
    _configure()
    hold = holds.hold_place(job_id="p", plan=[
        {"provider": "Lingo", "model": "lingo-big", "input_tokens": 1000, "max_tokens": 1000},
        {"provider": "Lingo", "input_tokens": 1000, "max_tokens": 1000},
        {"provider": "Vox", "characters": 2000}])
    assert hold.amount == D("0.076") and hold.provider_remaining == {"Lingo": 0.046, "Vox": 0.03}
    assert _sums() == {("overall", ""): (D(0), D("0.076")), ("provider", "Lingo"): (D(0), D("0.046")),
                       ("provider", "Vox"): (D(0), D("0.03"))}
    holds.hold_release(job_id="p")
    assert {k: v[1] for k, v in _sums().items()} == {("overall", ""): 0, ("provider", "Lingo"): 0,
                                                      ("provider", "Vox"): 0}


@pytest.mark.django_db
@pytest.mark.parametrize("scope", ["overall", "provider"])
def test_a_hold_that_fits_exactly_is_placed_and_a_millionth_more_is_refused(scope):
    if scope == "overall":
        _configure(overall_monthly_budget=D(10), hard_budget_limit=True)
    else:
        _configure(provider_budgets={"LINGO": 10}, hard_budget_limit=True)
    _record(_op("a", 4))
    holds.hold_place(job_id="h1", amount=3, provider="Lingo")
    assert holds.hold_place(job_id="h2", amount=3, provider="Lingo").amount == 3
    with pytest.raises(PaymentRequired) as caught:
        holds.hold_place(job_id="h3", amount="0.000001", provider="Lingo")
    assert caught.value.extra == {"spent": 4.0, "held": 6.0, "budget": 10.0, "operationCost": 0.000001,
                                  "scope": scope, "key": "" if scope == "overall" else "Lingo"}
    label = "overall budget" if scope == "overall" else "provider 'Lingo' budget"
    assert caught.value.detail == ("Hard budget limit: holding $0.000001 for job h3 does not fit the "
                                   f"{label} ($4.00 spent, $6.00 held of $10.00).")
    assert not Hold.objects.filter(job_id="h3").exists() and _total().held == 6


@pytest.mark.django_db
def test_under_a_soft_limit_a_hold_past_the_budget_is_placed():
    _configure(overall_monthly_budget=D(1), hard_budget_limit=False)
    hold = holds.hold_place(job_id="h", amount=5)
    assert (hold.remaining, hold.project_id, hold.provider_remaining) == (D(5), "", {})
    assert _total().held == 5
    assert holds.hold_place(job_id="zero", amount=0).amount == 0  # nothing to reserve is still a hold


@pytest.mark.django_db
def test_a_hold_is_refused_while_the_job_has_one_and_replaces_a_released_one():
    _configure()
    holds.hold_place(job_id="h", amount=2)
    with pytest.raises(Conflict) as caught:
        holds.hold_place(job_id="h", amount=1)
    assert caught.value.detail == "Job h already has a hold; release it first."
    holds.hold_release(job_id="h")
    again = holds.hold_place(job_id="h", amount=1)
    assert (again.amount, again.released_at) == (D(1), None) and Hold.objects.filter(job_id="h").count() == 1
    assert _total().held == 1


@pytest.mark.django_db
def test_bad_holds_are_refused_with_the_field(prices):
    _configure()
    cases = [({"amount": "-0.000001"}, "amount", "must be ≥ 0"), ({}, "amount", "give an amount or a plan"),
             ({"plan": [{"provider": "Lingo", "input_tokens": 1}, {"provider": "Nowhere"}]}, "plan[1]",
              "cannot be priced: no price for this provider/model")]
    for kwargs, field, message in cases:
        with pytest.raises(ValidationFailed) as caught:
            holds.hold_place(job_id="bad", **kwargs)
        assert (caught.value.errors[0].field, caught.value.errors[0].message) == (field, message)
    with pytest.raises(ValidationFailed) as unpriced:
        holds.hold_place(job_id="bad", plan=[{"provider": "Nowhere"}])
    assert unpriced.value.errors[0].message == "cannot be priced: no price for this provider/model"
    assert not Hold.objects.exists() and not BudgetTotal.objects.exists()


@pytest.mark.django_db
def test_without_project_tracking_a_hold_touches_no_project_total():
    _configure(enable_project_tracking=False)
    holds.hold_place(job_id="h", amount=2, project_id="p1")
    holds.hold_release(job_id="h")
    assert _sums() == {("overall", ""): (D(0), D(0))}


@pytest.mark.django_db
def test_a_hold_needs_a_period_in_force():
    _configure(period_type="Custom", custom_start=dt.date(2026, 12, 1), custom_end=dt.date(2026, 12, 31))
    with pytest.raises(ValidationFailed) as caught:
        holds.hold_place(job_id="h", amount=1)
    assert (caught.value.errors[0].field, caught.value.errors[0].message) == (
        "periodType", "no budget period is in force now; a hold needs one")


@pytest.mark.django_db
def test_releasing_an_unknown_hold_is_not_found_and_release_if_any_is_quiet():
    _configure()
    with pytest.raises(NotFound) as missing:
        holds.hold_release(job_id="nope")
    assert missing.value.detail == "No hold for job nope."
    holds.hold_place(job_id="other", amount=1)
    holds.hold_release_if_any(job_id="nope")
    assert Hold.objects.get(job_id="other").released_at is None
    holds.hold_place(job_id="h", amount=2)
    holds.hold_release_if_any(job_id="h")
    assert Hold.objects.get(job_id="h").released_at == NOW and _total().held == 1
    with time_machine.travel(NOW + dt.timedelta(hours=2), tick=False):
        holds.hold_release_if_any(job_id="h")
    assert Hold.objects.get(job_id="h").released_at == NOW


@pytest.mark.django_db
def test_a_runs_hold_is_the_worst_case_of_its_priced_stages(prices):
    _configure(enable_project_tracking=True)
    brief = "x" * 401  # 100 more prompt tokens
    hold = holds.hold_for_run(job_id="run-1", brief=brief, project_id="p1", stage_models={
        "script": ("Lingo", "lingo-big"), "refinement": ("Lingo", ""), "visual": ("Nowhere", "m")})
    # script: 1600 in × 0.01 + 4000 out × 0.03; refinement: 1600 × 0.002 + 4000 × 0.004 (per 1K)
    assert hold.amount == D("0.136") + D("0.0192")
    assert hold.provider_remaining == {"Lingo": 0.1552} and hold.project_id == "p1"
    assert _total("project", "p1").held == D("0.1552")
    assert holds.hold_for_run(job_id="run-2", stage_models={"visual": ("Nowhere", "m")}) is None
    assert not Hold.objects.filter(job_id="run-2").exists()
    # No brief, no project: the bare prompt, held in no project.
    plain = holds.hold_for_run(job_id="run-3", stage_models={"script": ("Lingo", "")})
    assert (plain.amount, plain.project_id) == (D("0.003") + D("0.016"), "")


# ---- estimates: every budget that crosses a threshold, named by the highest -------------------------------


def _decide(amount, by_provider=None, **kwargs):
    return budgets.budget_decision(amount=D(str(amount)),
                                    by_provider={k: D(str(v)) for k, v in (by_provider or {}).items()}, **kwargs)


@pytest.mark.django_db
@pytest.mark.parametrize(("amount", "decision", "reasons"), [
    ("49.999999", "allow", ["Within budget."]),
    ("50", "warn", ["This would reach 50% of the overall budget."]),
    ("80", "warn", ["This would reach 75% of the overall budget."]),
    ("90", "warn", ["This would reach 90% of the overall budget."]),
    ("100", "warn", ["This would reach 90% of the overall budget."]),
    ("100.000001", "warn", ["The overall budget ($100.00) would be exceeded: $0.00 spent or held + "
                            "$100.000001."]),
])
def test_an_estimate_names_the_highest_threshold_it_reaches(amount, decision, reasons):
    _configure(overall_monthly_budget=D(100), alert_thresholds=[50, 75, 90])
    assert _decide(amount) == {"decision": decision, "reasons": reasons}


@pytest.mark.django_db
def test_an_estimate_counts_what_is_already_spent_and_held():
    _configure(overall_monthly_budget=D(100), alert_thresholds=[50, 75, 100], hard_budget_limit=True)
    _record(_op("a", 30))
    holds.hold_place(job_id="h", amount=20)
    assert _decide("24.999999")["reasons"] == ["This would reach 50% of the overall budget."]
    assert _decide("25")["reasons"] == ["This would reach 75% of the overall budget."]
    assert _decide("50") == {"decision": "warn", "reasons": ["This would reach 100% of the overall budget."]}
    assert _decide("50.000001") == {"decision": "block", "reasons": [
        "The overall budget ($100.00) would be exceeded: $50.00 spent or held + $50.000001."]}
    assert _decide("0") == {"decision": "warn", "reasons": ["This would reach 50% of the overall budget."]}


@pytest.mark.django_db
def test_an_estimate_reports_every_budget_that_crosses_a_threshold():
    _configure(overall_monthly_budget=D(100), provider_budgets={"lingo": 10, "Vox": 50},
               alert_thresholds=[50, 75, 90])
    _record(_op("a", 2, provider="Vox"))
    result = _decide(80, {"Lingo": "7.5", "Vox": "23", "Pix": 50})
    assert result == {"decision": "warn", "reasons": [
        "This would reach 75% of the overall budget.",
        "This would reach 75% of the provider 'Lingo' budget.",
        "This would reach 50% of the provider 'Vox' budget."]}
    assert _decide(1, {"Lingo": "4.999999"}) == {"decision": "allow", "reasons": ["Within budget."]}


@pytest.mark.django_db
def test_a_provider_past_its_budget_blocks_even_when_overall_only_warns_and_the_other_way_round():
    _configure(overall_monthly_budget=D(100), provider_budgets={"Lingo": 10}, alert_thresholds=[50],
               hard_budget_limit=True)
    result = _decide(60, {"Lingo": "10.000001"})
    assert result["decision"] == "block" and result["reasons"] == [
        "This would reach 50% of the overall budget.",
        "The provider 'Lingo' budget ($10.00) would be exceeded: $0.00 spent or held + $10.000001."]
    result = _decide(101, {"Lingo": 6})
    assert result["decision"] == "block" and result["reasons"][1] == \
        "This would reach 50% of the provider 'Lingo' budget."
    assert _decide(60, {"Lingo": 10})["decision"] == "warn"


@pytest.mark.django_db
def test_an_estimate_without_thresholds_warns_only_at_the_full_budget_and_only_for_this_period():
    _configure(overall_monthly_budget=D(10), alert_thresholds=[])
    assert _decide("9.999999")["decision"] == "allow"
    assert _decide(10)["reasons"] == ["This would reach 100% of the overall budget."]
    _record(_op("a", 9))
    assert _decide(1, at=dt.datetime(2026, 12, 5, tzinfo=dt.UTC))["decision"] == "allow"
    assert _decide(1)["decision"] == "warn"


@pytest.mark.django_db
def test_an_estimate_without_a_budget_or_a_period_allows():
    _configure(overall_monthly_budget=None, alert_thresholds=[50])
    assert _decide(1000, {"Lingo": 1000}) == {"decision": "allow", "reasons": ["Within budget."]}
    _configure(period_type="Custom", custom_start=dt.date(2026, 12, 1), custom_end=dt.date(2026, 12, 31),
               overall_monthly_budget=D(1), hard_budget_limit=True)
    assert _decide(1000) == {"decision": "allow", "reasons": ["No budget period is in force."]}


@pytest.mark.django_db
def test_the_estimate_endpoint_reports_every_budget(owner_api, prices):
    _configure(overall_monthly_budget=D("0.1"), provider_budgets={"Vox": D("0.04")}, alert_thresholds=[50, 75])
    body = owner_api.post(f"{BASE}/estimate", {"operations": [
        {"provider": "Lingo", "model": "lingo-big", "inputTokens": 1000, "maxTokens": 1000},
        {"provider": "Vox", "characters": 2000}]}).json()
    assert body["estimatedCost"] == 0.07 and body["decision"] == "warn"
    assert body["reasons"] == ["This would reach 50% of the overall budget.",
                               "This would reach 75% of the provider 'Vox' budget."]
