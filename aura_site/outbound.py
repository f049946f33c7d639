"""The one rule for requests this server makes to URLs someone configured (providers, webhooks, runs).

A URL stored by an administrator must not turn the server into a tool against its own network, nor
hand a secret to a host it was not meant for. So every outgoing request made through `outbound_client`:

- follows no redirects (a 3xx is returned as it is, never followed with the credentials attached);
- connects only to public addresses, unless private ones are allowed for this call. The check runs
  where the socket is opened, on the address actually connected to, so a name that resolves to a
  public address when checked and to 10.0.0.1 a moment later (DNS rebinding) is still refused;
- ignores proxy variables from the environment (a proxy would connect on our behalf, unchecked).

Use `outbound_url_clean(url)` when a URL is saved (its form: http(s), a host, no credentials),
`outbound_check(url, allow_private=...)` to validate a URL up front (a clear message before any
secret is prepared), and `outbound_client(...)` for the request itself, or `outbound_sdk_client(...)`
as the `http_client` of a vendor SDK (they are built on httpx2): the same transport, the same check.
"""

from __future__ import annotations

import ipaddress
import socket
from types import ModuleType
from typing import Any

import httpcore
import httpcore2
import httpx
import httpx2
from django.conf import settings


class OutboundRefused(Exception):
    """The URL may not be called from this server; the message says why, in plain words."""


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public_address(address: Address) -> bool:
    """True for an address on the public internet; False for private, loopback, link-local, reserved…"""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def private_urls_allowed(*, local_provider: bool = False) -> bool:
    """May outgoing calls reach private addresses? Always for local providers (Ollama), else the setting."""
    return local_provider or bool(getattr(settings, "AURA_ALLOW_PRIVATE_PROVIDER_URLS", False))


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise OutboundRefused(f"the host {host!r} could not be resolved") from error
    return list(dict.fromkeys(info[4][0] for info in infos))


PROVIDER_SWITCH = "AURA_ALLOW_PRIVATE_PROVIDER_URLS"


def _allowed_addresses(host: str, port: int, *, allow_private: bool, switch: str = PROVIDER_SWITCH) -> list[str]:
    """The addresses of `host` this server may connect to; refuses if any of them is not public."""
    addresses = _resolve(host, port)
    if not addresses:
        raise OutboundRefused(f"the host {host!r} has no address")
    if not allow_private:
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            if not is_public_address(address):
                raise OutboundRefused(
                    f"the host {host!r} resolves to the private or reserved address {address}; "
                    f"set {switch}=true to allow private addresses"
                )
    return addresses


def outbound_url_clean(url: str) -> str:
    """The URL without surrounding spaces; OutboundRefused unless it is a plain http(s) URL with a host.

    A URL never carries credentials (`https://user:password@host`): URLs are shown to every reader
    and written to history, so a password in one would be readable by all of them. Keys go in the
    provider's write-only API key, secrets in the webhook's secret. No name is resolved here.
    """
    url = url.strip()
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as error:
        raise OutboundRefused("the URL is not valid") from error
    if parsed.scheme not in {"http", "https"}:
        raise OutboundRefused("only http:// and https:// URLs may be called")
    if not parsed.host:
        raise OutboundRefused("the URL has no host")
    if parsed.userinfo:
        raise OutboundRefused("the URL may not carry a user name or password; put the key in the API key")
    return url


def outbound_check(url: str, *, allow_private: bool, switch: str = PROVIDER_SWITCH) -> None:
    """Raise OutboundRefused unless `url` is an http(s) URL whose host this server may call."""
    parsed = httpx.URL(outbound_url_clean(url))
    _allowed_addresses(parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80),
                       allow_private=allow_private, switch=switch)


def _checked_backend(core: ModuleType, *, allow_private: bool) -> Any:
    """A network backend of `core` (httpcore, or httpcore2 under httpx2) that opens sockets only to
    addresses the rule allows, checked at connect time."""

    class CheckedBackend(core.SyncBackend):
        def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                        socket_options: Any = None) -> Any:
            addresses = _allowed_addresses(host, port, allow_private=allow_private)
            last_error: Exception | None = None
            for address in addresses:  # connect to the checked address itself, never re-resolve the name
                try:
                    return super().connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                               socket_options=socket_options)
                except (core.ConnectError, core.ConnectTimeout) as error:
                    last_error = error
            assert last_error is not None
            raise last_error

    return CheckedBackend()


def _checked_client(http: ModuleType, core: ModuleType, *, allow_private: bool, timeout: float) -> Any:
    transport = http.HTTPTransport(trust_env=False)
    # TLS still verifies the certificate of the host name in the URL (SNI comes from the URL).
    transport._pool = core.ConnectionPool(ssl_context=http.create_ssl_context(),
                                          network_backend=_checked_backend(core, allow_private=allow_private))
    return http.Client(timeout=timeout, follow_redirects=False, trust_env=False, transport=transport)


def outbound_client(*, allow_private: bool, timeout: float) -> httpx.Client:
    """An httpx client that follows no redirects and connects only where the rule allows."""
    return _checked_client(httpx, httpcore, allow_private=allow_private, timeout=timeout)


def outbound_sdk_client(*, allow_private: bool, timeout: float) -> httpx2.Client:
    """The same client in httpx2, the HTTP library the vendor SDKs (openai, anthropic) take as `http_client`."""
    return _checked_client(httpx2, httpcore2, allow_private=allow_private, timeout=timeout)
