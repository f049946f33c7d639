"""API tokens: issued by administrators (the secret is shown once), revoked by their owner."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .auth import require
from .errors import NotFound, ValidationFailed
from .models import ApiToken

MAX_ACTIVE_TOKENS = 50


@transaction.atomic
def token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token for the user, and its raw secret (never stored, so never shown again).

    Only users holding the "add API token" permission (administrators; neither Viewers nor Editors)
    get one: a token is a long-lived credential that works outside the browser session.
    """
    require(user, ApiToken, "add")
    name = name.strip()
    if not name:
        raise ValidationFailed.on("name", "give the token a name, to recognise it later")
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationFailed.on("name", f"you already have {MAX_ACTIVE_TOKENS} active tokens; revoke one first")
    return ApiToken.issue(user=user, name=name)


@transaction.atomic
def token_revoke(*, user, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (at once: the next request with it is refused)."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user).first()
    if token is None:
        raise NotFound(f"You have no token {token_id}.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def tokens_of(*, user) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at"))
