"""Read-only presets: the guide's example audience profiles and three filtering policies."""

import uuid

from django.db import migrations
from django.utils import timezone

PROFILES = [
    {
        "name": "High School Science", "min_age": 14, "max_age": 18, "vocabulary_level": 6,
        "technical_depth_tolerance": 6, "formality_level": 4, "pacing_preference": "Medium",
        "humor_style": "Light", "topics_to_emphasize": ["Science", "Learning", "Discovery"],
        "description": "Educational content for high-school students.", "tags": ["education"],
    },
    {
        "name": "Corporate Professional", "min_age": 25, "max_age": 55, "vocabulary_level": 8,
        "technical_depth_tolerance": 7, "formality_level": 7, "pacing_preference": "Medium",
        "humor_style": "Light", "cta_aggressiveness": 6,
        "brand_tone_keywords": ["Professional", "Reliable", "Expert"],
        "description": "Corporate training for working professionals.", "tags": ["corporate"],
    },
    {
        "name": "Gen Z Social", "min_age": 18, "max_age": 24, "vocabulary_level": 5,
        "technical_depth_tolerance": 6, "formality_level": 2, "pacing_preference": "VeryFast",
        "attention_span_seconds": 15, "humor_style": "Heavy", "sarcasm_level": 7, "emotional_tone": "Uplifting",
        "description": "Short-form social media content.", "tags": ["social"],
    },
]

POLICIES = [
    {
        "name": "Family-Friendly Strict", "profanity_filter": "Strict", "violence_threshold": 1,
        "sexual_content_threshold": 0, "banned_topics": ["alcohol", "gambling", "violence"],
        "political_content": "Off", "religious_content": "RespectfulOnly", "substance_references": "Block",
        "copyright_policy": "Strict", "blocked_concepts": ["weapons", "drugs"],
        "description": "Strict filtering for family-friendly content.",
    },
    {
        "name": "Professional", "profanity_filter": "Moderate", "violence_threshold": 3,
        "sexual_content_threshold": 1, "political_content": "NeutralOnly", "religious_content": "RespectfulOnly",
        "substance_references": "Moderate", "copyright_policy": "Strict",
        "description": "Business-appropriate content: no profanity, neutral on politics.",
    },
    {
        "name": "Unrestricted", "filtering_enabled": True, "allow_override_all": True, "profanity_filter": "Off",
        "violence_threshold": 10, "sexual_content_threshold": 10, "block_graphic_content": False,
        "block_explicit_content": False, "political_content": "AllowAll", "religious_content": "AllowAll",
        "substance_references": "Allow", "copyright_policy": "UserAssumesRisk",
        "description": "Bypasses every filter. Use only where you accept all content.",
    },
]


def add_presets(apps, schema_editor):
    now = timezone.now()
    for model_name, rows in (("CustomAudienceProfile", PROFILES), ("ContentFilteringPolicy", POLICIES)):
        model = apps.get_model("preferences", model_name)
        for row in rows:
            if not model.objects.filter(name=row["name"]).exists():
                model.objects.create(
                    id=uuid.uuid5(uuid.NAMESPACE_URL, f"aura-preset:{model_name}:{row['name']}"),
                    is_preset=True, created_at=now, updated_at=now, **row,
                )


def remove_presets(apps, schema_editor):
    for model_name in ("CustomAudienceProfile", "ContentFilteringPolicy"):
        apps.get_model("preferences", model_name).objects.filter(is_preset=True).delete()


class Migration(migrations.Migration):
    dependencies = [("preferences", "0001_initial")]
    operations = [migrations.RunPython(add_presets, remove_presets)]
