"""The quality score dimensions, each once: the judge's JSON key, the thresholds' minimum, the words, the wire name.

The judge's answer model, the prompt's JSON example, the verdict and the API's `scores` are built from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.alias_generators import to_snake


@dataclass(frozen=True)
class Dimension:
    key: str  # in the judge's JSON and as the quality thresholds' weight ("scriptQuality")
    minimum: str  # the quality thresholds' minimum ("minScriptQuality")
    label: str  # in words ("script quality")

    @property
    def out(self) -> str:
        """Its name in a run's `quality.scores` ("script_quality", camelCase on the wire)."""
        return to_snake(self.key)

    @property
    def minimum_field(self) -> str:
        """The quality thresholds' field of its minimum ("min_script_quality"); its weight's is `out`."""
        return to_snake(self.minimum)


DIMENSIONS = (
    Dimension("scriptQuality", "minScriptQuality", "script quality"),
    Dimension("brandCompliance", "minBrandCompliance", "brand compliance"),
    Dimension("engagement", "minEngagement", "engagement"),
)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    reasons: list[str] = []


# The judge's answer: one 0-10 score per dimension, and its reasons.
QualityScores = create_model(
    "QualityScores", __base__=_Answer, **{d.key: (float, Field(ge=0, le=10)) for d in DIMENSIONS}
)


def labels_in_words() -> str:
    """"script quality, brand compliance and engagement"."""
    words = [d.label for d in DIMENSIONS]
    return ", ".join(words[:-1]) + " and " + words[-1]


def answer_example() -> str:
    """The JSON the judge is asked to answer with."""
    scores = ", ".join(f'"{d.key}": <0-10>' for d in DIMENSIONS)
    return "{" + scores + ', "reasons": ["..."]}'
