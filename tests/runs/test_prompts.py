"""The prompt-building module: pure functions of the brief, earlier outputs and frozen preferences."""

from __future__ import annotations

import copy

import pytest

from models_selection.runs import prompts
from models_selection.runs.review import parse_scores, quality_verdict

BRIEF = "Why the sky is blue"


def profile_values(**changes):
    values = {
        "minAge": 14, "maxAge": 18, "educationLevel": "High school", "educationLevelDescription": "",
        "vocabularyLevel": 6, "sentenceStructurePreference": "Mixed", "readingLevel": 9, "violenceThreshold": 1,
        "profanityThreshold": 0, "sexualContentThreshold": 0, "controversialTopicsThreshold": 2,
        "humorStyle": "Light", "sarcasmLevel": 1, "jokeTypes": ["puns"], "culturalHumorPreferences": [],
        "formalityLevel": 4, "attentionSpanSeconds": 60, "pacingPreference": "Medium", "informationDensity": 5,
        "technicalDepthTolerance": 6, "jargonAcceptability": 2, "familiarTechnicalTerms": ["photon"],
        "emotionalTone": "Inspirational", "emotionalIntensity": 6, "ctaAggressiveness": 3, "ctaStyle": "Suggestive",
        "brandVoiceGuidelines": "Friendly and precise", "brandToneKeywords": ["curious"], "brandPersonality": "",
        "culturalSensitivities": ["religion"], "topicsToAvoid": ["politics"], "topicsToEmphasize": ["physics"],
    }
    return {**values, **changes}


def behavior(**changes):
    return {"stage": "script", "temperature": 0.7, "topP": 1.0, "maxTokens": 2000, "frequencyPenalty": 0.0,
            "presencePenalty": 0.0, "systemPromptAddition": "", "creativityVsConsistency": 0.5, **changes}


def entry(values, item_id=None, name="System defaults"):
    return {"id": item_id, "name": name, "source": "SystemDefault", "values": values}


@pytest.fixture
def prefs():
    stages = ("script", "visual", "narration", "refinement")
    return {
        "audienceProfile": entry(profile_values(), "p-1", "Teens"),
        "filteringPolicy": entry({"filteringEnabled": True, "allowOverrideAll": False, "bannedTopics": ["gambling"],
                                  "blockedConcepts": ["weapons"]}),
        "qualityThresholds": entry({"minScriptQuality": 7.0, "minBrandCompliance": 7.0, "minEngagement": 6.0,
                                    "scriptQuality": 0.3, "brandCompliance": 0.15, "engagement": 0.1}),
        "visualStyle": entry({"aesthetic": "watercolor", "composition": "rule of thirds", "lighting": "golden hour",
                              "colorPalette": ["#0055ff"], "referenceKeywords": ["sky"]}),
        "aiBehavior": {s: entry(behavior(stage=s)) for s in stages},
        "promptTemplates": {s: entry({"stage": s, "templateText": "", "variantGroup": ""}) for s in stages},
    }


def test_the_system_message_carries_every_audience_parameter(prefs):
    prompt = prompts.build_stage_prompt(stage="script", brief=BRIEF, earlier={}, prefs=prefs)

    for expected in ("ages 14 to 18", "High school", "Vocabulary level 6/10", "grade 9", "Formality 4/10",
                     "Inspirational", "Pacing: Medium", "60 seconds", "Humor: Light", "puns", "photon",
                     "Suggestive", "religion", "politics", "physics", "Friendly and precise", "curious"):
        assert expected in prompt.system
    assert "gambling" in prompt.system and "weapons" in prompt.system  # the policy's banned topics


def test_the_ai_behavior_shapes_the_system_message_and_the_sampling(prefs):
    prefs["aiBehavior"]["script"]["values"] = behavior(temperature=1.1, topP=0.9, maxTokens=321, frequencyPenalty=0.5,
                                                       presencePenalty=-0.5, systemPromptAddition="Cite one source.")

    prompt = prompts.build_stage_prompt(stage="script", brief=BRIEF, earlier={}, prefs=prefs)

    assert "Cite one source." in prompt.system
    assert prompt.sampling == {"temperature": 1.1, "top_p": 0.9, "max_tokens": 321, "frequency_penalty": 0.5,
                               "presence_penalty": -0.5}


def test_a_template_has_its_variables_filled_from_the_brief_and_profile(prefs):
    prefs["promptTemplates"]["script"] = {
        "id": "t-1", "name": "A", "source": "RunChoice",
        "values": {"stage": "script", "variantGroup": "g",
                   "templateText": "T={{topic}} A={{audience}} D={{duration}} G={{goal}} O={{tone}} S={{style}}"}}

    prompt = prompts.build_stage_prompt(stage="script", brief=BRIEF, earlier={}, prefs=prefs)

    user = prompt.user_messages[0]["content"]
    assert user.startswith("T=Why the sky is blue A=Teens (ages 14–18, High school education) D=60 seconds "
                           "G=inform, then a suggestive call to action O=inspirational, formality 4/10, light humor "
                           "S=watercolor")
    assert prompt.template_id == "t-1"


def test_the_visual_stage_gets_the_style_and_the_script(prefs):
    prompt = prompts.build_stage_prompt(stage="visual", brief=BRIEF, earlier={"script": "SCRIPT TEXT"}, prefs=prefs)

    assert "watercolor" in prompt.system and "golden hour" in prompt.system and "#0055ff" in prompt.system
    assert "SCRIPT TEXT" in prompt.user_messages[0]["content"]
    assert "Scene N:" in prompt.system
    script = prompts.build_stage_prompt(stage="script", brief=BRIEF, earlier={}, prefs=prefs)
    assert "watercolor" not in script.system


def test_refinement_sees_the_script_and_narration_and_violations_are_named(prefs):
    prompt = prompts.build_stage_prompt(stage="refinement", brief=BRIEF, earlier={"script": "S1", "narration": "N1"},
                                        prefs=prefs, violations=["bannedWord: darn"])

    user = prompt.user_messages[0]["content"]
    assert "Script:\nS1" in user and "Narration:\nN1" in user and "bannedWord: darn" in user


def test_building_is_pure_and_repeatable(prefs):
    before = copy.deepcopy(prefs)

    first = prompts.build_stage_prompt(stage="narration", brief=BRIEF, earlier={"script": "S"}, prefs=prefs)
    second = prompts.build_stage_prompt(stage="narration", brief=BRIEF, earlier={"script": "S"}, prefs=prefs)

    assert first == second and prefs == before


def test_an_unrestricted_policy_adds_no_policy_line(prefs):
    prefs["filteringPolicy"]["values"]["allowOverrideAll"] = True

    prompt = prompts.build_stage_prompt(stage="script", brief=BRIEF, earlier={}, prefs=prefs)

    assert "Content policy" not in prompt.system


def test_visual_prompts_are_read_back_per_scene():
    assert prompts.visual_prompts("Scene 1: a sky\n\nScene 2: a prism\nthe sunset") == [
        {"scene": 1, "prompt": "a sky"}, {"scene": 2, "prompt": "a prism"}, {"scene": 3, "prompt": "the sunset"}]


@pytest.mark.parametrize("text", ["not json", '{"scriptQuality": 11, "brandCompliance": 5, "engagement": 5}',
                                  '{"scriptQuality": 5}', "[1, 2]", ""])
def test_malformed_scores_are_rejected(text):
    assert parse_scores(text) is None


def test_scores_in_a_code_fence_are_read():
    scores = parse_scores('```json\n{"scriptQuality": 8, "brandCompliance": 9, "engagement": 7}\n```')
    assert (scores.scriptQuality, scores.brandCompliance, scores.engagement) == (8, 9, 7)


def test_the_verdict_checks_each_minimum_and_the_weighted_total(prefs):
    good = quality_verdict(scores=parse_scores('{"scriptQuality": 8, "brandCompliance": 8, "engagement": 7}'),
                           script="We look up. The sky is blue.", prefs=prefs)
    assert good["reasons"] == [] and good["weighted_total"] == pytest.approx((8 * .3 + 8 * .15 + 7 * .1) / .55, 1e-3)

    low = quality_verdict(scores=parse_scores('{"scriptQuality": 9, "brandCompliance": 6.5, "engagement": 9}'),
                          script="We look up.", prefs=prefs)
    assert low["reasons"] == ["Brand compliance 6.5 is below the minimum 7."]


def test_a_script_far_above_the_audience_reading_level_is_a_review_reason(prefs):
    prefs["audienceProfile"]["values"]["readingLevel"] = 1
    dense = ("Notwithstanding considerable methodological heterogeneity, contemporary atmospheric "
             "investigations demonstrate wavelength-dependent Rayleigh scattering characteristics. ") * 3

    verdict = quality_verdict(scores=parse_scores('{"scriptQuality": 9, "brandCompliance": 9, "engagement": 9}'),
                              script=dense, prefs=prefs)

    assert verdict["reading_level"]["within_range"] is False
    assert "above the audience's grade 1" in verdict["reasons"][0]
