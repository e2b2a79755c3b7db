"""The one place that says which address a request came from, for the lockout and the audit log.

`client_address`: the connecting address, or — when that is one of `settings.TRUSTED_PROXIES` — the
right-most address of X-Forwarded-For that is not a trusted proxy (everything left of it was written by the
client and could be anything). Here, below every app, so the register's admin and the web audit the same
address without the register importing the web.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.cache
def _trusted(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    out = []
    for text in proxies:
        try:
            out.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"JINGZHUN_TRUSTED_PROXIES：{text!r} 不是地址或网段 / is not an address or CIDR network") from None
    return tuple(out)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: tuple[Network, ...]) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == n.version and address in n for n in networks)


def client_address(request: Any) -> str:
    """The client's address for the lockout and the audit log ("" without a request)."""
    if request is None:
        return ""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    networks = _trusted(tuple(settings.TRUSTED_PROXIES))
    peer = _address(remote)
    if peer is None or not networks or not _is_trusted(peer, networks):
        return remote
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        found = _address(hop)
        if found is None:  # written by the client (a trusted proxy writes addresses): stop at the last good hop
            break
        if not _is_trusted(found, networks):
            return str(found)
        peer = found
    return str(peer)  # every hop a trusted proxy: the left-most one we could read
