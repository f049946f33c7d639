"""AURA_BROKER_KEY_PREFIX puts every Redis key and channel of the broker under a prefix of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from aura_site.celery import app as celery_app
from tests.conftest import ROOT, TEST_PROCESS


def _transport_options(**env: str) -> dict:
    """The broker's transport options as a fresh process reads them from these variables."""
    code = ("import django, json; from django.conf import settings; django.setup(); "
            "from aura_site.celery import app; print(json.dumps(app.conf.broker_transport_options))")
    variables = {k: v for k, v in os.environ.items() if k != "AURA_BROKER_KEY_PREFIX"}
    variables.update(DJANGO_SETTINGS_MODULE="aura_site.settings", CELERY_BROKER_URL="redis://127.0.0.1:6379/0", **env)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=variables, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_prefix_reaches_the_broker_and_is_absent_by_default():
    assert _transport_options(AURA_BROKER_KEY_PREFIX="aura-staging:")["global_keyprefix"] == "aura-staging:"
    unset = _transport_options()
    assert "global_keyprefix" not in unset
    assert unset["visibility_timeout"] == _transport_options(AURA_BROKER_KEY_PREFIX="x:")["visibility_timeout"]


def test_each_test_process_and_the_processes_it_starts_share_one_prefix_of_their_own():
    prefix = f"aura-test-{TEST_PROCESS}:"
    assert celery_app.conf.broker_transport_options["global_keyprefix"] == prefix
    assert os.environ["AURA_BROKER_KEY_PREFIX"] == prefix
