"""The map of the code (ARCHITECTURE.md) holds: the app edges and the absence of cycles, as written in
pyproject.toml's import-linter contracts (`make lint` runs them too), and no import tucked inside a function
to dodge a cycle.
"""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import grimp
import pytest
from importlinter.application.use_cases import read_user_options
from importlinter.configuration import configure
from importlinter.contracts.acyclic_siblings import AcyclicSiblingsContract
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.independence import IndependenceContract
from importlinter.contracts.protected import ProtectedContract

ROOT = Path(__file__).resolve().parents[2]
TYPES = {"independence": IndependenceContract, "protected": ProtectedContract, "forbidden": ForbiddenContract,
         "acyclic_siblings": AcyclicSiblingsContract}

# Imports allowed inside a function, each for a reason other than a cycle: Django's AppConfig.ready (models
# are not loaded when apps.py is), the command line's work loaded once Django is set up, and heavy vendor
# packages loaded on first use (a page or a test that never calls a vendor never pays for its SDK).
ALLOWED_INNER_IMPORTS = {
    ("aura_site/cli.py", "main", "models_selection.runs.cli"),
    ("costs/apps.py", "ready", "price_source"),
    ("models_selection/apps.py", "ready", "."),
    ("models_selection/runs/apps.py", "ready", "."),
    ("costs/pricing_seed.py", "default_prices", "genai_prices"),
    ("models_selection/providers/anthropic.py", "complete", "anthropic"),
    ("models_selection/providers/anthropic.py", "complete", "anthropic.types"),
    ("models_selection/providers/base.py", "chat", "anthropic"),
    ("models_selection/providers/base.py", "chat", "openai"),
    ("models_selection/providers/openai_sdk.py", "complete", "openai"),
    ("models_selection/providers/openai_sdk.py", "complete", "openai.types.chat"),
    ("models_selection/runs/review.py", "quality_verdict", "textstat"),
}


@pytest.fixture(scope="module")
def contracts():
    configure()
    options = read_user_options(config_filename=str(ROOT / "pyproject.toml"))
    session = options.session_options
    return session, [TYPES[c["type"]](c["name"], session, c) for c in options.contracts_options]


@pytest.fixture(scope="module")
def graph(contracts):
    session, _ = contracts
    return grimp.build_graph(*session["root_packages"], cache_dir=None)


def _broken(contracts, graph) -> list[str]:
    _, built = contracts
    return [contract.name for contract in built if not contract.check(copy.deepcopy(graph), verbose=False).kept]


def test_every_contract_is_kept(contracts, graph):
    assert _broken(contracts, graph) == []


@pytest.mark.parametrize(("importer", "imported", "contract"), [
    ("preferences.selectors", "costs.money", "never import each other"),
    ("costs.ledger", "models_selection.selectors", "never import each other"),
    ("models_selection.resolver", "preferences.kinds", "never import each other"),
    ("models_selection.selectors", "models_selection.runs.models", "Only the runs app itself"),
    ("aura_site.errors", "costs.money", "The shared base in aura_site imports no app"),
    ("costs.money", "costs.ledger", "No import cycles"),
    ("models_selection.runs.models", "models_selection.runs.execution", "No import cycles"),
])
def test_each_forbidden_edge_breaks_its_contract(contracts, graph, importer, imported, contract):
    """The contracts bite: one added import of each kind they forbid is reported."""
    changed = copy.deepcopy(graph)
    changed.add_import(importer=importer, imported=imported)
    assert any(contract in name for name in _broken(contracts, changed))


def _inner_imports() -> set[tuple[str, str, str]]:
    found = set()
    for path in sorted(ROOT.glob("*/**/*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] not in {"aura_site", "preferences", "models_selection", "costs"}:
            continue
        if "migrations" in relative.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom):
                        found.add((relative.as_posix(), node.name, inner.module or "."))
                    elif isinstance(inner, ast.Import):
                        found.update((relative.as_posix(), node.name, alias.name) for alias in inner.names)
    return found


def test_no_import_hides_in_a_function_but_the_listed_ones():
    assert _inner_imports() - ALLOWED_INNER_IMPORTS == set()


def test_the_list_of_allowed_imports_in_functions_is_current():
    assert ALLOWED_INNER_IMPORTS - _inner_imports() == set()
