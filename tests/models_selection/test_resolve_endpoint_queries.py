"""POST /api/models/resolve: four stages in five statements, the audit rows in one insert."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from models_selection.models import ResolutionAudit

pytestmark = pytest.mark.django_db

AUTH = 1  # the bearer token's lookup
SAVEPOINT = 2  # the service's transaction, a savepoint pair inside the test's


def test_resolving_four_stages_over_http_takes_five_statements_and_one_insert(world, owner_api,
                                                                                django_assert_max_num_queries):
    owner_api.post("/api/models/resolve", {})
    with django_assert_max_num_queries(AUTH + 5 + SAVEPOINT), CaptureQueriesContext(connection) as captured:
        response = owner_api.post("/api/models/resolve", {"projectId": "p1"})
    assert response.status_code == HTTPStatus.OK and len(response.json()["resolutions"]) == 4
    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1 and "resolutionaudit" in inserts[0]
    assert ResolutionAudit.objects.count() == 8
