"""Signing in and out, and the layout every page shares."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_wrong_password_is_refused_and_the_right_one_lands_on_settings(page, live_server, owner, console_errors):
    response = page.goto(f"{live_server.url}/")
    # The pages run under the Content-Security-Policy (console_errors fails the test on any violation).
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/"))
    expect(page).to_have_title(re.compile("Sign in"))
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("didn't match")
    screenshot(page, "login-error")
    page.get_by_label("Password").fill("owner-pass-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    for label in ("Preferences", "Models", "Costs", "Import/Export", "Admin", "API docs"):
        expect(nav.get_by_role("link", name=label)).to_be_visible()
    screenshot(page, "home")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile("/accounts/login/"))
