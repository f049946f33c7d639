"""The messages each stage sends, built from the brief, earlier outputs and the frozen preferences.

Pure: no database, no network. Everything comes in through the effective-preferences document frozen on
the run (see `effective.py`), so the same run always builds the same messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import integrations
from .scoring import answer_example, labels_in_words

STAGE_ROLES = {
    "script": "You write scripts for short explanatory videos.",
    "visual": "You write image-generation prompts for the scenes of a video.",
    "narration": "You turn video scripts into narration optimized for speech synthesis.",
    "refinement": "You refine video scripts: clearer, tighter, true to the brief and the audience.",
}
# How the answer must be shaped, whatever template is used (the run reads these shapes back).
STAGE_FORMATS = {
    "script": "Answer with the script only.",
    "visual": "Answer with one line per scene, each starting 'Scene N:' followed by the image prompt.",
    "narration": "Answer with the narration text only, in short spoken sentences.",
    "refinement": "Answer with the refined script only.",
}
# The system defaults, used when no prompt template applies to a stage.
DEFAULT_TEMPLATES = {
    "script": "Write a video script about {{topic}} for {{audience}}. Target duration: {{duration}}. "
              "Goal: {{goal}}. Tone: {{tone}}.",
    "visual": "Write one image prompt per scene of the script below, for {{audience}}. Visual style: {{style}}.",
    "narration": "Rewrite the script below as narration for {{audience}}, to be read aloud in about {{duration}}. "
                 "Tone: {{tone}}.",
    "refinement": "Refine the script below for {{audience}}: keep its facts, fit it to {{duration}}, make the "
                  "tone {{tone}} and the goal ({{goal}}) clear.",
}
EARLIER_OUTPUTS = {"script": (), "visual": ("script",), "narration": ("script",), "refinement": ("script", "narration")}


@dataclass(frozen=True)
class StagePrompt:
    stage: str
    messages: list[dict[str, str]]
    sampling: dict[str, Any]
    template_id: str | None
    variables: dict[str, str] = field(default_factory=dict)

    @property
    def system(self) -> str:
        return "\n\n".join(m["content"] for m in self.messages if m["role"] == "system")

    @property
    def user_messages(self) -> list[dict[str, str]]:
        return [m for m in self.messages if m["role"] != "system"]

    def as_record(self) -> dict[str, Any]:
        """What is stored with the stage (visible to admins; no key is ever part of a prompt)."""
        return {"messages": self.messages, "sampling": self.sampling, "templateId": self.template_id,
                "variables": self.variables}


def _listed(values: list[str]) -> str:
    return ", ".join(v for v in values if v) or "none"


def audience_summary(profile: dict[str, Any], name: str) -> str:
    education = profile.get("educationLevel") or "general"
    return f"{name} (ages {profile['minAge']}–{profile['maxAge']}, {education} education)"


def audience_guidance(profile: dict[str, Any]) -> str:
    """Every audience parameter that shapes writing, in plain words."""
    p = profile
    lines = [
        f"Audience: ages {p['minAge']} to {p['maxAge']}; education: {p.get('educationLevel') or 'general'}"
        + (f" ({p['educationLevelDescription']})" if p.get("educationLevelDescription") else "") + ".",
        f"Vocabulary level {p['vocabularyLevel']}/10; sentence structure: {p['sentenceStructurePreference']}; "
        f"reading level: grade {p['readingLevel']}.",
        f"Formality {p['formalityLevel']}/10. Emotional tone: {p['emotionalTone']} "
        f"(intensity {p['emotionalIntensity']}/10).",
        f"Pacing: {p['pacingPreference']}; attention span about {p['attentionSpanSeconds']} seconds; "
        f"information density {p['informationDensity']}/10.",
        f"Humor: {p['humorStyle']}; sarcasm {p['sarcasmLevel']}/10; joke types: {_listed(p['jokeTypes'])}; "
        f"cultural humor: {_listed(p['culturalHumorPreferences'])}.",
        f"Technical depth {p['technicalDepthTolerance']}/10; jargon {p['jargonAcceptability']}/10; "
        f"familiar terms: {_listed(p['familiarTechnicalTerms'])}.",
        f"Call to action: {p['ctaStyle']} (aggressiveness {p['ctaAggressiveness']}/10).",
        f"Content limits (0-10): violence {p['violenceThreshold']}, profanity {p['profanityThreshold']}, "
        f"sexual content {p['sexualContentThreshold']}, controversial topics {p['controversialTopicsThreshold']}.",
        f"Cultural sensitivities: {_listed(p['culturalSensitivities'])}.",
        f"Topics to avoid: {_listed(p['topicsToAvoid'])}. Topics to emphasize: {_listed(p['topicsToEmphasize'])}.",
    ]
    if p.get("brandVoiceGuidelines") or p.get("brandToneKeywords") or p.get("brandPersonality"):
        lines.append(f"Brand voice: {p.get('brandVoiceGuidelines') or '-'}; tone keywords: "
                     f"{_listed(p.get('brandToneKeywords') or [])}; personality: {p.get('brandPersonality') or '-'}.")
    return "\n".join(lines)


def visual_guidance(style: dict[str, Any]) -> str:
    return (f"Visual style: aesthetic {style.get('aesthetic') or 'clean'}; composition "
            f"{style.get('composition') or 'balanced'}; lighting {style.get('lighting') or 'natural'}; palette "
            f"{_listed(style.get('colorPalette') or [])}; reference keywords "
            f"{_listed(style.get('referenceKeywords') or [])}.")


def policy_guidance(policy: dict[str, Any]) -> str:
    if not policy.get("filteringEnabled", True) or policy.get("allowOverrideAll"):
        return ""
    avoid = (policy.get("bannedTopics") or []) + (policy.get("blockedConcepts") or [])
    if not avoid:
        return "Content policy: no profanity."
    return f"Content policy: never mention {_listed(avoid)}; no profanity."


def template_variables(*, brief: str, prefs: dict[str, Any]) -> dict[str, str]:
    """The documented {{variables}}: topic, audience, duration, goal, tone, style."""
    profile_entry = prefs["audienceProfile"]
    profile = profile_entry["values"]
    style = prefs["visualStyle"]["values"]
    return {
        "topic": brief.strip(),
        "audience": audience_summary(profile, profile_entry["name"]),
        "duration": f"{profile['attentionSpanSeconds']} seconds",
        "goal": f"inform, then a {profile['ctaStyle'].lower()} call to action",
        "tone": f"{profile['emotionalTone'].lower()}, formality {profile['formalityLevel']}/10, "
                f"{profile['humorStyle'].lower()} humor",
        "style": style.get("aesthetic") or "clean and clear",
    }


def sampling_for(behavior: dict[str, Any]) -> dict[str, Any]:
    return {
        "temperature": behavior["temperature"],
        "top_p": behavior["topP"],
        "max_tokens": behavior["maxTokens"],
        "frequency_penalty": behavior["frequencyPenalty"],
        "presence_penalty": behavior["presencePenalty"],
    }


def build_stage_prompt(*, stage: str, brief: str, earlier: dict[str, str], prefs: dict[str, Any],
                       violations: list[str] | None = None) -> StagePrompt:
    """The messages and sampling settings of one stage."""
    behavior = prefs["aiBehavior"][stage]["values"]
    template_entry = prefs["promptTemplates"][stage]
    template_text = template_entry["values"].get("templateText") or DEFAULT_TEMPLATES[stage]
    variables = template_variables(brief=brief, prefs=prefs)
    system_parts = [STAGE_ROLES[stage], audience_guidance(prefs["audienceProfile"]["values"])]
    if stage == "visual":
        system_parts.append(visual_guidance(prefs["visualStyle"]["values"]))
    policy = policy_guidance(prefs["filteringPolicy"]["values"])
    if policy:
        system_parts.append(policy)
    system_parts.append(f"Creativity vs consistency: {behavior['creativityVsConsistency']} "
                        "(0 = most consistent, 1 = most creative).")
    if behavior.get("systemPromptAddition"):
        system_parts.append(behavior["systemPromptAddition"])
    system_parts.append(STAGE_FORMATS[stage])
    user = [integrations.template_fill(template_text=template_text, variables=variables), "", f"Brief: {brief}"]
    for name in EARLIER_OUTPUTS[stage]:
        if earlier.get(name):
            user += ["", f"{name.capitalize()}:", earlier[name]]
    if violations:
        user += ["", "Your previous answer broke the content policy (" + "; ".join(violations)
                 + "). Write it again without these."]
    return StagePrompt(
        stage=stage,
        messages=[{"role": "system", "content": "\n\n".join(system_parts)},
                  {"role": "user", "content": "\n".join(user)}],
        sampling=sampling_for(behavior),
        template_id=template_entry["id"],
        variables=variables,
    )


def build_quality_prompt(*, script: str, brief: str, prefs: dict[str, Any]) -> StagePrompt:
    """The refinement model, asked to score the final script as JSON."""
    profile_entry = prefs["audienceProfile"]
    profile = profile_entry["values"]
    system = (
        f"You are a strict reviewer of video scripts. Score the script from 0 to 10 on {labels_in_words()} "
        f"for its audience. Answer with one JSON object and nothing else: {answer_example()}"
    )
    brand = profile.get("brandVoiceGuidelines") or "none given"
    user = (f"Audience: {audience_summary(profile, profile_entry['name'])}.\nBrand guidelines: {brand}.\n"
            f"Brief: {brief}\n\nScript:\n{script}")
    behavior = prefs["aiBehavior"]["refinement"]["values"]
    sampling = {"temperature": 0.0, "top_p": 1.0, "max_tokens": min(500, behavior["maxTokens"]),
                "frequency_penalty": 0.0, "presence_penalty": 0.0}
    return StagePrompt("quality", [{"role": "system", "content": system}, {"role": "user", "content": user}],
                       sampling, None)


SCENE_LINE = re.compile(r"^\s*(?:scene\s*)?(\d+)\s*[:.)-]\s*(.+)$", re.IGNORECASE)


def visual_prompts(text: str) -> list[dict[str, Any]]:
    """'Scene N: prompt' lines → [{scene, prompt}]; other non-empty lines are numbered in order."""
    scenes = []
    for line in text.splitlines():
        if not line.strip():
            continue
        match = SCENE_LINE.match(line)
        prompt = match.group(2).strip() if match else line.strip()
        scenes.append({"scene": len(scenes) + 1, "prompt": prompt})
    return scenes
