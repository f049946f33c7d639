"""Failed sign-ins lock out (both login forms); bad and busy tokens are throttled; tokens may expire."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from aura_site.models import ApiToken
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("login_path", ["/accounts/login/", "/admin/login/"])
def test_thirty_wrong_passwords_lock_the_account_at_that_address_until_the_lockout_ends(owner, login_path):
    client = Client()
    statuses = [client.post(login_path, {"username": "owner", "password": f"wrong-{i}"}).status_code
                for i in range(30)]

    assert statuses.count(429) >= 20  # the lockout answers once the limit is reached
    right = client.post(login_path, {"username": "owner", "password": "owner-pass-123"})
    assert right.status_code == 429 and not _signed_in(client)
    elsewhere = Client(REMOTE_ADDR="10.9.8.7")  # the lock is on the user name *at that address*
    elsewhere.post(login_path, {"username": "owner", "password": "owner-pass-123"})
    assert _signed_in(elsewhere)

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16), tick=False):
        later = Client()
        later.post(login_path, {"username": "owner", "password": "owner-pass-123"})
        assert _signed_in(later)


def test_failed_tokens_are_throttled_per_address(owner, settings):
    settings.AURA_FAILED_TOKEN_RATE = "20/min"
    good = ApiToken.issue(user=owner)[1]
    statuses = [ApiClient(f"aura_bogus{i}").get("/api/me").status_code for i in range(25)]

    assert statuses[:20] == [401] * 20 and statuses[20:] == [429] * 5
    blocked = ApiClient("aura_bogus-more").get("/api/me")
    assert blocked.status_code == 429 and "failed API tokens" in blocked.json()["detail"]
    assert int(blocked["Retry-After"]) > 0
    other_address = Client(REMOTE_ADDR="10.1.1.1", headers={"Authorization": "Bearer aura_bogus-more"})
    assert other_address.get("/api/me").status_code == 401
    assert ApiClient(good).get("/api/me").status_code == 200  # bad tokens only are limited


def test_each_token_has_its_own_rate_limit(owner, settings):
    settings.AURA_API_RATE = "5/min"
    busy, other = ApiClient(ApiToken.issue(user=owner)[1]), ApiClient(ApiToken.issue(user=owner)[1])

    statuses = [busy.get("/api/me").status_code for _ in range(7)]

    assert statuses == [200] * 5 + [429] * 2
    throttled = busy.get("/api/me")
    assert throttled.json()["detail"] and "Retry-After" in throttled
    assert other.get("/api/me").status_code == 200


def test_a_token_with_an_expiry_stops_working_with_a_clear_message(owner):
    out = StringIO()
    call_command("create_api_token", "owner", "--expires-days", "1", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    assert "expires at" in out.getvalue()
    assert ApiClient(raw).get("/api/me").status_code == 200

    with time_machine.travel(timezone.now() + dt.timedelta(days=2), tick=False):
        response = ApiClient(raw).get("/api/me")

    assert response.status_code == 401
    assert "expired" in response.json()["detail"] and "create_api_token" in response.json()["detail"]


def test_tokens_without_expiry_keep_working(owner):
    raw = ApiToken.issue(user=owner)[1]
    with time_machine.travel(timezone.now() + dt.timedelta(days=3650), tick=False):
        assert ApiClient(raw).get("/api/me").status_code == 200


def test_admin_shows_when_each_token_was_last_used_and_when_it_expires(owner):
    raw = ApiToken.issue(user=owner, name="ci", expires_in=dt.timedelta(days=30))[1]
    ApiClient(raw).get("/api/me")
    client = Client()
    client.force_login(owner)

    page = client.get("/admin/aura_site/apitoken/").content.decode()

    assert "Last used" in page and "Expires" in page
    assert ApiToken.objects.get(name="ci").last_used_at is not None
