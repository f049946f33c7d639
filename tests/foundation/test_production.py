"""The production profile from the environment: check --deploy is clean, headers and cookies are hardened."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.test import Client

from tests.conftest import ROOT

PRODUCTION = {"AURA_HTTPS": "true", "DEBUG": "false", "ALLOWED_HOSTS": "aura.example.com",
              "SECRET_KEY": "a-production-secret-key-" + "x7Kp2" * 12}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # The profile alone: none of the developer's AURA_* settings, nor the browser tests' async switch.
    full_env = {k: v for k, v in os.environ.items()
                if not k.startswith("AURA_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"} | env
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True,
                          text=True, timeout=120)


def test_check_deploy_is_clean_under_the_production_profile():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_without_the_production_profile():
    env = {k: v for k, v in PRODUCTION.items() if k != "AURA_HTTPS"}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **env)

    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout


def test_the_https_profile_turns_on_hsts_redirect_secure_cookies_and_the_proxy_header():
    code = ("import django, json; django.setup(); from django.conf import settings as s; print(json.dumps(["
            "s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
            "s.SECURE_PROXY_SSL_HEADER]))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, **PRODUCTION, "DJANGO_SETTINGS_MODULE": "aura_site.settings"})

    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        31_536_000, True, True, True, ["HTTP_X_FORWARDED_PROTO", "https"]]


@pytest.mark.django_db
def test_pages_and_the_api_carry_a_content_security_policy_without_inline_scripts(owner):
    client = Client()
    client.force_login(owner)
    for path in ("/", "/costs/", "/api/me"):
        policy = client.get(path)["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
        assert directives["script-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"


@pytest.mark.django_db
def test_signed_in_pages_and_the_api_are_not_stored_by_caches(owner, owner_api, anon_api):
    client = Client()
    client.force_login(owner)

    assert client.get("/costs/")["Cache-Control"] == "no-store"
    assert owner_api.get("/api/me")["Cache-Control"] == "no-store"
    assert anon_api.get("/api/me")["Cache-Control"] == "no-store"
