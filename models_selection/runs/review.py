"""Reviewing a run's script: the judge's scores parsed, the verdict against the thresholds and reading level."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from .document import run_preferences
from .scoring import DIMENSIONS, QualityScores

READING_LEVEL_MARGIN = 4  # grades above the audience's reading level before it is a review reason


FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


def parse_scores(text: str) -> QualityScores | None:
    """The judge's JSON scores, validated; None when the answer is malformed."""
    try:
        return QualityScores.model_validate(json.loads(FENCE.sub("", text.strip())))
    except (ValueError, ValidationError):
        return None

def quality_verdict(*, scores: QualityScores | None, script: str, prefs: Any) -> dict[str, Any]:
    """Scores against the thresholds (weights and minimums) and the reading level against the profile."""
    import textstat

    prefs = run_preferences(prefs)
    thresholds = prefs.quality_thresholds.values
    target = prefs.audience_profile.values.reading_level
    grade = float(textstat.flesch_kincaid_grade(script)) if script.strip() else 0.0
    reading = {"grade": grade, "target": target, "within_range": grade <= target + READING_LEVEL_MARGIN}
    reasons = []
    if not reading["within_range"]:
        reasons.append(f"Reading level grade {grade:g} is above the audience's grade {target}.")
    if scores is None:
        reasons.append("Quality score unavailable: the refinement model's answer was malformed twice.")
        return {"status": "unavailable", "scores": None, "weighted_total": None, "reading_level": reading,
                "reasons": reasons}
    weights = {d.key: float(getattr(thresholds, d.out)) for d in DIMENSIONS}
    minimums = {d.key: float(getattr(thresholds, d.minimum_field)) for d in DIMENSIONS}
    total_weight = sum(weights.values()) or float(len(DIMENSIONS))
    values = {d.key: getattr(scores, d.key) for d in DIMENSIONS}
    weighted = sum(values[d.key] * (weights[d.key] or (0 if sum(weights.values()) else 1))
                   for d in DIMENSIONS) / total_weight
    required = sum(minimums[d.key] * (weights[d.key] or (0 if sum(weights.values()) else 1))
                   for d in DIMENSIONS) / total_weight
    for d in DIMENSIONS:
        if values[d.key] < minimums[d.key]:
            reasons.append(f"{d.label.capitalize()} {values[d.key]:g} is below the minimum "
                           f"{minimums[d.key]:g}.")
    if weighted < required:
        reasons.append(f"Weighted total {weighted:.2f} is below the weighted minimum {required:.2f}.")
    return {"status": "scored", "weighted_total": round(weighted, 3), "reading_level": reading, "reasons": reasons,
            "scores": {d.out: values[d.key] for d in DIMENSIONS}}
