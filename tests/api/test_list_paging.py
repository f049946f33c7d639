"""Every paged list bounds `limit` and `offset`: past the bound a 422 naming the parameter, never a 500."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest

from aura_site.api import api

pytestmark = pytest.mark.django_db
HUGE = 30271681232439490476244992


def _paged_lists() -> list[tuple[str, dict]]:
    schema = api.get_openapi_schema(path_prefix="/api/")
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            parameters = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
            if method == "get" and "offset" in parameters:
                found.append((path, parameters))
    return sorted(found, key=lambda pair: pair[0])


LISTS = _paged_lists()


def _get(api_client, path: str, parameters: dict, **query):
    concrete = re.sub(r"\{[^}]+\}", "1", path)
    required = {name: "x" for name, p in parameters.items() if p.get("required")}
    return api_client.get(concrete, {**required, **query})


def test_the_lists_with_paging_are_found():
    assert {"/api/cost-tracking/webhooks", "/api/cost-tracking/operations", "/api/models/audit-log"} <= {
        path for path, _ in LISTS}


@pytest.mark.parametrize(("path", "parameters"), LISTS, ids=[path for path, _ in LISTS])
def test_every_list_declares_the_most_it_takes_for_limit_and_offset(path, parameters):
    assert "maximum" in parameters["limit"]["schema"] and "maximum" in parameters["offset"]["schema"]


@pytest.mark.parametrize(("path", "parameters"), LISTS, ids=[path for path, _ in LISTS])
@pytest.mark.parametrize("name", ["offset", "limit"])
def test_a_limit_or_offset_past_its_bound_is_a_422_naming_it(owner_api, path, parameters, name):
    response = _get(owner_api, path, parameters, **{name: HUGE})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert [e["field"] for e in response.json()["errors"]] == [name]


@pytest.mark.parametrize(("path", "parameters"), LISTS, ids=[path for path, _ in LISTS])
def test_the_largest_offset_a_list_takes_answers_without_a_server_error(owner_api, path, parameters):
    response = _get(owner_api, path, parameters, offset=parameters["offset"]["schema"]["maximum"],
                    limit=parameters["limit"]["schema"]["maximum"])
    assert response.status_code in {HTTPStatus.OK, HTTPStatus.NOT_FOUND}  # 404: the webhook `1` does not exist
