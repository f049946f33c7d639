"""The pipeline's stages, in the order a run executes them: the one list every app, page and the CLI read."""

from __future__ import annotations

STAGE_LABELS = {
    "script": "Script Generation",
    "visual": "Visual Prompts",
    "narration": "Narration Optimization",
    "refinement": "Script Refinement",
}
STAGES = tuple(STAGE_LABELS)
