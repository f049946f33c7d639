"""Page forms for the preference kinds: the model's own rules, grouped as the guide groups them."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.db import models

from .kinds import Kind


class LinesField(forms.CharField):
    """A list of strings edited as one entry per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def has_changed(self, initial, data) -> bool:
        return self.to_python(initial or []) != self.to_python(data)


@dataclass(frozen=True)
class Group:
    title: str
    fields: tuple[str, ...]
    basic: bool = False


GROUPS: dict[str, list[Group]] = {
    "audienceProfiles": [
        Group("Basics", ("name", "description", "min_age", "max_age", "education_level", "emotional_tone",
                         "pacing_preference", "formality_level"), basic=True),
        Group("Age and demographics", ("education_level_description",)),
        Group("Language complexity", ("vocabulary_level", "sentence_structure_preference", "reading_level")),
        Group("Content appropriateness", ("violence_threshold", "profanity_threshold", "sexual_content_threshold",
                                          "controversial_topics_threshold")),
        Group("Humor and tone", ("humor_style", "sarcasm_level", "joke_types", "cultural_humor_preferences")),
        Group("Formality and pacing", ("attention_span_seconds", "information_density")),
        Group("Technical depth", ("technical_depth_tolerance", "jargon_acceptability", "familiar_technical_terms")),
        Group("Emotional and motivational", ("emotional_intensity", "cta_aggressiveness", "cta_style")),
        Group("Brand voice", ("brand_voice_guidelines", "brand_tone_keywords", "brand_personality")),
        Group("Cultural and topical", ("cultural_sensitivities", "topics_to_avoid", "topics_to_emphasize")),
        Group("Organisation", ("tags", "is_favorite"), basic=True),
    ],
    "filteringPolicies": [
        Group("Global controls", ("name", "description", "filtering_enabled", "allow_override_all", "is_default"),
              basic=True),
        Group("Profanity", ("profanity_filter", "custom_banned_words", "custom_allowed_words"), basic=True),
        Group("Violence and sexual content", ("violence_threshold", "block_graphic_content",
                                              "sexual_content_threshold", "block_explicit_content")),
        Group("Controversial topics", ("banned_topics", "allowed_controversial_topics")),
        Group("Political and religious content", ("political_content", "political_content_guidelines",
                                                  "religious_content", "religious_content_guidelines")),
        Group("Substances, hate speech, copyright", ("substance_references", "block_hate_speech",
                                                     "hate_speech_exceptions", "copyright_policy")),
        Group("Allow and block lists", ("blocked_concepts", "allowed_concepts", "blocked_people", "allowed_people",
                                        "blocked_brands", "allowed_brands")),
        Group("Organisation", ("tags", "is_favorite"), basic=True),
    ],
}


def groups_for(kind: Kind) -> list[Group]:
    """The kind's field groups; kinds without a guide grouping get one group of every field."""
    if kind.key in GROUPS:
        return GROUPS[kind.key]
    return [Group("Settings", tuple(f.name for f in kind.input_fields), basic=True)]


def has_advanced_mode(kind: Kind) -> bool:
    return any(not g.basic for g in groups_for(kind))


def form_class_for(kind: Kind) -> type[forms.ModelForm]:
    """A ModelForm over the kind's editable fields: the model's validators are the form's rules."""

    def formfield(field: models.Field, **kwargs):
        if isinstance(field, models.JSONField):
            return LinesField(required=False, label=field.verbose_name.capitalize(),
                              help_text="One entry per line.")
        if isinstance(field, models.TextField):
            kwargs["widget"] = forms.Textarea(attrs={"rows": 3})
        return field.formfield(**kwargs)

    meta = type("Meta", (), {"model": kind.model, "fields": [f.name for f in kind.input_fields],
                             "formfield_callback": staticmethod(formfield)})
    return type(f"{kind.model.__name__}Form", (forms.ModelForm,), {"Meta": meta})
