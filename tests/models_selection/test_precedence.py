"""The six-level precedence, table-driven: every level, pinned/unpinned, available/unavailable, fallback."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest

from models_selection import connections, resolving
from models_selection.models import ResolutionAudit, SelectionSettings
from models_selection.resolver import RunOverride

from .factories import SelectionFactory

pytestmark = pytest.mark.django_db

# In `world`: available, deprecated but served, retired, provider without key, failed probe, absent.
AVAILABLE = ("OpenAI", "gpt-4o")
AVAILABLE_2 = ("Anthropic", "claude-opus-4-5")
AVAILABLE_3 = ("OpenAI", "gpt-4o-mini")
DEPRECATED_SERVED = ("OpenAI", "gpt-4")
RETIRED = ("Anthropic", "claude-3-opus")
NO_KEY = ("Gemini", "gemini-2.5-flash")
PROBE_FAILED = ("OpenAI", "gpt-4.1")
MISSING = ("OpenAI", "gpt-9-does-not-exist")


@dataclass
class Case:
    name: str
    expected_source: str
    expected_model: tuple[str, str] | None  # None: blocked with no model
    blocked: bool = False
    run: tuple[tuple[str, str], bool] | None = None  # (model, pin)
    stage: tuple[tuple[str, str], bool] | None = None
    project: tuple[str, str] | None = None
    project_all_stages: tuple[str, str] | None = None
    global_default: tuple[str, str] | None = None
    fallback_global: bool = False
    fallback_run: bool = False
    reasoning_has: list[str] = field(default_factory=list)


CASES = [
    # Level 1: run override, pinned.
    Case(
        "pinned run override available wins over everything",
        "RunOverridePinned",
        AVAILABLE,
        run=(AVAILABLE, True),
        stage=(AVAILABLE_2, True),
        global_default=AVAILABLE_3,
    ),
    Case(
        "pinned run override to a missing model blocks even with fallback on",
        "RunOverridePinned",
        MISSING,
        blocked=True,
        run=(MISSING, True),
        stage=(AVAILABLE_2, False),
        project=AVAILABLE_3,
        global_default=AVAILABLE,
        fallback_global=True,
        fallback_run=True,
        reasoning_has=["not in the model catalog", "never fall back"],
    ),
    Case(
        "pinned run override to a retired model blocks and is not replaced by its successor",
        "RunOverridePinned",
        RETIRED,
        blocked=True,
        run=(RETIRED, True),
        fallback_global=True,
        reasoning_has=["retired by the vendor"],
    ),
    Case(
        "pinned run override whose provider has no key blocks",
        "RunOverridePinned",
        NO_KEY,
        blocked=True,
        run=(NO_KEY, True),
        global_default=AVAILABLE,
        reasoning_has=["has no API key"],
    ),
    Case(
        "pinned run override whose last probe failed blocks",
        "RunOverridePinned",
        PROBE_FAILED,
        blocked=True,
        run=(PROBE_FAILED, True),
        global_default=AVAILABLE,
        reasoning_has=["last probe failed"],
    ),
    # Level 2: run override, unpinned.
    Case(
        "unpinned run override available is used",
        "RunOverride",
        AVAILABLE_3,
        run=(AVAILABLE_3, False),
        stage=(AVAILABLE, True),
        global_default=AVAILABLE_2,
    ),
    Case(
        "unpinned run override unavailable falls to the stage selection",
        "Stage",
        AVAILABLE_2,
        run=(MISSING, False),
        stage=(AVAILABLE_2, False),
        reasoning_has=["run override OpenAI:gpt-9-does-not-exist unavailable"],
    ),
    Case(
        "unpinned run override unavailable falls to a pinned stage selection",
        "StagePinned",
        AVAILABLE_2,
        run=(RETIRED, False),
        stage=(AVAILABLE_2, True),
    ),
    Case(
        "unpinned run override available beats a pinned unavailable stage selection",
        "RunOverride",
        AVAILABLE,
        run=(AVAILABLE, False),
        stage=(MISSING, True),
    ),
    # Level 3: stage selection.
    Case(
        "pinned stage selection available is used",
        "StagePinned",
        AVAILABLE,
        stage=(AVAILABLE, True),
        project=AVAILABLE_2,
        global_default=AVAILABLE_3,
        reasoning_has=["no run override"],
    ),
    Case(
        "pinned stage selection unavailable blocks even with fallback on",
        "StagePinned",
        NO_KEY,
        blocked=True,
        stage=(NO_KEY, True),
        project=AVAILABLE_2,
        global_default=AVAILABLE_3,
        fallback_global=True,
        fallback_run=True,
    ),
    Case(
        "unpinned stage selection available is used",
        "Stage",
        AVAILABLE_2,
        stage=(AVAILABLE_2, False),
        project=AVAILABLE,
        global_default=AVAILABLE_3,
    ),
    Case(
        "unpinned stage selection unavailable falls to the project override",
        "ProjectOverride",
        AVAILABLE,
        stage=(NO_KEY, False),
        project=AVAILABLE,
        global_default=AVAILABLE_3,
        reasoning_has=["stage selection Gemini:gemini-2.5-flash unavailable"],
    ),
    # Level 4: project override.
    Case(
        "project override for the stage is used",
        "ProjectOverride",
        AVAILABLE_2,
        project=AVAILABLE_2,
        global_default=AVAILABLE,
        reasoning_has=["no stage selection"],
    ),
    Case(
        "project override for every stage is used",
        "ProjectOverride",
        AVAILABLE_3,
        project_all_stages=AVAILABLE_3,
        global_default=AVAILABLE,
    ),
    Case(
        "project override for the stage beats the project's every-stage override",
        "ProjectOverride",
        AVAILABLE_2,
        project=AVAILABLE_2,
        project_all_stages=AVAILABLE_3,
    ),
    Case(
        "project override unavailable falls to the global default",
        "GlobalDefault",
        AVAILABLE,
        project=RETIRED,
        global_default=AVAILABLE,
        reasoning_has=["project override Anthropic:claude-3-opus"],
    ),
    # Level 5: global default.
    Case(
        "global default is used when nothing else is set",
        "GlobalDefault",
        AVAILABLE_3,
        global_default=AVAILABLE_3,
        reasoning_has=["no run override", "no stage selection", "no project override"],
    ),
    Case(
        "global default unavailable with fallback off blocks",
        "AutomaticFallback",
        None,
        blocked=True,
        global_default=PROBE_FAILED,
        reasoning_has=["no selected model is available"],
    ),
    # Level 6: automatic fallback.
    Case(
        "nothing set and fallback off blocks with what to set",
        "AutomaticFallback",
        None,
        blocked=True,
        reasoning_has=["no model selected; set one or enable automatic fallback"],
    ),
    Case(
        "nothing set and fallback on globally picks the cheapest available model",
        "AutomaticFallback",
        AVAILABLE_3,
        fallback_global=True,
        reasoning_has=["enabled globally"],
    ),
    Case(
        "nothing set and fallback on for the run picks the cheapest available model",
        "AutomaticFallback",
        AVAILABLE_3,
        fallback_run=True,
        reasoning_has=["enabled for this run"],
    ),
    Case(
        "fallback prefers the provider of the skipped selection",
        "AutomaticFallback",
        ("Anthropic", "claude-haiku-4-5"),
        run=(RETIRED, False),
        fallback_run=True,
    ),
    Case(
        "fallback never picks a deprecated model",
        "AutomaticFallback",
        AVAILABLE_3,
        global_default=MISSING,
        fallback_global=True,
    ),
    # Aliases and deprecation.
    Case(
        "an alias resolves to its model",
        "RunOverridePinned",
        AVAILABLE,
        run=(("OpenAI", "gpt-4o-latest"), True),
        reasoning_has=["gpt-4o-latest is an alias of gpt-4o"],
    ),
    Case(
        "an alias of a retired model is still unavailable",
        "StagePinned",
        RETIRED,
        blocked=True,
        stage=(("Anthropic", "claude-3-opus-20240229"), True),
    ),
    Case(
        "a deprecated model that is still served stays itself with a warning",
        "Stage",
        DEPRECATED_SERVED,
        stage=(DEPRECATED_SERVED, False),
        global_default=AVAILABLE,
        reasoning_has=["gpt-4 is deprecated", "recommends gpt-4.1"],
    ),
]


def _arrange(case: Case) -> tuple[dict[str, RunOverride], str | None]:
    if case.stage:
        (provider, model), pin = case.stage
        SelectionFactory(scope="Stage", stage="script", provider=provider, model_id=model, is_pinned=pin)
    if case.project:
        SelectionFactory(
            scope="Project",
            stage="script",
            project_id="p1",
            provider=case.project[0],
            model_id=case.project[1],
        )
    if case.project_all_stages:
        SelectionFactory(
            scope="Project",
            stage="",
            project_id="p1",
            provider=case.project_all_stages[0],
            model_id=case.project_all_stages[1],
        )
    if case.global_default:
        SelectionFactory(
            scope="Global", stage="", provider=case.global_default[0], model_id=case.global_default[1]
        )
    SelectionSettings.objects.update_or_create(
        pk=1, defaults={"allow_automatic_fallback": case.fallback_global}
    )
    overrides = {}
    if case.run:
        (provider, model), pin = case.run
        overrides["script"] = RunOverride(provider, model, pin)
    return overrides, "p1"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_precedence(world, case):
    overrides, project = _arrange(case)

    resolution = resolving.stage_resolve(
        stage="script",
        overrides=overrides,
        project_id=project,
        allow_auto_fallback=case.fallback_run,
        correlation_id="corr-1",
    )

    assert resolution.source == case.expected_source, resolution.reasoning
    assert resolution.is_blocked == case.blocked, resolution.reasoning
    if case.expected_model is None:
        assert (resolution.provider, resolution.model_id) == ("", "")
    else:
        assert (resolution.provider, resolution.model_id) == case.expected_model, resolution.reasoning
    assert resolution.is_pinned == (case.expected_source in {"RunOverridePinned", "StagePinned"})
    for phrase in case.reasoning_has:
        assert phrase in resolution.reasoning
    if resolution.is_blocked:
        assert resolution.alternatives, "a blocked resolution offers alternatives"
        for alternative in resolution.alternatives:
            assert (alternative.provider, alternative.model_id) not in {
                RETIRED,
                NO_KEY,
                PROBE_FAILED,
                MISSING,
                DEPRECATED_SERVED,
            }
    entry = ResolutionAudit.objects.get()
    assert (entry.source, entry.is_blocked, entry.reasoning) == (
        resolution.source,
        case.blocked,
        resolution.reasoning,
    )


GRID = list(itertools.product(["run", "stage"], [True, False], [True, False], [True, False]))


@pytest.mark.parametrize(
    ("level", "pinned", "available", "fallback"),
    GRID,
    ids=[
        f"{lv}-{'pinned' if p else 'unpinned'}-{'available' if a else 'unavailable'}-"
        f"fallback-{'on' if f else 'off'}"
        for lv, p, a, f in GRID
    ],
)
def test_pinned_blocks_and_unpinned_falls_through_whatever_the_fallback_setting(
    world, level, pinned, available, fallback
):
    chosen = AVAILABLE_2 if available else MISSING
    overrides = {}
    if level == "run":
        overrides["script"] = RunOverride(chosen[0], chosen[1], pinned)
    else:
        SelectionFactory(
            scope="Stage", stage="script", provider=chosen[0], model_id=chosen[1], is_pinned=pinned
        )
    SelectionFactory(scope="Global", stage="", provider=AVAILABLE[0], model_id=AVAILABLE[1])
    SelectionSettings.objects.update_or_create(pk=1, defaults={"allow_automatic_fallback": fallback})

    resolution = resolving.stage_resolve(stage="script", overrides=overrides, allow_auto_fallback=fallback)

    if available:
        assert (resolution.provider, resolution.model_id) == chosen
        assert not resolution.is_blocked
    elif pinned:
        assert resolution.is_blocked
        assert (resolution.provider, resolution.model_id) == chosen  # never substituted
    else:
        assert not resolution.is_blocked
        assert (resolution.source, resolution.model_id) == ("GlobalDefault", AVAILABLE[1])


def test_blocked_alternatives_are_ranked_same_provider_first_then_by_price(world):
    resolution = resolving.stage_resolve(stage="script", overrides={"script": RunOverride(*RETIRED, True)})

    names = [(a.provider, a.model_id) for a in resolution.alternatives]
    assert names == [
        ("Anthropic", "claude-haiku-4-5"),
        ("Anthropic", "claude-opus-4-5"),
        ("OpenAI", "gpt-4o-mini"),
        ("OpenAI", "gpt-4o"),
    ]


def test_a_model_that_suits_other_stages_only_is_not_offered(world):
    from models_selection.models import CatalogModel

    CatalogModel.objects.filter(model_id="gpt-4o-mini").update(stages=["visual"])

    resolution = resolving.stage_resolve(stage="script", overrides={}, allow_auto_fallback=True)

    assert resolution.model_id == "claude-haiku-4-5"


def test_a_disabled_provider_makes_its_models_unavailable(world):
    connections.provider_update(name="Anthropic", enabled=False)

    resolution = resolving.stage_resolve(stage="script", overrides={"script": RunOverride(*AVAILABLE_2, True)})

    assert resolution.is_blocked
    assert "provider Anthropic is disabled" in resolution.reasoning


def test_a_bare_model_id_finds_its_provider_and_an_unknown_one_is_unavailable(world):
    found = resolving.stage_resolve(
        stage="script", overrides={"script": RunOverride(None, "gpt-4o-latest", True)}
    )
    missing = resolving.stage_resolve(stage="script", overrides={"script": RunOverride(None, "nope-1", True)})

    assert (found.provider, found.model_id, found.is_blocked) == ("OpenAI", "gpt-4o", False)
    assert (missing.model_id, missing.is_blocked) == ("nope-1", True)


def test_an_unknown_provider_in_an_override_is_a_validation_error(world):
    from aura_site.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as error:
        resolving.stage_resolve(stage="script", overrides={"script": RunOverride("Nobody", "x", False)})

    assert error.value.errors[0].field == "modelOverrides.script.provider"
    assert ResolutionAudit.objects.count() == 0
