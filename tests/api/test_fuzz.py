"""schemathesis fuzzes every operation of the API's own OpenAPI schema, with every check on.

The schema is loaded from the app through WSGI with a valid bearer token; every operation gets
positive and negative data and every check but positive-data acceptance, a bounded number of
examples each (both CI legs run it; NUL-byte and overflow failures only show on PostgreSQL).
Dates and moments are drawn half the time from the edges of the calendar (and of the supported
range), and operations taking a date, a moment or a page (`limit`/`offset`) get more examples:
that is where arithmetic overflows. A write the API accepts must leave the current budget period
readable. AURA_FUZZ_EXAMPLES=200 fuzzes longer locally.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from http import HTTPStatus

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance
from werkzeug.test import Client

from aura_site.api import api
from aura_site.models import ApiToken
from aura_site.supported_dates import EARLIEST, LATEST
from aura_site.wsgi import application

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("AURA_FUZZ_EXAMPLES", "6"))
# Operations taking a date, a moment or a page: where the edges of the calendar and of integers are.
EDGE_EXAMPLES = max(EXAMPLES, int(os.environ.get("AURA_FUZZ_EDGE_EXAMPLES", "30")))
SCHEMA = api.get_openapi_schema(path_prefix="/api/")
OPERATIONS = sorted((method.upper(), path) for path, item in SCHEMA["paths"].items() for method in item)

DAY = dt.timedelta(days=1)
EDGE_DAYS = [dt.date.min, dt.date.min + DAY, dt.date.max - DAY, dt.date.max, EARLIEST - DAY, EARLIEST, LATEST,
             LATEST + DAY]
EDGE_MOMENTS = ["0001-01-01T00:00:00+23:59", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59",
                "9999-12-31T23:59:59Z", "9999-12-31T23:59:59.999999+00:00", f"{EARLIEST}T00:00:00+00:01",
                f"{LATEST}T23:59:59-00:01"]
schemathesis.openapi.format("date", st.one_of(st.sampled_from(EDGE_DAYS), st.dates()).map(dt.date.isoformat))
schemathesis.openapi.format("date-time", st.one_of(st.sampled_from(EDGE_MOMENTS), st.builds(
    lambda moment, minutes: moment.replace(tzinfo=dt.timezone(dt.timedelta(minutes=minutes))).isoformat(),
    st.datetimes(), st.integers(-23 * 60 - 59, 23 * 60 + 59))))


def _takes_edges(node, seen: set[str]) -> bool:
    """Whether an operation (following its schema references) takes a date, a moment or limit/offset."""
    if isinstance(node, list):
        return any(_takes_edges(item, seen) for item in node)
    if not isinstance(node, dict):
        return False
    if node.get("format") in {"date", "date-time"} or (node.get("in") == "query"
                                                       and node.get("name") in {"limit", "offset"}):
        return True
    ref = node.get("$ref", "")
    if ref and ref not in seen:
        seen.add(ref)
        if _takes_edges(SCHEMA["components"]["schemas"][ref.rsplit("/", 1)[-1]], seen):
            return True
    return any(_takes_edges(value, seen) for key, value in node.items() if key != "responses")


EDGE_OPERATIONS = {(method.upper(), path) for path, item in SCHEMA["paths"].items()
                   for method, operation in item.items() if _takes_edges(operation, set())}


_LOADED: dict[str, object] = {}


@pytest.fixture(autouse=True)
def _no_traffic_leaves_the_machine(monkeypatch, settings):
    """Probes the fuzzer starts (any baseUrl, any apiKey) go to a closed local port through a proxy."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("AURA_") and name.endswith("_API_KEY"):
            monkeypatch.delenv(name)
    settings.AURA_PROBE_TIMEOUT = 1.0


@pytest.fixture(autouse=True)
def _failed_tokens_not_limited(settings):
    """Each example also sends invalid credentials, expecting 401/403; past the failed-token limit they
    would get 429 (that limit has its own tests in tests/foundation/test_lockout_keys.py)."""
    settings.AURA_FAILED_TOKEN_RATE = "1000000/min"


@pytest.fixture
def bearer(django_user_model) -> dict[str, str]:
    # A superuser without a password: no hashing on each of the many tests.
    fuzzer = django_user_model.objects.create_superuser("fuzzer", "fuzzer@example.com", None)
    return {"Authorization": f"Bearer {ApiToken.issue(user=fuzzer, name='fuzz')[1]}"}


@pytest.fixture
def api_schema(bearer):
    """The schema as the running app serves it at /api/openapi.json."""
    # The WSGI handler would close the test's connection (and with it the test's transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        if "schema" not in _LOADED:  # building the schema takes seconds: load it once per run
            _LOADED["schema"] = schemathesis.openapi.from_wsgi("/api/openapi.json", application, headers=bearer)
        yield _LOADED["schema"]
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_the_fuzzed_operations_are_every_route():
    from tests.routes import all_routes

    assert {(r.method, f"/api{r.path}") for r in all_routes()} == set(OPERATIONS)


@pytest.mark.parametrize("mode", list(GenerationMode), ids=str)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_operation_keeps_the_contract(api_schema, bearer, method, path, mode):
    operation = api_schema[path][method]
    reader = Client(application)  # through WSGI as the fuzzer calls, not Django's test client and its signals

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EDGE_EXAMPLES if (method, path) in EDGE_OPERATIONS else EXAMPLES, deadline=None,
              database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def fuzz(case):
        # Every check but "positive data is accepted": data valid by the schema may still break a domain rule
        # the schema cannot state (an unknown provider, a name already taken, a budget in another currency).
        response = case.call_and_validate(headers=bearer, excluded_checks=[positive_data_acceptance])
        if method != "GET" and response.status_code < 300:  # what was accepted must not break the budget period
            assert reader.get("/api/cost-tracking/current-period", headers=bearer).status_code == HTTPStatus.OK, (
                f"{method} {path} accepted {case.body!r} and the current period no longer answers")

    fuzz()


def test_the_operations_taking_dates_or_pages_are_found():
    assert {("PUT", "/api/cost-tracking/configuration"), ("POST", "/api/cost-tracking/operations"),
            ("GET", "/api/cost-tracking/breakdowns"), ("GET", "/api/cost-tracking/webhooks")} <= EDGE_OPERATIONS


HUGE_INTEGERS = [2**31, 2**63, 30271681232439490476244992]
# The bodies that carry a date or a moment the app computes with (server-set ones, such as createdAt, are ignored).
DATED_BODIES = {
    ("PUT", "/api/cost-tracking/configuration"): [
        lambda day, _moment: {"periodType": "Custom", "customStart": day, "customEnd": "2999-12-31"},
        lambda day, _moment: {"periodType": "Custom", "customStart": "2000-01-01", "customEnd": day},
        lambda day, _moment: {"periodType": "Custom", "customStart": day, "customEnd": day},
    ],
    ("POST", "/api/cost-tracking/operations"): [
        lambda _day, moment: {"idempotencyKey": "edge", "stage": "s", "provider": "p", "cost": 1, "timestamp": moment},
        lambda _day, moment: {"operations": [{"idempotencyKey": "edge", "stage": "s", "provider": "p", "cost": 1,
                                              "timestamp": moment}]},
    ],
}


def _format(node) -> str | None:
    if isinstance(node, dict):
        if node.get("format") in {"date", "date-time"}:
            return node["format"]
        return next(filter(None, (_format(value) for value in node.values())), None)
    if isinstance(node, list):
        return next(filter(None, (_format(value) for value in node)), None)
    return None


def _boundary_cases(method: str, path: str) -> list[tuple[dict, dict, object]]:
    """(path parameters, query, body) putting each date, moment, limit and offset of one operation at its edges."""
    operation = SCHEMA["paths"][path][method.lower()]
    parameters = operation.get("parameters", [])
    in_path = {p["name"]: "1" for p in parameters if p["in"] == "path"}
    required = {p["name"]: "x" for p in parameters if p["in"] == "query" and p.get("required")}
    cases = []
    for parameter in (p for p in parameters if p["in"] == "query"):
        name, kind = parameter["name"], _format(parameter["schema"])
        if kind == "date":
            cases += [(in_path, {**required, name: day.isoformat()}, None) for day in EDGE_DAYS]
        elif kind == "date-time":
            cases += [(in_path, {**required, name: moment}, None) for moment in EDGE_MOMENTS]
        elif name in {"limit", "offset"}:
            cases += [(in_path, {**required, name: number}, None) for number in HUGE_INTEGERS]
    bodies = {json.dumps(body(day.isoformat(), moment), sort_keys=True) for body in DATED_BODIES.get((method, path), [])
              for day in EDGE_DAYS for moment in EDGE_MOMENTS}
    return cases + [(in_path, {}, json.loads(body)) for body in sorted(bodies)]


@pytest.mark.parametrize(("method", "path"), sorted(EDGE_OPERATIONS), ids=[f"{m} {p}" for m, p in sorted(
    EDGE_OPERATIONS)])
def test_dates_moments_and_pages_at_their_edges_keep_the_contract(api_schema, bearer, method, path):
    """Explicit edges, whatever the random examples drew: the ends of the calendar, and integers past 32 and 64 bits."""
    operation = api_schema[path][method]
    reader = Client(application)
    for in_path, query, body in _boundary_cases(method, path):
        case = operation.Case(path_parameters=in_path or None, query=query or None,
                              **({"body": body, "media_type": "application/json"} if body is not None else {}))
        response = case.call_and_validate(headers=bearer, excluded_checks=[positive_data_acceptance])
        if method != "GET" and response.status_code < 300:
            assert reader.get("/api/cost-tracking/current-period", headers=bearer).status_code == HTTPStatus.OK, (
                f"{method} {path} accepted {body!r} and the current period no longer answers")
