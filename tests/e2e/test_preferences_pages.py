"""Preferences in the browser: a profile through Basic and Advanced mode, a policy tried on text,
and export → wipe → import with a preview."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from preferences.kinds import KINDS
from preferences.models import ActiveSelection, CustomAudienceProfile

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_profile_is_created_in_basic_mode_fixed_in_advanced_mode_and_selected(page, live_server, owner, sign_in):
    sign_in("owner", "owner-pass-123")
    page.get_by_role("link", name="Preferences", exact=True).click()
    page.get_by_role("link", name="Audience profiles").click()
    page.get_by_role("link", name="Create audience profile").click()
    expect(page.get_by_label("Reading level")).to_be_hidden()  # Basic mode
    page.get_by_label("Name", exact=True).fill("Night owls")
    page.get_by_label("Min age").fill("30")
    page.get_by_label("Max age").fill("50")
    page.get_by_label("Pacing preference").select_option("Slow")
    page.get_by_label("Advanced (all parameters)").check()
    page.get_by_label("Reading level").fill("25")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field-error")).to_contain_text("less than or equal to 20")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Night owls")  # input kept
    expect(page.get_by_label("Pacing preference")).to_have_value("Slow")
    screenshot(page, "preferences-profile-validation-error")
    page.get_by_label("Reading level").fill("14")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved audience profile “Night owls”")
    row = page.locator("tr", has_text="Night owls")
    row.get_by_role("button", name="Select Night owls").click()
    expect(page.locator("tr", has_text="Night owls").get_by_text("Active")).to_be_visible()
    screenshot(page, "preferences-profiles")
    profile = CustomAudienceProfile.objects.get(name="Night owls")
    assert (profile.reading_level, profile.pacing_preference, profile.max_age) == (14, "Slow", 50)
    assert ActiveSelection.objects.get(kind="audienceProfiles").object_id == profile.pk


def test_a_policy_is_created_and_tried_on_text(page, live_server, owner, sign_in):
    sign_in("owner", "owner-pass-123")
    page.goto(f"{live_server.url}/preferences/filtering-policies/new/")
    page.get_by_label("Name", exact=True).fill("Kids")
    page.get_by_label("Profanity filter").select_option("Off")
    page.get_by_label("Custom banned words").fill("candy\nsoda")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Kids").click()
    page.get_by_label("Text to check").fill("Soda and candy are treats; candyfloss is fine.")
    page.get_by_role("button", name="Check text").click()
    result = page.locator("#check-result")
    expect(result).to_contain_text("Not allowed")
    expect(result.locator("mark")).to_have_count(2)
    expect(result.locator("mark").first).to_have_text("Soda")
    screenshot(page, "preferences-policy-check")


def test_preferences_are_exported_wiped_and_imported_with_a_preview(page, live_server, owner, sign_in, tmp_path):
    CustomAudienceProfile.objects.create(name="Keep me", min_age=20, max_age=30, tags=["a"])
    sign_in("owner", "owner-pass-123")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import/Export").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download export").click()
    exported = tmp_path / "export.json"
    download_info.value.save_as(exported)
    document = json.loads(exported.read_text())
    assert any(p["name"] == "Keep me" for p in document["audienceProfiles"])
    for kind in KINDS:
        kind.model.objects.all().delete()
    page.get_by_label("Export file").set_input_files(str(exported))
    page.get_by_role("button", name="Preview import").click()
    preview = page.locator("#import-result")
    expect(preview.locator("tr", has_text="Keep me")).to_contain_text("create")
    assert not CustomAudienceProfile.objects.exists()  # a preview changes nothing
    screenshot(page, "import-preview")
    preview.get_by_role("button", name="Confirm import").click()
    expect(preview).to_contain_text("Import complete")
    assert CustomAudienceProfile.objects.get(name="Keep me").tags == ["a"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": "1.0", "audienceProfiles": [{"name": "X", "minAge": 300}]}))
    page.get_by_label("Export file").set_input_files(str(bad))
    page.get_by_role("button", name="Preview import").click()
    expect(preview).to_contain_text("nothing was changed")
    expect(preview).to_contain_text("audienceProfiles[0].minAge")
    screenshot(page, "import-error")


def test_delete_asks_first_under_the_content_security_policy(page, live_server, owner, sign_in):
    from preferences.services import preference_create

    kind = next(k for k in KINDS if k.slug == "audience-profiles")
    preference_create(kind=kind, data={"name": "Short-lived", "min_age": 20, "max_age": 30})
    sign_in("owner", "owner-pass-123")
    page.goto(f"{live_server.url}/preferences/audience-profiles/")
    row = page.locator("tr", has_text="Short-lived")

    page.once("dialog", lambda dialog: dialog.dismiss())
    row.get_by_role("button", name="Delete Short-lived").click()
    expect(page.locator("tr", has_text="Short-lived")).to_be_visible()
    assert CustomAudienceProfile.objects.filter(name="Short-lived").exists()

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Delete Short-lived").click()
    expect(page.locator("tr", has_text="Short-lived")).to_have_count(0)
    assert not CustomAudienceProfile.objects.filter(name="Short-lived").exists()
