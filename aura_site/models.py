"""API tokens: a bearer secret per REST client, stored only as its SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "aura_"
# Recording every use would write on every request; once a minute is enough to see a token is alive.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, editable=False, help_text="First characters, to recognise it.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user}{', ' + self.name if self.name else ''})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @classmethod
    def issue(cls, *, user, name: str = "", expires_in: timedelta | None = None) -> tuple[ApiToken, str]:
        """Create a token and return it with its raw secret, which is never stored."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        expires_at = timezone.now() + expires_in if expires_in else None
        token = cls.objects.create(user=user, name=name, prefix=raw[:12], digest=hash_token(raw),
                                   expires_at=expires_at)
        return token, raw

    @classmethod
    def find(cls, raw: str) -> ApiToken | None:
        """The unrevoked token of an active user with this raw secret (expired or not), or None."""
        return (
            cls.objects.select_related("user")
            .filter(digest=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
            .first()
        )

    @classmethod
    def authenticate(cls, raw: str):
        """The active user owning this raw token, or None (also when it has expired)."""
        token = cls.find(raw)
        return token.use() if token is not None and not token.is_expired else None

    def use(self):
        """Note that the token was used (at most once a minute) and return its user."""
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at > LAST_USED_RESOLUTION:
            type(self).objects.filter(pk=self.pk).update(last_used_at=now)
        self.user.api_token = self  # the ledger records which token posted an operation
        return self.user
