"""The site's plumbing: tokens, correlation ids, docs, error bodies and the body size limit."""

from __future__ import annotations

import io
from http import HTTPStatus

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from aura_site.models import ApiToken, hash_token
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_create_api_token_prints_the_token_alone_on_the_last_line_and_stores_only_its_hash(owner):
    out = io.StringIO()
    call_command("create_api_token", "owner", "--name", "ci", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    assert raw.startswith("aura_") and " " not in raw
    token = ApiToken.objects.get(user=owner)
    assert token.name == "ci"
    assert token.digest == hash_token(raw)
    assert raw not in {token.digest, token.prefix}


def test_create_api_token_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="No user named"):
        call_command("create_api_token", "nobody")


def test_a_token_records_when_it_was_last_used_and_stops_working_once_revoked(owner):
    token, raw = ApiToken.issue(user=owner)
    assert token.last_used_at is None
    client = ApiClient(raw)
    assert client.get("/api/me").json()["username"] == "owner"
    token.refresh_from_db()
    assert token.last_used_at is not None

    from django.utils import timezone

    token.revoked_at = timezone.now()
    token.save()
    assert client.get("/api/me").status_code == HTTPStatus.UNAUTHORIZED


def test_every_response_carries_a_correlation_id_echoing_the_callers(owner_api, anon_api):
    echoed = owner_api.get("/api/me", HTTP_X_CORRELATION_ID="req-42")
    assert echoed["X-Correlation-ID"] == "req-42"
    fresh = anon_api.get("/api/me")
    assert len(fresh["X-Correlation-ID"]) == 32
    page = Client().get("/accounts/login/")
    assert page["X-Correlation-ID"]


def test_a_malformed_correlation_id_is_replaced(owner_api):
    response = owner_api.get("/api/me", HTTP_X_CORRELATION_ID="bad id\n<script>")
    assert response["X-Correlation-ID"] != "bad id\n<script>"
    assert len(response["X-Correlation-ID"]) == 32


def test_the_docs_page_serves_its_assets_locally(owner):
    client = Client()
    client.force_login(owner)
    response = client.get("/api/docs")
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "cdn." not in html
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == HTTPStatus.OK


def test_swagger_redirects_to_the_docs():
    response = Client().get("/api/swagger")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/api/docs"


def test_the_docs_and_schema_need_a_signed_in_user(owner):
    assert Client().get("/api/docs").status_code == HTTPStatus.FOUND
    assert Client().get("/api/openapi.json").status_code == HTTPStatus.FOUND


def test_the_openapi_schema_declares_error_answers(owner):
    client = Client()
    client.force_login(owner)
    schema = client.get("/api/openapi.json").json()
    assert schema["info"]["title"] == "Aura Control Center API"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "401" in operation["responses"], (method, path)


def test_a_body_over_the_limit_gets_413_before_it_is_read(owner_api, settings):
    settings.AURA_MAX_BODY_BYTES = 1000
    response = owner_api.post("/api/me", "x" * 2000)
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json()["errors"][0]["field"] == "body"


def test_pages_redirect_anonymous_visitors_to_sign_in():
    response = Client().get("/")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/")
