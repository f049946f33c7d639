"""The messages each stage sends, built from the brief, earlier outputs and the frozen preferences.

Pure: no database, no network. Everything comes in through the effective-preferences document frozen on
the run (see `effective.py`), so the same run always builds the same messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import integrations
from .document import run_preferences
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


def audience_summary(profile: Any, name: str) -> str:
    education = profile.education_level or "general"
    return f"{name} (ages {profile.min_age}–{profile.max_age}, {education} education)"


def audience_guidance(profile: Any) -> str:
    """Every audience parameter that shapes writing, in plain words."""
    p = profile
    lines = [
        f"Audience: ages {p.min_age} to {p.max_age}; education: {p.education_level or 'general'}"
        + (f" ({p.education_level_description})" if p.education_level_description else "") + ".",
        f"Vocabulary level {p.vocabulary_level}/10; sentence structure: {p.sentence_structure_preference}; "
        f"reading level: grade {p.reading_level}.",
        f"Formality {p.formality_level}/10. Emotional tone: {p.emotional_tone} "
        f"(intensity {p.emotional_intensity}/10).",
        f"Pacing: {p.pacing_preference}; attention span about {p.attention_span_seconds} seconds; "
        f"information density {p.information_density}/10.",
        f"Humor: {p.humor_style}; sarcasm {p.sarcasm_level}/10; joke types: {_listed(p.joke_types)}; "
        f"cultural humor: {_listed(p.cultural_humor_preferences)}.",
        f"Technical depth {p.technical_depth_tolerance}/10; jargon {p.jargon_acceptability}/10; "
        f"familiar terms: {_listed(p.familiar_technical_terms)}.",
        f"Call to action: {p.cta_style} (aggressiveness {p.cta_aggressiveness}/10).",
        f"Content limits (0-10): violence {p.violence_threshold}, profanity {p.profanity_threshold}, "
        f"sexual content {p.sexual_content_threshold}, controversial topics {p.controversial_topics_threshold}.",
        f"Cultural sensitivities: {_listed(p.cultural_sensitivities)}.",
        f"Topics to avoid: {_listed(p.topics_to_avoid)}. Topics to emphasize: {_listed(p.topics_to_emphasize)}.",
    ]
    if p.brand_voice_guidelines or p.brand_tone_keywords or p.brand_personality:
        lines.append(f"Brand voice: {p.brand_voice_guidelines or '-'}; tone keywords: "
                     f"{_listed(p.brand_tone_keywords or [])}; personality: {p.brand_personality or '-'}.")
    return "\n".join(lines)


def visual_guidance(style: Any) -> str:
    return (f"Visual style: aesthetic {style.aesthetic or 'clean'}; composition "
            f"{style.composition or 'balanced'}; lighting {style.lighting or 'natural'}; palette "
            f"{_listed(style.color_palette or [])}; reference keywords "
            f"{_listed(style.reference_keywords or [])}.")


def policy_guidance(policy: Any) -> str:
    if not policy.filtering_enabled or policy.allow_override_all:
        return ""
    avoid = (policy.banned_topics or []) + (policy.blocked_concepts or [])
    if not avoid:
        return "Content policy: no profanity."
    return f"Content policy: never mention {_listed(avoid)}; no profanity."


def template_variables(*, brief: str, prefs: Any) -> dict[str, str]:
    """The documented {{variables}}: topic, audience, duration, goal, tone, style."""
    prefs = run_preferences(prefs)
    profile = prefs.audience_profile.values
    style = prefs.visual_style.values
    return {
        "topic": brief.strip(),
        "audience": audience_summary(profile, prefs.audience_profile.name),
        "duration": f"{profile.attention_span_seconds} seconds",
        "goal": f"inform, then a {profile.cta_style.lower()} call to action",
        "tone": f"{profile.emotional_tone.lower()}, formality {profile.formality_level}/10, "
                f"{profile.humor_style.lower()} humor",
        "style": style.aesthetic or "clean and clear",
    }


def sampling_for(behavior: Any) -> dict[str, Any]:
    return {
        "temperature": behavior.temperature,
        "top_p": behavior.top_p,
        "max_tokens": behavior.max_tokens,
        "frequency_penalty": behavior.frequency_penalty,
        "presence_penalty": behavior.presence_penalty,
    }


def build_stage_prompt(*, stage: str, brief: str, earlier: dict[str, str], prefs: Any,
                       violations: list[str] | None = None) -> StagePrompt:
    """The messages and sampling settings of one stage (`prefs`: the run's frozen document, typed or stored)."""
    prefs = run_preferences(prefs)
    behavior = prefs.ai_behavior[stage].values
    template_entry = prefs.prompt_templates[stage]
    template_text = template_entry.values.template_text or DEFAULT_TEMPLATES[stage]
    variables = template_variables(brief=brief, prefs=prefs)
    system_parts = [STAGE_ROLES[stage], audience_guidance(prefs.audience_profile.values)]
    if stage == "visual":
        system_parts.append(visual_guidance(prefs.visual_style.values))
    policy = policy_guidance(prefs.filtering_policy.values)
    if policy:
        system_parts.append(policy)
    system_parts.append(f"Creativity vs consistency: {behavior.creativity_vs_consistency} "
                        "(0 = most consistent, 1 = most creative).")
    if behavior.system_prompt_addition:
        system_parts.append(behavior.system_prompt_addition)
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
        template_id=template_entry.id,
        variables=variables,
    )


def build_quality_prompt(*, script: str, brief: str, prefs: Any) -> StagePrompt:
    """The refinement model, asked to score the final script as JSON."""
    prefs = run_preferences(prefs)
    profile = prefs.audience_profile.values
    system = (
        f"You are a strict reviewer of video scripts. Score the script from 0 to 10 on {labels_in_words()} "
        f"for its audience. Answer with one JSON object and nothing else: {answer_example()}"
    )
    brand = profile.brand_voice_guidelines or "none given"
    user = (f"Audience: {audience_summary(profile, prefs.audience_profile.name)}.\nBrand guidelines: {brand}.\n"
            f"Brief: {brief}\n\nScript:\n{script}")
    behavior = prefs.ai_behavior["refinement"].values
    sampling = {"temperature": 0.0, "top_p": 1.0, "max_tokens": min(500, behavior.max_tokens),
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
