"""Provider connections: base URL, stored key and enabled flag; adding an OpenAI-compatible endpoint."""

from __future__ import annotations

from django.db import transaction

from aura_site.errors import ValidationFailed
from aura_site.outbound import OutboundRefused, outbound_url_clean

from . import providers
from .keys import env_value, key_decrypt, key_encrypt
from .models import Provider, ProviderKind
from .selectors import provider_state


@transaction.atomic
def provider_update(
    *,
    name: str,
    base_url: str | None = None,
    api_key: str | None = None,
    enabled: bool | None = None,
    kind: str | None = None,
) -> Provider:
    """Change a provider, or add an OpenAI-compatible endpoint. An empty api_key removes the stored key.

    A stored key belongs to the base URL it was saved with: changing the base URL removes the stored
    key unless the same call supplies one (the returned row then has `api_key_cleared` set).
    """
    if base_url is not None:
        base_url = provider_base_url_clean(base_url)
    row = Provider.objects.select_for_update().filter(name__iexact=name).first()
    if row is None:
        if not name.strip() or len(name) > 50:
            raise ValidationFailed.on("provider", "a provider name has 1 to 50 characters")
        if kind not in (None, ProviderKind.OPENAI_COMPATIBLE):
            raise ValidationFailed.on("kind", "new providers are OpenAI-compatible endpoints")
        if not base_url:
            raise ValidationFailed.on("baseUrl", "a new OpenAI-compatible provider needs a baseUrl")
        row = Provider(name=name.strip(), kind=ProviderKind.OPENAI_COMPATIBLE,
                       needs_api_key=providers.get(ProviderKind.OPENAI_COMPATIBLE).needs_key)
    elif kind is not None and kind != row.kind:
        raise ValidationFailed.on("kind", f"{row.name} is a {row.kind} provider; its kind cannot change")
    url_before = provider_state(row).base_url
    if base_url is not None:
        row.base_url = base_url
    url_after = provider_state(row).base_url
    row.api_key_cleared = False
    if api_key is not None:
        row.encrypted_api_key = key_encrypt(api_key) if api_key else ""
        row.api_key_base_url = url_after if api_key else ""
    elif url_after != url_before and row.encrypted_api_key:
        row.encrypted_api_key, row.api_key_base_url = "", ""
        row.api_key_cleared = True
    if enabled is not None:
        row.enabled = enabled
    row.save()
    return row


def provider_base_url_clean(base_url: str) -> str:
    """A base URL as stored: trimmed, http(s), with a host and no credentials ("" means the default)."""
    if not base_url.strip():
        return ""
    try:
        return outbound_url_clean(base_url)
    except OutboundRefused as error:
        raise ValidationFailed.on("baseUrl", str(error)) from None


def provider_base_url_changed(*, name: str, url_before: str) -> bool:
    """After an edit outside provider_update (admin): drop the stored key if the base URL moved.

    Returns whether a key was removed.
    """
    row = Provider.objects.filter(name__iexact=name).first()
    if row is None or not row.encrypted_api_key or provider_state(row).base_url == url_before:
        return False
    Provider.objects.filter(pk=row.pk).update(encrypted_api_key="", api_key_base_url="")
    return True


def provider_api_key(provider: Provider) -> str | None:
    """The plain key to call the provider's current base URL with, or None.

    Only a key that belongs to that URL is returned (see selectors.provider_state).
    """
    source = provider_state(provider).key_source
    if source == "stored":
        return key_decrypt(provider.encrypted_api_key)
    if source == "environment":
        return env_value(f"{provider.env_prefix}API_KEY") or None
    return None
