"""factory_boy factories of model-selection rows."""

from __future__ import annotations

import factory
from django.utils import timezone

from models_selection.models import ModelSelection, ResolutionAudit


class SelectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelSelection

    scope = "Stage"
    stage = "script"
    project_id = ""
    provider = "OpenAI"
    model_id = "gpt-4o"
    is_pinned = False
    set_by_name = "owner"
    set_at = factory.LazyFunction(timezone.now)
    reason = "test"


class AuditFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResolutionAudit

    provider = "OpenAI"
    stage = "script"
    model_id = "gpt-4o"
    source = "GlobalDefault"
    reasoning = "Using global default: gpt-4o."
    timestamp = factory.LazyFunction(timezone.now)
