"""Every rule answers 422 naming the field; random bodies never cause a 500."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preferences.kinds import KINDS

pytestmark = pytest.mark.django_db
BASE = "/api/user-preferences"

CASES = [
    ("audience-profiles", {"minAge": -1}, "minAge"),
    ("audience-profiles", {"maxAge": 121}, "maxAge"),
    ("audience-profiles", {"minAge": 40, "maxAge": 30}, "minAge"),
    ("audience-profiles", {"vocabularyLevel": 0}, "vocabularyLevel"),
    ("audience-profiles", {"informationDensity": 11}, "informationDensity"),
    ("audience-profiles", {"readingLevel": 21}, "readingLevel"),
    ("audience-profiles", {"violenceThreshold": 11}, "violenceThreshold"),
    ("audience-profiles", {"sarcasmLevel": -2}, "sarcasmLevel"),
    ("audience-profiles", {"sentenceStructurePreference": "Baroque"}, "sentenceStructurePreference"),
    ("audience-profiles", {"humorStyle": "Slapstick"}, "humorStyle"),
    ("audience-profiles", {"pacingPreference": "Glacial"}, "pacingPreference"),
    ("audience-profiles", {"emotionalTone": "Angry"}, "emotionalTone"),
    ("audience-profiles", {"ctaStyle": "Pushy"}, "ctaStyle"),
    ("audience-profiles", {"tags": ["x"] * 1001}, "tags"),
    ("audience-profiles", {"topicsToAvoid": ["x" * 201]}, "topicsToAvoid"),
    ("audience-profiles", {"minAge": "old"}, "minAge"),
    ("audience-profiles", {"unknownField": 1}, "unknownField"),
    ("filtering-policies", {"profanityFilter": "Nuclear"}, "profanityFilter"),
    ("filtering-policies", {"politicalContent": "Some"}, "politicalContent"),
    ("filtering-policies", {"religiousContent": "Some"}, "religiousContent"),
    ("filtering-policies", {"substanceReferences": "Some"}, "substanceReferences"),
    ("filtering-policies", {"copyrightPolicy": "None"}, "copyrightPolicy"),
    ("filtering-policies", {"customBannedWords": ["w"] * 5001}, "customBannedWords"),
    ("filtering-policies", {"violenceThreshold": 99}, "violenceThreshold"),
    ("ai-behavior", {"temperature": 2.5}, "temperature"),
    ("ai-behavior", {"topP": 1.5}, "topP"),
    ("ai-behavior", {"stage": "editing"}, "stage"),
    ("prompt-templates", {"templateText": "About {{topic}} for {{budget}}"}, "templateText"),
    ("quality-thresholds", {"scriptQuality": 0.9}, "scriptQuality"),
    ("quality-thresholds", {"minEngagement": 11}, "minEngagement"),
]


@pytest.mark.parametrize(("slug", "body", "field"), CASES, ids=lambda v: str(v)[:40])
def test_each_rule_is_a_422_naming_the_field(owner_api, slug, body, field):
    payload = {"name": "Checked", **body}
    if slug == "prompt-templates":
        payload.setdefault("templateText", "{{topic}}")
    response = owner_api.post(f"{BASE}/{slug}", payload)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, response.content
    assert field in [e["field"] for e in response.json()["errors"]], response.json()


def test_the_unknown_template_variable_is_named(owner_api):
    response = owner_api.post(f"{BASE}/prompt-templates", {"name": "T", "templateText": "{{topic}} {{budget}}"})
    assert "{{budget}}" in response.json()["errors"][0]["message"]


def test_a_partial_update_is_validated_on_the_merged_result(owner_api):
    created = owner_api.post(f"{BASE}/audience-profiles", {"name": "Teens", "minAge": 13, "maxAge": 19}).json()
    response = owner_api.put(f"{BASE}/audience-profiles/{created['id']}", {"minAge": 20})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["errors"][0]["field"] == "minAge"
    assert owner_api.get(f"{BASE}/audience-profiles/{created['id']}").json()["minAge"] == 13


def test_a_duplicate_name_is_a_409(owner_api):
    owner_api.post(f"{BASE}/visual-styles", {"name": "Noir"})
    assert owner_api.post(f"{BASE}/visual-styles", {"name": "Noir"}).status_code == HTTPStatus.CONFLICT


def test_an_unknown_id_is_a_404(owner_api):
    response = owner_api.get(f"{BASE}/visual-styles/00000000-0000-0000-0000-000000000000")
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_malformed_json_is_a_client_error_not_a_500(owner_api):
    response = owner_api.post(f"{BASE}/visual-styles", "{not json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.slug)
def test_random_bodies_never_cause_a_server_error(owner_api, kind):
    names = [kind.camel(f.name) for f in kind.input_fields] + ["bogus"]

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.dictionaries(st.sampled_from(names), json_values, max_size=8))
    def post_random(body):
        response = owner_api.post(f"{BASE}/{kind.slug}", body)
        assert response.status_code in {201, 400, 409, 422}, (body, response.content)

    post_random()
