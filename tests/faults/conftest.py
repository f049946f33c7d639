"""Fixtures of the fault tests: a second server process with its own environment, closed ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from django.db import connection

from tests.conftest import ROOT, _database_url_for_worker


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    if connection.vendor == "postgresql":
        return _database_url_for_worker()
    return f"sqlite:///{connection.settings_dict['NAME']}"


@pytest.fixture
def server_process(transactional_db) -> Iterator[Callable[..., str]]:
    """`server_process(**env)` starts gunicorn on 127.0.0.1 with that environment and returns its URL."""
    started: list[subprocess.Popen] = []

    def start(**env: str) -> str:
        port = closed_port()
        full_env = {**os.environ, "DATABASE_URL": test_database_url(), "AURA_ALLOW_PRIVATE_PROVIDER_URLS": "true",
                    **env}
        log = open(ROOT / "var" / f"test-server-{port}.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "aura_site.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1",
             "--threads", "4", "--timeout", "60"],
            cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT,
        )
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited: see {log.name}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    return url
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the server did not answer /healthz within 30 s")

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
