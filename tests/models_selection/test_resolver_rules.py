"""Resolution at its edges: two projects, a shared model id, pinned overrides kept across a retry, and the
exact reasoning a user reads (including what it must not say).

`world` (conftest): OpenAI and Anthropic have keys, Gemini has none; gpt-4o (aliases gpt-4o-latest, …),
gpt-4o-mini, gpt-4 (deprecated, served, replacement gpt-4.1), gpt-4.1 (last probe failed), claude-opus-4-5,
claude-haiku-4-5, claude-3-opus (retired, alias claude-3-opus-20240229), gemini-2.5-flash (no key).
"""

from __future__ import annotations

import pytest

from aura_site.errors import ValidationFailed
from models_selection import resolving
from models_selection.models import CatalogModel, SelectionSettings
from models_selection.resolver import Resolution, RunOverride
from models_selection.runs import decisions, planning
from models_selection.runs.models import Job

from .conftest import _model
from .factories import SelectionFactory

pytestmark = pytest.mark.django_db

CHEAPEST_FIRST = [("OpenAI", "gpt-4o-mini"), ("Anthropic", "claude-haiku-4-5"), ("OpenAI", "gpt-4o"),
                  ("Anthropic", "claude-opus-4-5")]
NOTHING_SET = "Skipped: no run override; no stage selection; no project override; no global default."
PROBE_FAILED = "the last probe failed: HTTP 404: model not found"
RETIRED = "retired by the vendor (replacement: claude-opus-4-5)"


def _resolve(stage: str = "script", overrides: dict | None = None, **kwargs) -> Resolution:
    return resolving.stage_resolve(stage=stage, overrides=overrides, **kwargs)


def _pairs(resolution: Resolution) -> list[tuple[str, str]]:
    return [(a.provider, a.model_id) for a in resolution.alternatives]


def _fallback(enabled: bool) -> None:
    SelectionSettings.objects.update_or_create(pk=1, defaults={"allow_automatic_fallback": enabled})


# ---- projects --------------------------------------------------------------------------------------


def test_each_project_gets_its_own_override_never_another_projects(world):
    SelectionFactory(scope="Global", stage="", provider="OpenAI", model_id="gpt-4o")
    SelectionFactory(scope="Project", project_id="p1", stage="script", provider="Anthropic",
                     model_id="claude-opus-4-5")
    SelectionFactory(scope="Project", project_id="p2", stage="script", provider="OpenAI", model_id="gpt-4o-mini")
    SelectionFactory(scope="Project", project_id="p2", stage="", provider="Anthropic", model_id="claude-haiku-4-5")
    p1 = _resolve(project_id="p1")
    p2 = _resolve(project_id="p2")
    assert (p1.source, p1.provider, p1.model_id) == ("ProjectOverride", "Anthropic", "claude-opus-4-5")
    assert p1.reasoning == ("Using project override for p1: claude-opus-4-5. Skipped: no run override; "
                            "no stage selection.")
    assert (p2.source, p2.provider, p2.model_id) == ("ProjectOverride", "OpenAI", "gpt-4o-mini")
    assert p2.reasoning.startswith("Using project override for p2: gpt-4o-mini.")
    # p2's every-stage override covers its other stages; p1 has none, so its other stages use the default.
    assert _resolve("visual", project_id="p2").model_id == "claude-haiku-4-5"
    assert (_resolve("visual", project_id="p1").source, _resolve("visual", project_id="p1").model_id) == (
        "GlobalDefault", "gpt-4o")
    nobody = _resolve()
    assert (nobody.source, nobody.model_id) == ("GlobalDefault", "gpt-4o")
    assert nobody.reasoning == ("Using global default: gpt-4o. Skipped: no run override; no stage selection; "
                                "no project override.")


def test_an_unavailable_project_override_is_skipped_with_its_reason(world):
    SelectionFactory(scope="Project", project_id="p1", stage="", provider="Gemini", model_id="gemini-2.5-flash")
    SelectionFactory(scope="Global", stage="", provider="Anthropic", model_id="claude-haiku-4-5")
    resolution = _resolve(project_id="p1")
    assert (resolution.source, resolution.model_id, resolution.is_pinned) == (
        "GlobalDefault", "claude-haiku-4-5", False)
    assert resolution.reasoning == (
        "Using global default: claude-haiku-4-5. Skipped: no run override; no stage selection; project override "
        "Gemini:gemini-2.5-flash unavailable (provider Gemini has no API key (set it in admin, the API or "
        "AURA_GEMINI_API_KEY)).")


# ---- run overrides: bare ids, shared ids, aliases, bad input ---------------------------------------------


def test_a_model_id_served_by_two_providers_must_name_its_provider(world):
    _model("Anthropic", "shared-1", "0.001", "0.001")
    _model("OpenAI", "shared-1", "0.002", "0.002")
    with pytest.raises(ValidationFailed) as caught:
        _resolve(overrides={"script": RunOverride(None, "shared-1")})
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("modelOverrides.script.modelId", "'shared-1' is served by Anthropic and OpenAI; write provider:model")]
    named = _resolve(overrides={"script": RunOverride("openai", "shared-1")})
    assert (named.source, named.provider, named.model_id) == ("RunOverride", "OpenAI", "shared-1")


def test_a_bare_model_id_of_one_provider_finds_it_and_an_unknown_one_is_unavailable(world):
    SelectionFactory(scope="Global", stage="", provider="OpenAI", model_id="gpt-4o")
    found = _resolve(overrides={"script": RunOverride(None, "claude-haiku-4-5", pin=True)})
    assert (found.source, found.provider, found.model_id, found.is_pinned) == (
        "RunOverridePinned", "Anthropic", "claude-haiku-4-5", True)
    assert found.reasoning == "Using pinned run override: claude-haiku-4-5."
    unknown = _resolve(overrides={"script": RunOverride(None, "gpt-9")})
    assert (unknown.source, unknown.model_id) == ("GlobalDefault", "gpt-4o")
    assert unknown.reasoning == ("Using global default: gpt-4o. Skipped: run override gpt-9 unavailable "
                                 "(not in the model catalog); no stage selection; no project override.")


def test_bad_overrides_are_refused_together_naming_each_field(world):
    with pytest.raises(ValidationFailed) as caught:
        _resolve(overrides={"intro": RunOverride("OpenAI", "gpt-4o"), "script": RunOverride("OpenAI", "  "),
                            "visual": RunOverride("Acme", "x")})
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("modelOverrides.intro", "unknown stage; use one of script, visual, narration, refinement"),
        ("modelOverrides.script.modelId", "must not be empty"),
        ("modelOverrides.visual.provider", "unknown provider 'Acme'")]
    assert caught.value.detail == (
        "Invalid model overrides: modelOverrides.intro: unknown stage; use one of script, visual, narration, "
        "refinement; modelOverrides.script.modelId: must not be empty; modelOverrides.visual.provider: unknown "
        "provider 'Acme'")


def test_every_bad_override_is_reported_whatever_comes_after_it(world):
    _model("Anthropic", "shared-1", "0.001", "0.001")
    _model("OpenAI", "shared-1", "0.002", "0.002")
    with pytest.raises(ValidationFailed) as caught:
        _resolve(overrides={"intro": RunOverride("OpenAI", "gpt-4o"), "script": RunOverride("Acme", "x"),
                            "visual": RunOverride(None, "shared-1"), "narration": RunOverride("OpenAI", ""),
                            "refinement": RunOverride("Nope", "x")})
    assert [e.field for e in caught.value.errors] == [
        "modelOverrides.intro", "modelOverrides.script.provider", "modelOverrides.visual.modelId",
        "modelOverrides.narration.modelId", "modelOverrides.refinement.provider"]


def test_an_alias_is_reported_as_the_model_it_names(world):
    alias = _resolve(overrides={"script": RunOverride("OpenAI", "gpt-4o-latest")})
    assert (alias.source, alias.provider, alias.model_id) == ("RunOverride", "OpenAI", "gpt-4o")
    assert alias.reasoning == "Using run override: gpt-4o (gpt-4o-latest is an alias of gpt-4o)."
    other_case = _resolve(overrides={"script": RunOverride("OpenAI", "GPT-4o")})
    assert (other_case.model_id, other_case.reasoning) == ("gpt-4o", "Using run override: gpt-4o.")


def test_a_pinned_override_of_a_lower_case_provider_blocks_under_the_providers_name(world):
    _fallback(True)
    blocked = _resolve(overrides={"script": RunOverride("openai", "gpt-4.1", pin=True)}, allow_auto_fallback=True)
    assert (blocked.source, blocked.provider, blocked.model_id, blocked.is_pinned, blocked.is_blocked) == (
        "RunOverridePinned", "OpenAI", "gpt-4.1", True, True)
    assert blocked.reasoning == (f"Blocked: pinned run override OpenAI:gpt-4.1 is unavailable ({PROBE_FAILED}); "
                                 "pinned selections never fall back.")
    # The provider's own models first, then the cheapest of the others.
    assert _pairs(blocked) == [("OpenAI", "gpt-4o-mini"), ("OpenAI", "gpt-4o"), ("Anthropic", "claude-haiku-4-5"),
                               ("Anthropic", "claude-opus-4-5")]


def test_a_pinned_alias_of_a_retired_model_blocks_naming_the_model(world):
    blocked = _resolve(overrides={"script": RunOverride("Anthropic", "claude-3-opus-20240229", pin=True)})
    assert (blocked.provider, blocked.model_id, blocked.is_blocked) == ("Anthropic", "claude-3-opus", True)
    assert blocked.reasoning == (f"Blocked: pinned run override Anthropic:claude-3-opus is unavailable ({RETIRED}); "
                                 "pinned selections never fall back.")
    assert _pairs(blocked)[:2] == [("Anthropic", "claude-haiku-4-5"), ("Anthropic", "claude-opus-4-5")]


def test_a_pinned_bare_id_the_catalog_does_not_know_blocks_without_a_provider(world):
    blocked = _resolve(overrides={"script": RunOverride(None, "gpt-9", pin=True)})
    assert (blocked.source, blocked.provider, blocked.model_id, blocked.is_blocked) == (
        "RunOverridePinned", "", "gpt-9", True)
    assert blocked.reasoning == ("Blocked: pinned run override gpt-9 is unavailable (not in the model catalog); "
                                 "pinned selections never fall back.")
    assert _pairs(blocked) == CHEAPEST_FIRST


def test_a_pinned_deprecated_stage_selection_is_used_with_its_warning(world):
    SelectionFactory(scope="Stage", stage="script", provider="OpenAI", model_id="gpt-4", is_pinned=True)
    used = _resolve()
    assert (used.source, used.model_id, used.is_pinned) == ("StagePinned", "gpt-4", True)
    assert used.reasoning == ("Using stage-pinned model: gpt-4. Warning: gpt-4 is deprecated; the vendor "
                              "recommends gpt-4.1. Skipped: no run override.")


def test_every_level_names_an_alias_and_warns_of_deprecation(world):
    pinned = _resolve(overrides={"script": RunOverride("OpenAI", "gpt-4o-latest", pin=True)})
    assert (pinned.model_id, pinned.reasoning) == (
        "gpt-4o", "Using pinned run override: gpt-4o (gpt-4o-latest is an alias of gpt-4o).")
    warning = "Warning: gpt-4 is deprecated; the vendor recommends gpt-4.1."
    SelectionFactory(scope="Project", project_id="p1", stage="", provider="OpenAI", model_id="gpt-4")
    assert _resolve(project_id="p1").reasoning == (
        f"Using project override for p1: gpt-4. {warning} Skipped: no run override; no stage selection.")
    SelectionFactory(scope="Global", stage="", provider="OpenAI", model_id="gpt-4")
    assert _resolve().reasoning == (
        f"Using global default: gpt-4. {warning} Skipped: no run override; no stage selection; no project override.")


def test_an_unpinned_unavailable_override_is_skipped_for_the_stage_selection(world):
    SelectionFactory(scope="Stage", stage="script", provider="Anthropic", model_id="claude-opus-4-5")
    resolution = _resolve(overrides={"script": RunOverride("OpenAI", "gpt-4.1")})
    assert (resolution.source, resolution.model_id, resolution.is_pinned, resolution.is_blocked) == (
        "Stage", "claude-opus-4-5", False, False)
    assert resolution.reasoning == (f"Using stage selection: claude-opus-4-5. Skipped: run override "
                                    f"OpenAI:gpt-4.1 unavailable ({PROBE_FAILED}).")
    assert resolution.alternatives == []


# ---- stage selections, pinned and not ----------------------------------------------------------------------


def test_a_pinned_stage_selection_is_used_or_blocks(world):
    SelectionFactory(scope="Stage", stage="script", provider="OpenAI", model_id="gpt-4o", is_pinned=True)
    SelectionFactory(scope="Stage", stage="visual", provider="Anthropic", model_id="claude-3-opus", is_pinned=True)
    SelectionFactory(scope="Global", stage="", provider="OpenAI", model_id="gpt-4o-mini")
    used = _resolve()
    assert (used.source, used.model_id, used.is_pinned, used.is_blocked) == ("StagePinned", "gpt-4o", True, False)
    assert used.reasoning == "Using stage-pinned model: gpt-4o. Skipped: no run override."
    blocked = _resolve("visual")
    assert (blocked.source, blocked.provider, blocked.model_id, blocked.is_pinned, blocked.is_blocked) == (
        "StagePinned", "Anthropic", "claude-3-opus", True, True)
    assert blocked.reasoning == (f"Blocked: stage-pinned model Anthropic:claude-3-opus is unavailable ({RETIRED}); "
                                 "pinned selections never fall back. Skipped: no run override.")
    assert _pairs(blocked) == [("Anthropic", "claude-haiku-4-5"), ("Anthropic", "claude-opus-4-5"),
                               ("OpenAI", "gpt-4o-mini"), ("OpenAI", "gpt-4o")]


def test_alternatives_are_at_most_five(world):
    for i in range(4):
        _model("Anthropic", f"claude-extra-{i}", "0.5", "0.5")
    blocked = _resolve(overrides={"script": RunOverride("Anthropic", "claude-3-opus", pin=True)})
    assert len(blocked.alternatives) == 5
    assert _pairs(blocked)[:3] == [("Anthropic", "claude-haiku-4-5"), ("Anthropic", "claude-opus-4-5"),
                                   ("Anthropic", "claude-extra-0")]


# ---- deprecation: said when true, never said otherwise ----------------------------------------------------


def test_deprecation_is_warned_about_only_for_deprecated_models(world):
    _model("OpenAI", "gpt-old", "0.001", "0.001", is_deprecated=True)
    SelectionFactory(scope="Stage", stage="script", provider="OpenAI", model_id="gpt-4")
    SelectionFactory(scope="Stage", stage="visual", provider="OpenAI", model_id="gpt-old")
    SelectionFactory(scope="Stage", stage="narration", provider="OpenAI", model_id="gpt-4o")
    assert _resolve().reasoning == ("Using stage selection: gpt-4. Warning: gpt-4 is deprecated; the vendor "
                                    "recommends gpt-4.1. Skipped: no run override.")
    assert _resolve("visual").reasoning == ("Using stage selection: gpt-old. Warning: gpt-old is deprecated. "
                                            "Skipped: no run override.")
    current = _resolve("narration")
    assert current.reasoning == "Using stage selection: gpt-4o. Skipped: no run override."
    assert "deprecated" not in current.reasoning and "Warning" not in current.reasoning
    unknown = _resolve("refinement", overrides={"refinement": RunOverride(None, "gpt-9")})
    assert "deprecated" not in unknown.reasoning


# ---- levels 5 and 6: the global default, automatic fallback and the final block ---------------------------


def test_nothing_selected_blocks_with_the_cheapest_alternatives(world):
    _fallback(False)
    blocked = _resolve()
    assert (blocked.source, blocked.provider, blocked.model_id, blocked.is_pinned, blocked.is_blocked) == (
        "AutomaticFallback", "", "", False, True)
    assert blocked.reasoning == f"Blocked: no model selected; set one or enable automatic fallback. {NOTHING_SET}"
    assert _pairs(blocked) == CHEAPEST_FIRST


def test_unavailable_selections_with_fallback_off_block_preferring_the_first_skipped_provider(world):
    SelectionFactory(scope="Stage", stage="script", provider="Anthropic", model_id="claude-3-opus")
    SelectionFactory(scope="Global", stage="", provider="OpenAI", model_id="gpt-4.1")
    blocked = _resolve()
    assert (blocked.is_blocked, blocked.is_pinned, blocked.provider) == (True, False, "")
    assert blocked.reasoning == (
        "Blocked: no selected model is available and automatic fallback is off; fix a selection or enable "
        f"automatic fallback. Skipped: no run override; stage selection Anthropic:claude-3-opus unavailable "
        f"({RETIRED}); no project override; global default OpenAI:gpt-4.1 unavailable ({PROBE_FAILED}).")
    assert _pairs(blocked) == [("Anthropic", "claude-haiku-4-5"), ("Anthropic", "claude-opus-4-5"),
                               ("OpenAI", "gpt-4o-mini"), ("OpenAI", "gpt-4o")]


@pytest.mark.parametrize(("run", "globally", "scope"), [
    (True, False, "for this run"), (False, True, "globally"), (True, True, "for this run")])
def test_automatic_fallback_says_where_it_was_enabled(world, run, globally, scope):
    _fallback(globally)
    resolution = _resolve(allow_auto_fallback=run)
    assert (resolution.source, resolution.provider, resolution.model_id) == (
        "AutomaticFallback", "OpenAI", "gpt-4o-mini")
    assert (resolution.is_pinned, resolution.is_blocked, resolution.alternatives) == (False, False, [])
    assert resolution.reasoning == (f"Using automatic fallback (enabled {scope}): gpt-4o-mini, the best available "
                                    f"non-deprecated model for script. {NOTHING_SET}")


def test_without_a_settings_row_fallback_is_off(world):
    assert _resolve().is_blocked is True


def test_automatic_fallback_prefers_the_provider_of_the_first_skipped_choice(world):
    SelectionFactory(scope="Stage", stage="script", provider="Anthropic", model_id="claude-3-opus")
    resolution = _resolve(allow_auto_fallback=True)
    assert (resolution.provider, resolution.model_id) == ("Anthropic", "claude-haiku-4-5")
    assert resolution.reasoning == (
        "Using automatic fallback (enabled for this run): claude-haiku-4-5, the best available non-deprecated "
        f"model for script. Skipped: no run override; stage selection Anthropic:claude-3-opus unavailable "
        f"({RETIRED}); no project override; no global default.")


def test_automatic_fallback_with_no_candidate_blocks(world):
    CatalogModel.objects.update(stages=["script"])
    blocked = _resolve("narration", allow_auto_fallback=True)
    assert (blocked.is_blocked, blocked.source, blocked.alternatives) == (True, "AutomaticFallback", [])
    assert blocked.reasoning == ("Blocked: automatic fallback found no available, non-deprecated model for "
                                 f"narration. {NOTHING_SET}")


def test_the_use_global_defaults_decision_sets_the_other_levels_aside(world):
    SelectionFactory(scope="Stage", stage="script", provider="OpenAI", model_id="gpt-4o", is_pinned=True)
    resolutions = resolving.stages_resolve(stages=["script"], global_defaults_only=frozenset({"script"}),
                                          overrides={"script": RunOverride("OpenAI", "gpt-4o-mini", pin=True)})
    aside = "Skipped: run override, stage and project levels set aside by the use-global-defaults decision"
    assert resolutions[0].reasoning == (
        f"Blocked: no model selected; set one or enable automatic fallback. {aside}; no global default.")
    SelectionFactory(scope="Global", stage="", provider="Anthropic", model_id="claude-opus-4-5")
    resolutions = resolving.stages_resolve(stages=["script"], global_defaults_only=frozenset({"script"}))
    assert (resolutions[0].source, resolutions[0].model_id) == ("GlobalDefault", "claude-opus-4-5")
    assert resolutions[0].reasoning == f"Using global default: claude-opus-4-5. {aside}."


# ---- a run's overrides survive storage: pinned stays pinned on retry --------------------------------------


def test_a_run_override_round_trips_with_its_pin():
    pinned = RunOverride("OpenAI", "gpt-4o", pin=True)
    assert pinned.as_dict() == {"provider": "OpenAI", "modelId": "gpt-4o", "pin": True}
    assert RunOverride.from_dict(pinned.as_dict()) == pinned
    assert RunOverride.from_dict({"modelId": "gpt-4o"}) == RunOverride(None, "gpt-4o", False)
    assert RunOverride.from_dict({"provider": "OpenAI", "modelId": "x", "pin": 1}).pin is True


def test_a_retried_job_keeps_its_pinned_override_and_is_never_substituted(world):
    SelectionFactory(scope="Global", stage="", provider="OpenAI", model_id="gpt-4o")
    overrides = {"script": RunOverride("OpenAI", "gpt-4.1", pin=True)}
    plan = planning.job_plan(brief="A short film about tides.", model_overrides=overrides, project_id=None,
                             allow_auto_fallback=False)
    job = Job.objects.get(pk=plan.job.id)
    assert job.status == "Blocked"
    assert job.model_overrides == {"script": {"provider": "OpenAI", "modelId": "gpt-4.1", "pin": True}}
    still = decisions.job_decide(job_id=job.id, decision="retry")
    assert still.blocked and still.resolutions[0].model_id == "gpt-4.1" and still.resolutions[0].is_blocked
    CatalogModel.objects.filter(model_id="gpt-4.1").update(last_probe_ok=True)
    fixed = decisions.job_decide(job_id=job.id, decision="retry")
    script = fixed.resolutions[0]
    assert not fixed.blocked
    assert (script.source, script.provider, script.model_id, script.is_pinned) == (
        "RunOverridePinned", "OpenAI", "gpt-4.1", True)
    assert Job.objects.get(pk=job.id).resolutions[0] == {
        "stage": "script", "provider": "OpenAI", "model_id": "gpt-4.1", "source": "RunOverridePinned",
        "reasoning": "Using pinned run override: gpt-4.1.", "is_pinned": True, "is_blocked": False,
        "alternatives": []}


def test_a_blocked_resolution_is_stored_with_its_alternatives(world):
    plan = planning.job_plan(brief="Tides.", model_overrides={"script": RunOverride("OpenAI", "gpt-4.1", pin=True)},
                             project_id=None, allow_auto_fallback=False)
    stored = Job.objects.get(pk=plan.job.id).resolutions[0]
    assert stored["alternatives"][:2] == [{"provider": "OpenAI", "model_id": "gpt-4o-mini"},
                                          {"provider": "OpenAI", "model_id": "gpt-4o"}]
    assert (stored["is_pinned"], stored["is_blocked"], stored["source"]) == (True, True, "RunOverridePinned")
