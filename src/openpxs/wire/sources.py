"""The client address a call comes from, which guessing limits are counted against.

Behind a reverse proxy every call arrives from the proxy, so the address must be read
from the header the proxy writes, and only when the call did come from a proxy the
settings trust (anyone can send the header). IPv6 clients are grouped by /64, the
block one household or server is usually given.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import lru_cache

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=4096)
def _address(text: str) -> Address | None:
    # Cached: a POS or a proxy calls from the same few addresses all day.
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def proxies_from(setting: str) -> tuple[Network, ...]:
    """Networks from a comma-separated setting ("10.0.0.0/8, 127.0.0.1")."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False)
        for part in setting.split(",")
        if part.strip()
    )


@dataclass(frozen=True)
class ClientAddresses:
    header: str = ""  # e.g. "x-forwarded-for"; empty: the peer is the client
    proxies: tuple[Network, ...] = field(default_factory=tuple)

    def _trusted(self, address: Address) -> bool:
        return any(address in network for network in self.proxies)

    def over_tls(self, request: Request) -> bool:
        """Whether the client reached us over TLS: directly, or through a trusted proxy
        that says so (X-Forwarded-Proto)."""
        if request.url.scheme == "https":
            return True
        peer = _address(request.client.host) if request.client else None
        if peer is None or not self._trusted(peer):
            return False
        proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        return proto == "https"

    def of(self, request: Request) -> str:
        peer = _address(request.client.host) if request.client else None
        client = peer
        if peer is not None and self.header and self._trusted(peer):
            # The nearest proxy appends last: walk back past the proxies we trust.
            for hop in reversed(request.headers.get(self.header, "").split(",")):
                found = _address(hop)
                if found is None:
                    break
                client = found
                if not self._trusted(found):
                    break
        # A peer that is no IP address (a Unix socket, a test client): one shared key,
        # so such calls are limited together rather than not at all.
        if client is None:
            return "unknown"
        if isinstance(client, ipaddress.IPv6Address):
            if client.ipv4_mapped is not None:
                return str(client.ipv4_mapped)
            return str(ipaddress.IPv6Network((client, 64), strict=False))
        return str(client)
