"""The interactive API documentation renders every operation, from the project's own static files."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_docs_list_the_operations_without_a_parser_error(page, live_server, owner, sign_in):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    sign_in("owner", "owner-pass-123")

    page.goto(f"{live_server.url}/api/docs")

    download = page.locator(".opblock-summary-path", has_text="/api/cost-tracking/exports/{task_id}/download")
    expect(download.first).to_be_visible(timeout=15_000)
    assert page.locator(".opblock").count() > 50
    expect(page.get_by_text("Parser error")).to_have_count(0)
    expect(page.locator(".errors-wrapper")).to_have_count(0)
    screenshot(page, "api-docs")
    # Swagger UI's script and style come from the project's static files: the page works offline.
    assert [url for url in requested if not url.startswith(live_server.url)] == []
