"""Encryption of provider API keys at rest (Fernet from `cryptography`)."""

from __future__ import annotations

import base64
import os
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

# A key handed to a task travels through the broker sealed; it is worthless after this many seconds.
SEALED_KEY_TTL_SECONDS = 600


@lru_cache(maxsize=4)
def _fernet_for(configured: str, secret_key: str) -> Fernet:
    if configured:
        return Fernet(configured.encode())
    # No key configured: derive one from SECRET_KEY, so a fresh install still never stores plain keys.
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"aura-provider-api-keys", info=b"fernet"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def fernet() -> Fernet:
    """The Fernet built from AURA_ENCRYPTION_KEY (or derived from SECRET_KEY)."""
    return _fernet_for(settings.AURA_ENCRYPTION_KEY, settings.SECRET_KEY)


def key_encrypt(plain: str) -> str:
    return fernet().encrypt(plain.encode()).decode()


def key_decrypt(token: str, *, ttl: int | None = None) -> str | None:
    """The plain key, or None when the token is empty, expired or was made with another key."""
    if not token:
        return None
    try:
        return fernet().decrypt(token.encode(), ttl=ttl).decode()
    except (InvalidToken, ValueError):
        return None


def env_value(name: str) -> str:
    """A setting if the settings module defines it, else the environment variable."""
    return str(getattr(settings, name, "") or os.environ.get(name, "") or "")
