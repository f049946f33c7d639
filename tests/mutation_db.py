"""A pytest plugin for `make mutate`: each mutmut worker gets its own SQLite test database file.

mutmut runs the tests of every mutant in a forked child, several at a time. The first (unmutated)
runs build a template test database; each child copies it to a file named after its process and
uses that (`--reuse-db`), so parallel children never share a database and none runs the migrations.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

_worker_file: Path | None = None


def pytest_configure(config) -> None:
    global _worker_file
    from django.conf import settings

    # Users are created in many tests; a fast hasher keeps each mutant's run short (tests only).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        return
    template = Path(settings.DATA_DIR) / "mutmut-template.sqlite3"
    name = template
    if "__mutmut_" in os.environ.get("MUTANT_UNDER_TEST", ""):
        name = Path(settings.DATA_DIR) / f"mutmut-worker-{os.getpid()}.sqlite3"
        if template.exists():
            shutil.copyfile(template, name)
        _worker_file = name
    database.setdefault("TEST", {})["NAME"] = str(name)


def pytest_unconfigure(config) -> None:
    global _worker_file
    if _worker_file is not None:
        _worker_file.unlink(missing_ok=True)
        _worker_file = None
