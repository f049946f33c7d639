"""Every /api route needs a signed-in caller, and writes need the model permission."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from tests.routes import SAFE_METHODS, all_routes

pytestmark = pytest.mark.django_db

ROUTES = all_routes()


def test_the_api_has_routes_to_check():
    assert len(ROUTES) >= 1


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_every_route_answers_401_json_without_credentials(anon_api, route):
    response = anon_api._send(route.method.lower(), route.concrete_path, {})
    assert response.status_code == HTTPStatus.UNAUTHORIZED, route
    assert response.json()["detail"].startswith("Authentication required")


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_a_bad_bearer_token_is_not_let_in(route):
    from tests.conftest import ApiClient

    response = ApiClient("aura_not-a-real-token")._send(route.method.lower(), route.concrete_path, {})
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_every_unsafe_route_declares_what_it_needs():
    for route in ROUTES:
        if route.method not in SAFE_METHODS:
            assert route.requirement is not None and route.requirement.model is not None, route


@pytest.mark.parametrize("route", [r for r in ROUTES if r.requirement and r.requirement.writes], ids=str)
def test_a_view_only_user_gets_403_on_every_write(viewer_api, route):
    response = viewer_api._send(route.method.lower(), route.concrete_path, {})
    assert response.status_code == HTTPStatus.FORBIDDEN, (route, response.content)
    assert "permission" in response.json()["detail"]


@pytest.mark.parametrize("route", [r for r in ROUTES if r.requirement and r.requirement.model], ids=str)
def test_a_user_without_permissions_gets_403_everywhere_a_permission_is_needed(outsider_api, route):
    response = outsider_api._send(route.method.lower(), route.concrete_path, {})
    assert response.status_code == HTTPStatus.FORBIDDEN, (route, response.content)


def test_session_writes_need_the_csrf_token(owner):
    from django.test import Client

    write_routes = [r for r in ROUTES if r.requirement and r.requirement.writes]
    if not write_routes:
        pytest.fail("no write route to check")
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    route = write_routes[0]
    response = getattr(client, route.method.lower())(route.concrete_path, "{}", content_type="application/json")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "CSRF" in response.json()["detail"]
