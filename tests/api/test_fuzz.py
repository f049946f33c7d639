"""schemathesis fuzzes every operation of the API's own OpenAPI schema, with every check on.

The schema is loaded from the app through WSGI with a valid bearer token; every operation gets
positive and negative data and every check but positive-data acceptance, a bounded number of
examples each (both CI legs run it; NUL-byte and overflow failures only show on PostgreSQL).
AURA_FUZZ_EXAMPLES=200 fuzzes longer locally.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from aura_site.api import api
from aura_site.models import ApiToken
from aura_site.wsgi import application

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("AURA_FUZZ_EXAMPLES", "6"))
OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in api.get_openapi_schema(path_prefix="/api/")["paths"].items()
    for method in item
)


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

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def fuzz(case):
        # Every check but "positive data is accepted": data valid by the schema may still break a domain rule
        # the schema cannot state (an unknown provider, a name already taken, a budget in another currency).
        case.call_and_validate(headers=bearer, excluded_checks=[positive_data_acceptance])

    fuzz()
