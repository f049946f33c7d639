"""Using preferences: check text against a filtering policy, render a prompt template, count its trials."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from better_profanity import profanity
from django.db import transaction
from django.db.models import F

from aura_site.errors import FieldError, NotFound, ValidationFailed

from .kinds import KINDS_BY_KEY
from .models import ActiveSelection, ContentFilteringPolicy, CustomPromptTemplate, ProfanityFilter
from .validators import TEMPLATE_VARIABLE

# ---- filtering check ------------------------------------------------------------------------------


@dataclass
class Violation:
    rule: str
    term: str
    start: int
    end: int


@dataclass
class CheckResult:
    allowed: bool
    violations: list[Violation] = field(default_factory=list)
    message: str = ""
    policy_id: Any = None
    policy_name: str = ""


def _builtin_profanity() -> set[str]:
    if not profanity.CENSOR_WORDSET:
        profanity.load_censor_words()
    return {str(word).lower() for word in profanity.CENSOR_WORDSET if " " not in str(word)}


def _find(rule: str, terms: list[str], text: str, allowed: set[str]) -> list[Violation]:
    found = []
    for term in terms:
        term = term.strip()
        if not term or term.lower() in allowed:
            continue
        for match in re.finditer(rf"(?<!\w){re.escape(term)}(?!\w)", text, flags=re.IGNORECASE):
            found.append(Violation(rule, term, match.start(), match.end()))
    return found


def policy_check(*, policy: ContentFilteringPolicy, text: str) -> CheckResult:
    """Check text against a policy: banned words, topics, blocked concepts/people/brands; allow-lists win."""
    base = {"policy_id": policy.pk, "policy_name": policy.name}
    if not policy.filtering_enabled:
        return CheckResult(True, message="Filtering is disabled for this policy: everything is allowed.", **base)
    if policy.allow_override_all:
        return CheckResult(True, message="Unrestricted mode (allowOverrideAll): all filters are bypassed.", **base)

    def lowered(values: list[str]) -> set[str]:
        return {v.strip().lower() for v in values}

    allowed_words = lowered(policy.custom_allowed_words)
    words = list(policy.custom_banned_words)
    if policy.profanity_filter in {ProfanityFilter.MILD, ProfanityFilter.MODERATE, ProfanityFilter.STRICT}:
        words = words + sorted(_builtin_profanity() - lowered(words))
    checks = [
        ("bannedWord", words, allowed_words),
        ("bannedTopic", policy.banned_topics, lowered(policy.allowed_controversial_topics)),
        ("blockedConcept", policy.blocked_concepts, lowered(policy.allowed_concepts)),
        ("blockedPerson", policy.blocked_people, lowered(policy.allowed_people)),
        ("blockedBrand", policy.blocked_brands, lowered(policy.allowed_brands)),
    ]
    violations: list[Violation] = []
    for rule, terms, allowed in checks:
        violations += _find(rule, terms, text, allowed)
    violations.sort(key=lambda v: (v.start, v.end, v.rule))
    if violations:
        message = f"{len(violations)} violation(s) of policy {policy.name!r}."
    else:
        message = f"The text passes policy {policy.name!r}."
    return CheckResult(not violations, violations, message, **base)


def active_policy_check(*, text: str) -> CheckResult | None:
    """Check text against the active filtering policy; None when no policy is active."""
    kind = KINDS_BY_KEY["filteringPolicies"]
    selection = ActiveSelection.objects.filter(kind=kind.key).first()
    if selection is None:
        return None
    policy = ContentFilteringPolicy.objects.filter(pk=selection.object_id).first()
    return policy_check(policy=policy, text=text) if policy else None


# ---- prompt templates -----------------------------------------------------------------------------


def template_render(*, template: CustomPromptTemplate, variables: dict[str, Any]) -> str:
    """Fill the template's {{variables}}; a variable it uses but was not given is a 422."""
    used = list(dict.fromkeys(TEMPLATE_VARIABLE.findall(template.template_text)))
    missing = [name for name in used if name not in variables or variables[name] in (None, "")]
    if missing:
        raise ValidationFailed(
            f"Missing template variable(s): {', '.join(missing)}.",
            errors=[FieldError(f"variables.{name}", "is required by the template") for name in missing],
        )
    return TEMPLATE_VARIABLE.sub(lambda m: str(variables[m.group(1)]), template.template_text)


@transaction.atomic
def template_record_outcome(*, template_id, success: bool) -> CustomPromptTemplate:
    """Count one A/B trial of a template (atomic increment, safe under concurrency)."""
    kind = KINDS_BY_KEY["promptTemplates"]
    counter = "success_count" if success else "failure_count"
    updated = CustomPromptTemplate.objects.filter(pk=template_id).update(**{counter: F(counter) + 1})
    if not updated:
        raise NotFound(f"No {kind.label} with id {template_id}.")
    return CustomPromptTemplate.objects.get(pk=template_id)
