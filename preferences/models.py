"""The six kinds of preference, the active selection per kind, and their validation rules."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .validators import MAX_BANNED_WORDS, StringList, between, no_nul, template_variables

STAGES = [
    ("script", "Script Generation"),
    ("visual", "Visual Prompts"),
    ("narration", "Narration Optimization"),
    ("refinement", "Script Refinement"),
]


def string_list(max_items: int | None = None) -> models.JSONField:
    validator = StringList(max_items=max_items) if max_items else StringList()
    return models.JSONField(default=list, blank=True, validators=[validator])


def scale(default: int, low: int = 0, high: int = 10) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(default=default, validators=between(low, high))


def text(max_length: int = 10_000) -> models.TextField:
    return models.TextField(blank=True, default="", max_length=max_length, validators=[no_nul])


def label(default: str = "") -> models.CharField:
    return models.CharField(max_length=200, blank=True, default=default, validators=[no_nul])


def choice(choices: type[models.TextChoices], default: str) -> models.CharField:
    return models.CharField(max_length=32, choices=choices.choices, default=default)


class Preference(models.Model):
    """What every kind has: a UUID, a unique name, a description and timestamps."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True, validators=[no_nul])
    description = text()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SentenceStructure(models.TextChoices):
    SIMPLE = "Simple"
    MIXED = "Mixed"
    COMPLEX = "Complex"


class HumorStyle(models.TextChoices):
    NONE = "None"
    LIGHT = "Light"
    MODERATE = "Moderate"
    HEAVY = "Heavy"


class Pacing(models.TextChoices):
    SLOW = "Slow"
    MEDIUM = "Medium"
    FAST = "Fast"
    VERY_FAST = "VeryFast"


class EmotionalTone(models.TextChoices):
    SERIOUS = "Serious"
    NEUTRAL = "Neutral"
    UPLIFTING = "Uplifting"
    DRAMATIC = "Dramatic"
    INSPIRATIONAL = "Inspirational"


class CtaStyle(models.TextChoices):
    DIRECT = "Direct"
    CONVERSATIONAL = "Conversational"
    SUGGESTIVE = "Suggestive"


class CustomAudienceProfile(Preference):
    # Age and demographics
    min_age = scale(18, 0, 120)
    max_age = scale(65, 0, 120)
    education_level = label()
    education_level_description = text()
    # Language complexity
    vocabulary_level = scale(5, 1, 10)
    sentence_structure_preference = choice(SentenceStructure, SentenceStructure.MIXED)
    reading_level = scale(8, 1, 20)
    # Content appropriateness
    violence_threshold = scale(3)
    profanity_threshold = scale(2)
    sexual_content_threshold = scale(1)
    controversial_topics_threshold = scale(3)
    # Humor and tone
    humor_style = choice(HumorStyle, HumorStyle.LIGHT)
    sarcasm_level = scale(2)
    joke_types = string_list()
    cultural_humor_preferences = string_list()
    # Formality and pacing
    formality_level = scale(5)
    attention_span_seconds = models.PositiveIntegerField(default=120, validators=between(1, 86_400))
    pacing_preference = choice(Pacing, Pacing.MEDIUM)
    information_density = scale(5, 1, 10)
    # Technical depth
    technical_depth_tolerance = scale(5)
    jargon_acceptability = scale(3)
    familiar_technical_terms = string_list()
    # Emotional and motivational
    emotional_tone = choice(EmotionalTone, EmotionalTone.NEUTRAL)
    emotional_intensity = scale(5)
    cta_aggressiveness = scale(3)
    cta_style = choice(CtaStyle, CtaStyle.CONVERSATIONAL)
    # Brand voice
    brand_voice_guidelines = text()
    brand_tone_keywords = string_list()
    brand_personality = text()
    # Cultural and topical
    cultural_sensitivities = string_list()
    topics_to_avoid = string_list()
    topics_to_emphasize = string_list()
    # Organisation
    tags = string_list()
    is_favorite = models.BooleanField(default=False)
    is_preset = models.BooleanField(default=False, editable=False)

    class Meta(Preference.Meta):
        verbose_name = "audience profile"

    def clean(self) -> None:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValidationError({"min_age": f"minAge ({self.min_age}) must be ≤ maxAge ({self.max_age})."})


class ProfanityFilter(models.TextChoices):
    OFF = "Off"
    MILD = "Mild"
    MODERATE = "Moderate"
    STRICT = "Strict"
    CUSTOM = "Custom"


class PoliticalContent(models.TextChoices):
    OFF = "Off"
    NEUTRAL_ONLY = "NeutralOnly"
    ALLOW_ALL = "AllowAll"
    CUSTOM = "Custom"


class ReligiousContent(models.TextChoices):
    OFF = "Off"
    RESPECTFUL_ONLY = "RespectfulOnly"
    ALLOW_ALL = "AllowAll"
    CUSTOM = "Custom"


class SubstanceReferences(models.TextChoices):
    BLOCK = "Block"
    MODERATE = "Moderate"
    ALLOW = "Allow"
    CUSTOM = "Custom"


class CopyrightPolicy(models.TextChoices):
    STRICT = "Strict"
    MODERATE = "Moderate"
    USER_ASSUMES_RISK = "UserAssumesRisk"


class ContentFilteringPolicy(Preference):
    filtering_enabled = models.BooleanField(default=True)
    allow_override_all = models.BooleanField(default=False)
    profanity_filter = choice(ProfanityFilter, ProfanityFilter.MODERATE)
    custom_banned_words = string_list(MAX_BANNED_WORDS)
    custom_allowed_words = string_list(MAX_BANNED_WORDS)
    violence_threshold = scale(3)
    block_graphic_content = models.BooleanField(default=True)
    sexual_content_threshold = scale(1)
    block_explicit_content = models.BooleanField(default=True)
    banned_topics = string_list()
    allowed_controversial_topics = string_list()
    political_content = choice(PoliticalContent, PoliticalContent.NEUTRAL_ONLY)
    political_content_guidelines = text()
    religious_content = choice(ReligiousContent, ReligiousContent.RESPECTFUL_ONLY)
    religious_content_guidelines = text()
    substance_references = choice(SubstanceReferences, SubstanceReferences.MODERATE)
    block_hate_speech = models.BooleanField(default=True)
    hate_speech_exceptions = string_list()
    copyright_policy = choice(CopyrightPolicy, CopyrightPolicy.STRICT)
    blocked_concepts = string_list()
    allowed_concepts = string_list()
    blocked_people = string_list()
    allowed_people = string_list()
    blocked_brands = string_list()
    allowed_brands = string_list()
    tags = string_list()
    is_favorite = models.BooleanField(default=False)
    is_default = models.BooleanField(default=False)
    is_preset = models.BooleanField(default=False, editable=False)

    class Meta(Preference.Meta):
        verbose_name = "content filtering policy"
        verbose_name_plural = "content filtering policies"


class AIBehaviorSettings(Preference):
    stage = models.CharField(max_length=16, choices=STAGES, default="script")
    temperature = models.FloatField(default=0.7, validators=between(0, 2))
    top_p = models.FloatField(default=1.0, validators=between(0, 1))
    max_tokens = models.PositiveIntegerField(default=2000, validators=between(1, 1_000_000))
    frequency_penalty = models.FloatField(default=0.0, validators=between(-2, 2))
    presence_penalty = models.FloatField(default=0.0, validators=between(-2, 2))
    system_prompt_addition = text()
    creativity_vs_consistency = models.FloatField(
        default=0.5, validators=between(0, 1), help_text="0 = most consistent, 1 = most creative."
    )
    tags = string_list()
    is_favorite = models.BooleanField(default=False)

    class Meta(Preference.Meta):
        verbose_name = "AI behavior settings"
        verbose_name_plural = "AI behavior settings"


class CustomPromptTemplate(Preference):
    stage = models.CharField(max_length=16, choices=STAGES, default="script")
    template_text = models.TextField(max_length=50_000, validators=[no_nul, template_variables])
    variant_group = label()
    success_count = models.PositiveIntegerField(default=0, editable=False)
    failure_count = models.PositiveIntegerField(default=0, editable=False)
    tags = string_list()
    is_favorite = models.BooleanField(default=False)

    class Meta(Preference.Meta):
        verbose_name = "prompt template"


WEIGHT_FIELDS = ("script_quality", "visual_quality", "audio_quality", "brand_compliance", "engagement")
WEIGHT_TOLERANCE = 0.001


def weight(default: float) -> models.FloatField:
    return models.FloatField(default=default, validators=between(0, 1))


def minimum_score(default: float = 7.0) -> models.FloatField:
    return models.FloatField(default=default, validators=between(0, 10))


class CustomQualityThresholds(Preference):
    min_script_quality = minimum_score()
    min_visual_quality = minimum_score()
    min_audio_quality = minimum_score()
    min_brand_compliance = minimum_score()
    min_engagement = minimum_score(6.0)
    script_quality = weight(0.3)
    visual_quality = weight(0.25)
    audio_quality = weight(0.2)
    brand_compliance = weight(0.15)
    engagement = weight(0.1)
    tags = string_list()
    is_favorite = models.BooleanField(default=False)

    class Meta(Preference.Meta):
        verbose_name = "quality thresholds"
        verbose_name_plural = "quality thresholds"

    def clean(self) -> None:
        weights = [getattr(self, f) for f in WEIGHT_FIELDS]
        if all(isinstance(w, int | float) for w in weights) and abs(sum(weights) - 1.0) > WEIGHT_TOLERANCE:
            raise ValidationError(
                {"script_quality": f"Scoring weights must sum to 1.0 (they sum to {sum(weights):.4f})."}
            )


class CustomVisualStyle(Preference):
    color_palette = string_list()
    aesthetic = label()
    composition = label()
    lighting = label()
    reference_keywords = string_list()
    tags = string_list()
    is_favorite = models.BooleanField(default=False)

    class Meta(Preference.Meta):
        verbose_name = "visual style"


class ActiveSelection(models.Model):
    """The one item of a kind that future video generations use."""

    kind = models.CharField(max_length=32, unique=True)
    object_id = models.UUIDField()
    selected_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.kind}: {self.object_id}"
