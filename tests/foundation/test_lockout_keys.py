"""One client cannot lock others out: lockout per user name and address, only bad tokens limited,
the client address read through X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory

from aura_site.client_address import client_address, trusted_proxy_networks
from aura_site.models import ApiToken
from tests.conftest import ROOT, ApiClient

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"
PROXY = "10.0.0.2"


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _fail(client: Client, username: str, times: int = 12) -> list[int]:
    return [client.post(LOGIN, {"username": username, "password": f"wrong-{i}"}).status_code
            for i in range(times)]


@pytest.mark.parametrize("login_path", [LOGIN, "/admin/login/"])
def test_failures_for_one_user_name_do_not_lock_another_user_at_the_same_address(owner, viewer, login_path):
    attacker = Client(REMOTE_ADDR="203.0.113.5")
    statuses = [attacker.post(login_path, {"username": "viewer", "password": f"wrong-{i}"}).status_code
                for i in range(12)]
    assert 429 in statuses

    colleague = Client(REMOTE_ADDR="203.0.113.5")
    response = colleague.post(login_path, {"username": "owner", "password": "owner-pass-123"})

    assert response.status_code != 429 and _signed_in(colleague)


def test_behind_a_trusted_proxy_each_client_is_locked_on_its_own_address(owner, settings):
    settings.AURA_TRUSTED_PROXIES = [PROXY]
    attacker = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert 429 in _fail(attacker, "owner")
    again = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5")
    again.post(LOGIN, {"username": "owner", "password": "owner-pass-123"})
    assert not _signed_in(again)  # the attacker's own address stays locked for that user name

    owner_client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    response = owner_client.post(LOGIN, {"username": "owner", "password": "owner-pass-123"})

    assert response.status_code != 429 and _signed_in(owner_client)


def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(owner):
    # No trusted proxy: a client rotating X-Forwarded-For is still one address and stays locked.
    statuses = [Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
                .post(LOGIN, {"username": "owner", "password": f"wrong-{i}"}).status_code for i in range(12)]
    assert statuses[-1] == 429
    later = Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.200")
    later.post(LOGIN, {"username": "owner", "password": "owner-pass-123"})
    assert not _signed_in(later)


def test_a_valid_token_is_never_refused_for_other_clients_bad_tokens(owner, settings):
    settings.AURA_FAILED_TOKEN_RATE = "20/min"
    good = ApiToken.issue(user=owner)[1]
    statuses = [ApiClient(f"aura_bogus{i}").get("/api/me").status_code for i in range(25)]
    assert statuses[20:] == [429] * 5

    response = ApiClient(good).get("/api/me")

    assert response.status_code == 200 and response.json()["username"] == "owner"
    assert ApiClient("aura_bogus-again").get("/api/me").status_code == 429


def test_rotating_x_forwarded_for_does_not_escape_the_failed_token_limit(settings):
    settings.AURA_FAILED_TOKEN_RATE = "5/min"
    statuses = [ApiClient(f"aura_bogus{i}", **{"X-Forwarded-For": f"198.51.100.{i}"}).get("/api/me").status_code
                for i in range(8)]

    assert statuses == [401] * 5 + [429] * 3


def test_behind_a_trusted_proxy_bad_tokens_are_counted_per_client(settings):
    settings.AURA_FAILED_TOKEN_RATE = "5/min"
    settings.AURA_TRUSTED_PROXIES = [PROXY]

    def bad(client_ip: str) -> int:
        return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_ip,
                      HTTP_AUTHORIZATION="Bearer aura_bogus").get("/api/me").status_code

    assert [bad("203.0.113.5") for _ in range(6)] == [401] * 5 + [429]
    assert bad("198.51.100.7") == 401


@pytest.mark.parametrize(("remote", "forwarded", "expected"), [
    ("203.0.113.5", "", "203.0.113.5"),
    ("203.0.113.5", "198.51.100.7", "203.0.113.5"),  # not from a trusted proxy: the header is ignored
    (PROXY, "198.51.100.7", "198.51.100.7"),
    (PROXY, "1.1.1.1, 198.51.100.7", "198.51.100.7"),  # the client's own value on the left is not used
    (PROXY, "198.51.100.7, 10.0.0.3", "198.51.100.7"),  # a chain of trusted proxies is walked
    (PROXY, "", PROXY),
    (PROXY, "not-an-address, 198.51.100.7", "198.51.100.7"),
    (PROXY, "198.51.100.7, not-an-address", PROXY),
    (PROXY, "2001:db8::1", "2001:db8::1"),
])
def test_the_client_address_is_read_through_trusted_proxies_only(settings, remote, forwarded, expected):
    settings.AURA_TRUSTED_PROXIES = [PROXY, "10.0.0.3/32"]
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    assert client_address(request) == expected


def test_a_bad_trusted_proxy_entry_stops_the_start():
    with pytest.raises(ImproperlyConfigured, match="not-a-network"):
        trusted_proxy_networks(("10.0.0.0/8", "not-a-network"))


def test_the_https_profile_trusts_a_proxy_on_the_same_host_unless_told_otherwise():
    code = ("import django, json; django.setup(); from django.conf import settings as s; "
            "print(json.dumps([s.AURA_TRUSTED_PROXIES, s.AXES_LOCKOUT_PARAMETERS]))")

    def read(**env: str) -> list:
        base = {k: v for k, v in os.environ.items() if not k.startswith("AURA_")}
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                                timeout=60, env={**base, "DJANGO_SETTINGS_MODULE": "aura_site.settings", **env})
        return json.loads(result.stdout.strip().splitlines()[-1])

    assert read() == [[], [["username", "ip_address"]]]
    assert read(AURA_HTTPS="true")[0] == ["127.0.0.1", "::1"]
    assert read(AURA_HTTPS="true", AURA_TRUSTED_PROXIES="10.1.0.0/16,10.2.0.1")[0] == ["10.1.0.0/16", "10.2.0.1"]
