"""PostgreSQL connections persist between requests and are health-checked, unless configured otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.core.signals import request_finished, request_started
from django.db import connection

from tests.conftest import ROOT


def _database_settings(**env: str) -> dict:
    """The `default` database settings as a fresh process reads them from these variables."""
    code = ("import django, json; from django.conf import settings; django.setup(); "
            "d = settings.DATABASES['default']; "
            "print(json.dumps({k: d.get(k) for k in ('ENGINE', 'CONN_MAX_AGE', 'CONN_HEALTH_CHECKS')}))")
    variables = {**os.environ, "DJANGO_SETTINGS_MODULE": "aura_site.settings", **env}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=variables, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_postgresql_connections_persist_and_are_checked_by_default():
    found = _database_settings(DATABASE_URL="postgres://u@127.0.0.1:5432/x")
    assert found["CONN_MAX_AGE"] == 60 and found["CONN_HEALTH_CHECKS"] is True


def test_the_connection_age_and_health_checks_are_configurable():
    found = _database_settings(DATABASE_URL="postgres://u@127.0.0.1:5432/x", AURA_CONN_MAX_AGE="0",
                               AURA_CONN_HEALTH_CHECKS="false")
    assert found["CONN_MAX_AGE"] == 0 and found["CONN_HEALTH_CHECKS"] is False
    in_url = _database_settings(DATABASE_URL="postgres://u@127.0.0.1:5432/x?conn_max_age=5")
    assert in_url["CONN_MAX_AGE"] == 5


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)")
@pytest.mark.django_db(transaction=True)
def test_one_connection_serves_consecutive_requests():
    # The signals a real server sends around each request (the test client silences them).
    connection.ensure_connection()
    first = connection.connection
    for _ in range(2):
        request_started.send(sender=None)
        connection.ensure_connection()
        request_finished.send(sender=None)
    assert connection.connection is first
