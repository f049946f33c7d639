"""One sweep over every kind of task row: nothing stays STARTED, Queued or Running after its worker died."""

from __future__ import annotations

from costs.export_lifecycle import exports_sweep
from models_selection.probes import probes_sweep
from models_selection.runs.lifecycle import runs_sweep


def sweep() -> dict:
    return {"exports": exports_sweep(), "probes": probes_sweep(), "runs": runs_sweep()}
