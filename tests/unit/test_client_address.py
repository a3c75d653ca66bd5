"""The client's address behind trusted proxies, and each request's audit scope."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ownit.adapters.http.client_address import (
    AuditScopeMiddleware,
    client_address,
    parse_networks,
)
from ownit.app import audit
from ownit.settings import Settings, SettingsError

PROXIES = parse_networks("10.0.0.0/8, 127.0.0.1, fd00::/8")


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.5", None, "203.0.113.5"),  # no proxy
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # an untrusted peer's header: ignored
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),  # a trusted proxy names its client
        ("10.0.0.2", "1.1.1.1, 198.51.100.1", "198.51.100.1"),  # left of the client: forged
        ("10.0.0.2", "198.51.100.1, 10.0.0.3", "198.51.100.1"),  # two proxies in a row
        ("10.0.0.2", "10.0.0.4, 10.0.0.3", "10.0.0.4"),  # only proxies: the furthest one
        ("10.0.0.2", "garbage, 198.51.100.1", "198.51.100.1"),
        ("10.0.0.2", "198.51.100.1, garbage", "10.0.0.2"),  # garbled at our end: the peer
        ("127.0.0.1", " 2001:db8::1 ", "2001:db8::1"),
        ("fd00::5", "2001:db8::2", "2001:db8::2"),
        (None, "198.51.100.1", "unknown"),
        ("testclient", "198.51.100.1", "testclient"),
        ("10.0.0.2", "", "10.0.0.2"),
    ],
)
def test_client_address(peer: str | None, forwarded: str | None, expected: str) -> None:
    assert client_address(peer, forwarded, PROXIES) == expected


def test_the_setting_names_a_bad_entry() -> None:
    assert Settings.from_env({"OWNIT_TRUSTED_PROXIES": "10.0.0.0/8, ::1"}).trusted_proxies == (
        "10.0.0.0/8",
        "::1/128",
    )
    assert Settings.from_env({}).trusted_proxies == ()
    with pytest.raises(SettingsError, match=r"OWNIT_TRUSTED_PROXIES: 'proxy\.local'"):
        Settings.from_env({"OWNIT_TRUSTED_PROXIES": "10.0.0.1, proxy.local"})


def test_each_request_gets_its_own_scope_with_the_client_address() -> None:
    seen: list[tuple[str | None, str | None, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        audit.acting_as("alice")
        found = audit.current()
        seen.append((found.actor, found.address, scope["state"]["client_address"]))

    middleware = AuditScopeMiddleware(app, trusted_proxies=PROXIES)

    def request(peer: str, forwarded: bytes) -> dict[str, Any]:
        return {
            "type": "http",
            "client": (peer, 1234),
            "headers": [(b"x-forwarded-for", forwarded)],
        }

    async def noop(*_: Any) -> Any:
        return None

    asyncio.run(middleware(request("10.1.2.3", b"198.51.100.7"), noop, noop))
    asyncio.run(middleware(request("203.0.113.9", b"198.51.100.7"), noop, noop))
    assert seen == [
        ("alice", "198.51.100.7", "198.51.100.7"),
        ("alice", "203.0.113.9", "203.0.113.9"),
    ]
    assert audit.current().actor is None  # nothing leaks out of a request
