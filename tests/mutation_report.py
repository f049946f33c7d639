"""`make mutate`'s targets and its report: one line per target from mutmut's results.

    python tests/mutation_report.py --patterns   # the mutant name patterns to give `mutmut run`
    python tests/mutation_report.py              # `<target>: <score>% (<killed>/<total>, <survived> survived)`

The score counts every mutant of the target except the equivalent ones listed in tests/MUTATION.md
(mutants that cannot change behaviour); a timeout counts as killed, a mutant no test reaches as survived.
"""

from __future__ import annotations

import fnmatch
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The rules that guard money, by module: budgets, holds, alerts, prices, and the ledger write ("*": all of it).
BUDGET_FUNCTIONS = {
    "costs/budgets.py": ("*",),
    "costs/ledger.py": ("*",),
    "costs/ledger_keys.py": ("_payload_differences", "refuse_reused_keys"),
    "costs/holds.py": ("hold_place", "_hold_amount", "hold_release", "hold_for_run", "hold_release_if_any"),
    "costs/alerts.py": ("alert_candidates", "overrun_alert", "raise_alerts", "alerts_email", "alert_acknowledge"),
    "costs/pricing.py": ("charge", "price_for"),
    "costs/estimates.py": ("estimate_items",),
    "costs/money.py": ("amount_check",),
}


def _patterns(path: str, names: tuple[str, ...]) -> list[str]:
    module = path.removesuffix(".py").replace("/", ".")
    return [f"{module}.*" if name == "*" else f"{module}.x_{name}__mutmut_*" for name in names]


TARGETS = {
    "models_selection/resolver.py": ("models_selection/resolver.py", ["models_selection.resolver.*"]),
    **{f"{path} budget rules": (path, _patterns(path, names)) for path, names in BUDGET_FUNCTIONS.items()},
    # What a run's call reserves and costs, and when its usage is counted or refused.
    "models_selection/runs/metering.py": ("models_selection/runs/metering.py", ["models_selection.runs.metering.*"]),
}
KILLED = {1, 3, 24, -24, 152, 255, 36}  # failed tests, or a timeout (SIGXCPU or mutmut's own)
MUTANT_NAME = re.compile(r"`([\w.ǁ]+__mutmut_\d+)`")


def equivalent_mutants() -> set[str]:
    text = (ROOT / "tests" / "MUTATION.md").read_text(encoding="utf-8")
    return set(MUTANT_NAME.findall(text))


def results(path: str) -> dict[str, int | None]:
    meta = ROOT / "mutants" / f"{path}.meta"
    return json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"] if meta.exists() else {}


def report() -> list[str]:
    equivalent = equivalent_mutants()
    lines = []
    for target, (path, patterns) in TARGETS.items():
        codes = {name: code for name, code in results(path).items()
                 if any(fnmatch.fnmatch(name, p) for p in patterns) and name not in equivalent}
        total = len(codes)
        killed = sum(1 for code in codes.values() if code in KILLED)
        unchecked = sum(1 for code in codes.values() if code is None)
        score = 100.0 * killed / total if total else 0.0
        line = f"{target}: {score:.1f}% ({killed}/{total}, {total - killed} survived)"
        if unchecked:
            line += f" [{unchecked} not run]"
        lines.append(line)
    return lines


def main(argv: list[str]) -> int:
    if "--patterns" in argv:
        print(" ".join(p for _, patterns in TARGETS.values() for p in patterns))
        return 0
    if "--survivors" in argv:
        equivalent = equivalent_mutants()
        for path, patterns in TARGETS.values():
            for name, code in sorted(results(path).items()):
                if any(fnmatch.fnmatch(name, p) for p in patterns) and code not in KILLED and name not in equivalent:
                    print(name, code)
        return 0
    for line in report():
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
