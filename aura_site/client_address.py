"""The address of the client behind a request, for sign-in lockout and the failed-token limit.

Without trusted proxies it is the connecting address (`REMOTE_ADDR`) and `X-Forwarded-For` is
ignored: anyone can send that header, and believing it would let one client pose as many (escaping
the limits) or as someone else (locking them out). Behind a proxy, every request connects from the
proxy, so the connecting address would put all users in one bucket. With `AURA_TRUSTED_PROXIES` set,
a request that connects from one of those addresses is read through `X-Forwarded-For`: walking the
header from its right end (the hop our proxy appended), trusted proxies are skipped and the first
other address is the client. Values further left were written by the client and are never used.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@functools.cache
def trusted_proxy_networks(values: tuple[str, ...]) -> list[Network]:
    """Parse AURA_TRUSTED_PROXIES (addresses or networks); a bad entry fails loudly at start-up."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"AURA_TRUSTED_PROXIES: {value!r} is not an IP address or network") from None
    return networks


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, networks: list[Network]) -> bool:
    return any(address in network for network in networks)


def client_address(request: HttpRequest) -> str:
    """The client's address: `REMOTE_ADDR`, or read through `X-Forwarded-For` from a trusted proxy."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    networks = trusted_proxy_networks(tuple(settings.AURA_TRUSTED_PROXIES))
    connected = _address(remote)
    if not networks or connected is None or not _trusted(connected, networks):
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    client = connected
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # a malformed entry: nothing left of it can be told apart from the client's own
            break
        client = address
        if not _trusted(address, networks):
            break
    return str(client)
