"""The preferences a run can choose explicitly, each once: its document name, its kind, its CLI flag.

Free of Django, so the `aura` command line can build its flags before Django is set up.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunChoice:
    """One preference a run can choose explicitly: its name in the frozen document, its kind, its flag."""

    name: str  # in the frozen document and the wire ("audienceProfile" → audienceProfileId)
    kind: str  # the preferences kind it names (preferences.kinds)
    flag: str  # `aura generate --<flag>`; the request field is the flag in snake case + _id (_ids per stage)
    per_stage: bool = False

    @property
    def field(self) -> str:
        return self.flag.replace("-", "_") + ("_ids" if self.per_stage else "_id")


RUN_CHOICES = (
    RunChoice("audienceProfile", "audienceProfiles", "audience-profile"),
    RunChoice("filteringPolicy", "filteringPolicies", "filtering-policy"),
    RunChoice("qualityThresholds", "qualityThresholds", "quality-thresholds"),
    RunChoice("visualStyle", "visualStyles", "visual-style"),
    RunChoice("aiBehavior", "aiBehaviorSettings", "ai-behavior", per_stage=True),
    RunChoice("promptTemplates", "promptTemplates", "prompt-template", per_stage=True),
)
