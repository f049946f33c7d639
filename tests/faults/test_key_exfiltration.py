"""A stored provider key never reaches a URL it was not saved with; outgoing calls refuse private addresses."""

from __future__ import annotations

import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from django.test import Client

from aura_site.outbound import OutboundRefused, is_public_address, outbound_check, outbound_client
from models_selection.models import CatalogModel, Provider
from tests.fake_provider import GOOD_KEY, FakeProviderServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_server():
    """Another fake provider: the one an attacker would point the base URL at."""
    server = FakeProviderServer().start()
    yield server
    server.stop()


@pytest.fixture
def openai_with_stored_key(db, owner_api, fake_provider, monkeypatch):
    monkeypatch.delenv("AURA_OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("AURA_OPENAI_BASE_URL", raising=False)
    CatalogModel.objects.get_or_create(provider="OpenAI", model_id="gpt-4o", defaults={"stages": ["script"]})
    response = owner_api.put("/api/models/providers/OpenAI",
                             {"baseUrl": fake_provider.base_url("openai"), "apiKey": GOOD_KEY, "enabled": True})
    assert response.status_code == 200
    assert response.json()["apiKeyCleared"] is False
    return Provider.objects.get(name="OpenAI")


def _keys_seen(server: FakeProviderServer) -> list[str]:
    return [r["headers"].get("Authorization", "") for r in server.requests]


def _probe(api) -> dict:
    response = api.post("/api/models/test", {"provider": "OpenAI", "modelId": "gpt-4o"})
    assert response.status_code == 200, response.content
    return response.json()


def test_the_stored_key_is_used_with_the_url_it_was_saved_with(openai_with_stored_key, owner_api, fake_provider):
    before = len(fake_provider.requests)

    assert _probe(owner_api)["isAvailable"] is True
    assert f"Bearer {GOOD_KEY}" in _keys_seen(fake_provider)[before:]


def test_changing_the_base_url_clears_the_key_and_the_new_server_never_sees_it(
    openai_with_stored_key, owner_api, second_server
):
    response = owner_api.put("/api/models/providers/OpenAI", {"baseUrl": second_server.base_url("openai")})

    body = response.json()
    assert response.status_code == 200
    assert body["apiKeyCleared"] is True
    assert body["hasApiKey"] is False
    assert "removed" in body["notice"]
    result = _probe(owner_api)
    assert result["isAvailable"] is False
    assert second_server.requests, "the probe did reach the new server"
    assert all(GOOD_KEY not in value for value in _keys_seen(second_server))


def test_a_key_sent_with_the_new_base_url_is_kept_for_it(openai_with_stored_key, owner_api, second_server):
    response = owner_api.put("/api/models/providers/OpenAI",
                             {"baseUrl": second_server.base_url("openai"), "apiKey": GOOD_KEY})

    assert response.json()["apiKeyCleared"] is False
    assert _probe(owner_api)["isAvailable"] is True
    assert f"Bearer {GOOD_KEY}" in _keys_seen(second_server)


def test_changing_the_base_url_in_admin_clears_the_key(openai_with_stored_key, owner, owner_api, second_server):
    client = Client()
    client.force_login(owner)
    row = openai_with_stored_key
    response = client.post(f"/admin/models_selection/provider/{row.pk}/change/", {
        "name": row.name, "kind": row.kind, "base_url": second_server.base_url("openai"),
        "needs_api_key": "on", "enabled": "on", "api_key": "",
    }, follow=True)

    assert response.status_code == 200
    assert "stored API key was removed" in response.content.decode()
    _probe(owner_api)
    assert second_server.requests
    assert all(GOOD_KEY not in value for value in _keys_seen(second_server))


def test_a_key_is_not_sent_when_the_url_moves_outside_the_app(openai_with_stored_key, owner_api, second_server,
                                                              monkeypatch):
    """Even without the clearing above (a row edited in the database, an environment change), the key stays."""
    Provider.objects.filter(pk=openai_with_stored_key.pk).update(base_url="")
    monkeypatch.setenv("AURA_OPENAI_BASE_URL", second_server.base_url("openai"))

    result = _probe(owner_api)

    assert result["isAvailable"] is False
    assert second_server.requests
    assert all(GOOD_KEY not in value for value in _keys_seen(second_server))
    providers = owner_api.get("/api/models/providers").json()["items"]
    openai = next(p for p in providers if p["name"] == "OpenAI")
    assert "saved for another base URL" in openai["unusableReason"]


def test_an_environment_key_is_not_sent_to_a_base_url_set_in_the_app(db, owner_api, second_server, monkeypatch):
    monkeypatch.setenv("AURA_OPENAI_API_KEY", GOOD_KEY)
    monkeypatch.delenv("AURA_OPENAI_BASE_URL", raising=False)
    CatalogModel.objects.get_or_create(provider="OpenAI", model_id="gpt-4o", defaults={"stages": ["script"]})
    owner_api.put("/api/models/providers/OpenAI", {"baseUrl": second_server.base_url("openai"), "enabled": True})

    _probe(owner_api)

    assert second_server.requests
    assert all(GOOD_KEY not in value for value in _keys_seen(second_server))


class _Redirector(BaseHTTPRequestHandler):
    target = ""

    def log_message(self, format, *args) -> None:
        return

    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", self.target + self.path.removeprefix("/v1"))
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_a_redirect_is_not_followed(openai_with_stored_key, owner_api, second_server):
    handler = type("Redirect", (_Redirector,), {"target": second_server.base_url("openai")})
    redirector = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=redirector.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{redirector.server_address[1]}/v1"
        owner_api.put("/api/models/providers/OpenAI", {"baseUrl": url, "apiKey": GOOD_KEY})
        result = _probe(owner_api)
    finally:
        redirector.shutdown()
        redirector.server_close()

    assert result["isAvailable"] is False
    assert "redirect" in result["errorMessage"]
    assert second_server.requests == []


def test_private_addresses_are_refused_unless_allowed(openai_with_stored_key, owner_api, fake_provider, settings):
    settings.AURA_ALLOW_PRIVATE_PROVIDER_URLS = False
    before = len(fake_provider.requests)

    result = _probe(owner_api)

    assert result["isAvailable"] is False
    assert "private" in result["errorMessage"] and "AURA_ALLOW_PRIVATE_PROVIDER_URLS" in result["errorMessage"]
    assert len(fake_provider.requests) == before


def test_local_providers_may_use_private_addresses(db, owner_api, fake_provider, settings):
    settings.AURA_ALLOW_PRIVATE_PROVIDER_URLS = False
    CatalogModel.objects.get_or_create(provider="Ollama", model_id="llama3.1", defaults={"stages": ["script"]})
    owner_api.put("/api/models/providers/Ollama", {"baseUrl": fake_provider.base_url("ollama"), "enabled": True})

    response = owner_api.post("/api/models/test", {"provider": "Ollama", "modelId": "llama3.1"})

    assert response.json()["isAvailable"] is True


@pytest.mark.parametrize("address", ["10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1",
                                     "::ffff:169.254.169.254", "224.0.0.1"])
def test_private_and_reserved_addresses_are_not_public(address):
    assert is_public_address(ipaddress.ip_address(address)) is False


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_internet_addresses_are_public(address):
    assert is_public_address(ipaddress.ip_address(address)) is True


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "http://user:pw@8.8.8.8/",
                                 "http://127.0.0.1:1/", "http://localhost/", "http://[::1]/"])
def test_outbound_check_refuses_what_may_not_be_called(url):
    with pytest.raises(OutboundRefused):
        outbound_check(url, allow_private=False)


def test_the_client_checks_the_address_it_connects_to(fake_provider):
    """The check at connect time does not rely on an earlier outbound_check (a name may resolve anew)."""
    before = len(fake_provider.requests)
    port = httpx.URL(fake_provider.base_url("openai")).port

    with outbound_client(allow_private=False, timeout=2) as client, pytest.raises(OutboundRefused):
        client.get(f"http://localhost:{port}/v1/models/gpt-4o")
    with outbound_client(allow_private=True, timeout=2) as client:
        assert client.get(f"http://localhost:{port}/v1/models/gpt-4o").status_code == 401

    assert len(fake_provider.requests) == before + 1
