"""The client address guessing limits are counted against (wire/sources.py)."""

from __future__ import annotations

from starlette.requests import Request

from openpxs.wire.sources import ClientAddresses, proxies_from


def request(peer: str | None, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": headers,
        "client": (peer, 1234) if peer is not None else None,
    }
    return Request(scope)


DIRECT = ClientAddresses()
PROXIED = ClientAddresses("x-forwarded-for", proxies_from("10.0.0.0/8, 192.0.2.1"))


def test_without_a_trusted_proxy_the_peer_is_the_client() -> None:
    assert DIRECT.of(request("203.0.113.5", "198.51.100.1")) == "203.0.113.5"
    assert DIRECT.of(request(None)) == "unknown"
    assert DIRECT.of(request("testclient")) == "unknown"


def test_a_trusted_proxy_names_the_client_and_only_it_may() -> None:
    assert PROXIED.of(request("10.0.0.7", "198.51.100.1")) == "198.51.100.1"
    # Past every trusted hop, from the nearest back.
    assert PROXIED.of(request("10.0.0.7", "198.51.100.1, 192.0.2.1, 10.9.9.9")) == ("198.51.100.1")
    # What the client wrote itself in front of the real hops is not believed.
    assert PROXIED.of(request("10.0.0.7", "1.2.3.4, 198.51.100.1")) == "198.51.100.1"
    # A peer that is no trusted proxy cannot choose its address.
    assert PROXIED.of(request("203.0.113.5", "198.51.100.1")) == "203.0.113.5"
    # A malformed hop stops the walk at the last good address.
    assert PROXIED.of(request("10.0.0.7", "nonsense")) == "10.0.0.7"
    assert PROXIED.of(request("10.0.0.7", "")) == "10.0.0.7"


def test_ipv6_clients_are_counted_by_their_64_block() -> None:
    assert DIRECT.of(request("2001:db8:1:2::5")) == "2001:db8:1:2::/64"
    assert DIRECT.of(request("2001:db8:1:2:ffff::9")) == "2001:db8:1:2::/64"
    assert DIRECT.of(request("::ffff:203.0.113.5")) == "203.0.113.5"
