"""Timestamps of imported items: outside the supported dates a 422 naming the item, never a 500."""

from __future__ import annotations

import datetime as dt
import json
from http import HTTPStatus

import pytest

from preferences.models import CustomAudienceProfile

pytestmark = pytest.mark.django_db
IMPORT = "/api/user-preferences/import"


def _import(api, **stamps):
    document = {"version": "1.0", "audienceProfiles": [{"name": "Imported", **stamps}]}
    return api.post(IMPORT, {"jsonData": json.dumps(document)})


@pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59",
                                   "9999-12-31T23:59:59Z", "1899-12-31T23:59:59Z", "0001-01-01T00:00:00"])
@pytest.mark.parametrize("field", ["createdAt", "updatedAt"])
def test_an_imported_timestamp_outside_the_supported_dates_is_a_422_naming_the_item(owner_api, stamp, field):
    before = CustomAudienceProfile.objects.count()
    response = _import(owner_api, **{field: stamp})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    error = response.json()["errors"][0]
    assert error == {"field": f"audienceProfiles[0].{field}", "message": "must be between 1900-01-01 and 9000-12-31"}
    assert CustomAudienceProfile.objects.count() == before


def test_an_imported_timestamp_at_the_edge_of_the_supported_dates_is_kept(owner_api):
    response = _import(owner_api, createdAt="1900-01-01T00:00:00Z", updatedAt="9000-12-31T23:59:59Z")
    assert response.status_code == HTTPStatus.OK, response.json()
    profile = CustomAudienceProfile.objects.get(name="Imported")
    assert profile.created_at == dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
    assert profile.updated_at == dt.datetime(9000, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
