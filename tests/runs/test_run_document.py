"""A run's frozen preferences are read through typed objects generated from the preference kinds."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from models_selection.runs.choices import RUN_CHOICES
from models_selection.runs.document import NOT_SETTINGS, run_preferences, values_model
from models_selection.runs.effective import effective_preferences_resolve
from preferences.kinds import KINDS_BY_KEY
from preferences.services import preference_create, preference_select

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("choice", RUN_CHOICES, ids=lambda c: c.name)
def test_each_kind_s_frozen_settings_are_its_own_fields(choice):
    kind = KINDS_BY_KEY[choice.kind]

    assert set(values_model(choice.kind).model_fields) == {f.name for f in kind.input_fields} - NOT_SETTINGS


def test_a_resolved_document_reads_as_typed_values():
    kind = KINDS_BY_KEY["audienceProfiles"]
    makers = preference_create(kind=kind, data={"name": "Makers", "min_age": 30, "max_age": 40, "reading_level": 7})
    preference_select(kind=kind, item_id=makers.pk)

    prefs = run_preferences(effective_preferences_resolve())

    assert (prefs.audience_profile.id, prefs.audience_profile.name, prefs.audience_profile.source) == (
        str(makers.pk), "Makers", "ActiveCustom")
    assert (prefs.audience_profile.values.min_age, prefs.audience_profile.values.reading_level) == (30, 7)
    assert prefs.ai_behavior["script"].values.max_tokens == 2000
    assert prefs.prompt_templates["visual"].values.template_text == ""
    assert prefs.content_hash.startswith("sha256:")


def test_a_setting_missing_from_an_older_document_reads_as_the_kind_s_default():
    prefs = run_preferences({"audienceProfile": {"id": None, "name": "Old", "source": "SystemDefault",
                                                 "values": {"minAge": 21}}})

    assert (prefs.audience_profile.values.min_age, prefs.audience_profile.values.max_age) == (21, 65)


def test_the_frozen_document_cannot_be_changed_through_its_typed_view():
    prefs = run_preferences(effective_preferences_resolve())

    with pytest.raises(ValidationError):
        prefs.audience_profile.values.min_age = 3
