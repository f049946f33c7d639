"""Fixtures shared by every test: users with different rights, API clients, a real Celery worker."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client

from aura_site.celery import app as celery_app
from aura_site.models import ApiToken

ROOT = Path(__file__).resolve().parent.parent
# This test process: `gw0`, `gw1`… under pytest-xdist (`make test` runs the suite in parallel), else `main`.
# Each has its own test database (pytest-django adds the worker id to its name), export folder, broker
# key prefix and log files, so parallel processes never see each other's files, tasks or workers.
TEST_PROCESS = os.environ.get("PYTEST_XDIST_WORKER", "main")
# The fake AI provider server (`fake_provider` fixture) for probe tests and browser tests, and a webhook
# receiver (`webhook_receiver`) for alert deliveries.
pytest_plugins = ["tests.fake_provider", "tests.webhook_receiver"]


class ApiClient:
    """A Django test client that speaks JSON to /api, optionally with a bearer token."""

    def __init__(self, token: str | None = None, **headers: str) -> None:
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.client = Client(headers=headers)

    def _send(self, method: str, path: str, data: Any = None, **extra: Any):
        if method in {"get", "head", "options"}:
            return getattr(self.client, method)(path, **extra)
        if data is not None and not isinstance(data, str | bytes):
            data = json.dumps(data)
        kwargs: dict[str, Any] = {"content_type": "application/json", **extra}
        if data is not None:
            kwargs["data"] = data
        return getattr(self.client, method)(path, **kwargs)

    def get(self, path: str, params: dict | None = None, **extra: Any):
        return self.client.get(path, params or {}, **extra)

    def post(self, path: str, data: Any = None, **extra: Any):
        return self._send("post", path, data, **extra)

    def put(self, path: str, data: Any = None, **extra: Any):
        return self._send("put", path, data, **extra)

    def patch(self, path: str, data: Any = None, **extra: Any):
        return self._send("patch", path, data, **extra)

    def delete(self, path: str, data: Any = None, **extra: Any):
        return self._send("delete", path, data, **extra)


def _token_for(user) -> str:
    return ApiToken.issue(user=user, name="test")[1]


@pytest.fixture
def owner(django_user_model):
    """A superuser: may do everything."""
    return django_user_model.objects.create_superuser("owner", "owner@example.com", "owner-pass-123")


@pytest.fixture
def viewer(django_user_model):
    """A signed-in user holding every view_ permission and nothing else."""
    user = django_user_model.objects.create_user("viewer", "viewer@example.com", "viewer-pass-123")
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return user


@pytest.fixture
def outsider(django_user_model):
    """A signed-in user with no permission at all."""
    return django_user_model.objects.create_user("outsider", "outsider@example.com", "outsider-pass-123")


@pytest.fixture
def owner_api(owner) -> ApiClient:
    return ApiClient(_token_for(owner))


@pytest.fixture
def viewer_api(viewer) -> ApiClient:
    return ApiClient(_token_for(viewer))


@pytest.fixture
def outsider_api(outsider) -> ApiClient:
    return ApiClient(_token_for(outsider))


@pytest.fixture
def anon_api() -> ApiClient:
    return ApiClient()


@pytest.fixture
def api_client_for():
    """Build an ApiClient for any user: `api_client_for(user)`."""
    return lambda user: ApiClient(_token_for(user))


# Rows the data migrations create; a transactional test's flush removes them.
SEEDS = [
    ("preferences.migrations.0002_presets", "add_presets"),
    ("models_selection.migrations.0002_seed_catalog", "seed"),
    ("costs.migrations.0002_seed_prices", "seed"),
]


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def _seeded_rows_after_a_flush(request) -> None:
    """Every database test starts from the migrated state: presets, catalog and prices put back.

    A transactional test's flush empties every table; the tests after it, transactional or not, would
    otherwise run without the rows the migrations seed.
    """
    if _is_transactional(request):
        request.getfixturevalue("transactional_db")
    elif "db" in request.fixturenames or request.node.get_closest_marker("django_db") is not None:
        request.getfixturevalue("db")
    else:
        return
    from django.apps import apps

    from models_selection.models import CatalogModel

    if CatalogModel.objects.exists():
        return
    for module, function in SEEDS:
        getattr(importlib.import_module(module), function)(apps, None)
    # The Viewers and Editors groups of migration aura_site 0003, with their permissions (the flush's
    # post_migrate put the permissions back, but only completes groups that exist).
    from django.contrib.auth.models import Group

    from aura_site.groups import EDITORS, VIEWERS, groups_complete

    for name in (VIEWERS, EDITORS):
        Group.objects.get_or_create(name=name)
    groups_complete()


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Rate-limit counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _private_provider_urls_allowed(settings) -> None:
    """The fake provider listens on 127.0.0.1; tests of the refusal turn this off again."""
    settings.AURA_ALLOW_PRIVATE_PROVIDER_URLS = True


@pytest.fixture(autouse=True)
def _eager_tasks_unless_worker(request) -> Iterator[None]:
    """Tasks run in-process, except in tests that start a real worker (`celery_worker_process`)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = "celery_worker_process" not in request.fixturenames or not (
        os.environ.get("CELERY_BROKER_URL")
    )
    yield
    celery_app.conf.task_always_eager = previous


def pytest_configure(config) -> None:
    """This test process's own export folder and broker key prefix, here and in the processes it starts.

    Set in the environment too: the Celery workers, gunicorn servers and benchmark runs the tests start
    inherit them. The export sweeper removes files it does not know, so two processes sharing a folder
    would delete each other's exports; two Celery workers on one Redis database without a prefix would
    take each other's tasks and answer each other's pings.
    """
    from django.conf import settings

    # A fresh folder per run, too: the SQLite and PostgreSQL runs may go on at once in one checkout.
    exports = Path(tempfile.mkdtemp(prefix=f"aura-test-exports-{TEST_PROCESS}-"))
    config.add_cleanup(lambda: shutil.rmtree(exports, ignore_errors=True))
    prefix = f"aura-test-{TEST_PROCESS}:"
    os.environ["AURA_EXPORT_DIR"] = str(exports)
    os.environ["AURA_BROKER_KEY_PREFIX"] = prefix
    settings.AURA_EXPORT_DIR = exports
    settings.AURA_BROKER_KEY_PREFIX = prefix
    celery_app.conf.broker_transport_options = {**celery_app.conf.broker_transport_options,
                                                "global_keyprefix": prefix}


def log_file(name: str):
    """A log file in var/ for a process a test starts, named after this test process."""
    return open(ROOT / "var" / f"test-{name}-{TEST_PROCESS}.log", "w")  # noqa: SIM115


def _database_url_for_worker() -> str:
    settings = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("a separate worker process needs a server database")
    user = settings.get("USER") or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db) -> Iterator[subprocess.Popen | None]:
    """A real `celery worker` process on the configured broker, using the test database.

    With no broker configured (the SQLite run) there is no worker: tasks run eagerly in-process,
    through the same code. Tests using this fixture must commit their data (transactional_db).
    """
    broker = os.environ.get("CELERY_BROKER_URL")
    if not broker or connection.vendor != "postgresql":
        yield None
        return
    env = {**os.environ, "DATABASE_URL": _database_url_for_worker(), "AURA_ALLOW_PRIVATE_PROVIDER_URLS": "true"}
    log = log_file("celery-worker")
    celery_app.control.purge()
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "aura_site", "worker", "--pool=solo", "--concurrency=1",
         "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if worker.poll() is not None:
                raise RuntimeError(f"celery worker exited: see {log.name}")
            if celery_app.control.ping(timeout=0.5):
                break
        else:
            raise RuntimeError("celery worker did not answer pings within 60 s")
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


def pytest_collection_modifyitems(items) -> None:
    """Browser tests run last: once started, the browser driver keeps an event loop in the main thread."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


# Under `-n` (pytest-xdist), the tests of a group run one after another in one process: the browser tests
# share one chromium; the tests that start gunicorn or real workers (and time their answers), and the
# benchmarks' smoke test with its own gunicorn and wrk, never run beside each other. Every other test is
# handed out on its own. (xdist's `--dist loadgroup` cannot group under pytest 9.2, which no longer reads
# the node id that xdist rewrites, hence the scheduler below.)
GROUPS = {
    "browser": ("tests/e2e/",),
    "servers": ("tests/faults/test_readiness.py", "tests/faults/test_run_start_outage.py",
                "tests/faults/test_service_outages.py", "tests/faults/test_worker_deaths.py",
                "tests/benchmarks/test_smoke.py"),
}


def group_of(nodeid: str) -> str | None:
    """The group a test belongs to, by its path, or None."""
    return next((name for name, paths in GROUPS.items() if nodeid.startswith(paths)), None)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Hand out each group as one unit (biggest first, so the groups start at once), then single tests."""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid) or nodeid

    return GroupScheduling(config, log)
