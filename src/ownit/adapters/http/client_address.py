"""Who is calling: the client's address, and the audit scope of each request.

Behind a reverse proxy every request comes from the proxy's address; the proxy says who its
client was in ``X-Forwarded-For``. That header is believed only when the request comes from
a trusted proxy (``OWNIT_TRUSTED_PROXIES``: addresses or CIDRs), and then only up to the
first address that is not itself a trusted proxy, read from the right: anything further
left was written by the client and proves nothing.

:class:`AuditScopeMiddleware` opens the audit scope of every request (``ownit.app.audit``)
with that address; the authentication dependencies name the actor.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from ownit.app import audit

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(raw: str) -> tuple[Network, ...]:
    """``10.0.0.0/8, 127.0.0.1`` → networks; raises ``ValueError`` naming the bad entry."""
    out: list[Network] = []
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            out.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{part!r} is not an IP address or CIDR") from None
    return tuple(out)


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def client_address(peer: str | None, forwarded_for: str | None, proxies: Sequence[Network]) -> str:
    """The client's address: the peer's, or when the peer is a trusted proxy the rightmost
    address in ``X-Forwarded-For`` that is not a trusted proxy."""
    address = peer or "unknown"
    if not forwarded_for or not _trusted(address, proxies):
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        if not hop:
            continue
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # a garbled header: keep the last address we can vouch for
        address = hop
        if not _trusted(hop, proxies):
            break
    return address


def _header(scope: Scope, name: bytes) -> str | None:
    found = [v for k, v in scope.get("headers", ()) if k == name]
    return b",".join(found).decode("latin-1") if found else None


class AuditScopeMiddleware:
    """Opens each HTTP request's audit scope with the client's address, and keeps the address
    in ``scope["state"]["client_address"]`` for the login throttle."""

    def __init__(self, app: ASGIApp, *, trusted_proxies: Sequence[Network] = ()) -> None:
        self.app = app
        self.trusted = tuple(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client: Any = scope.get("client")
        peer = str(client[0]) if client else None
        address = client_address(peer, _header(scope, b"x-forwarded-for"), self.trusted)
        scope.setdefault("state", {})["client_address"] = address
        with audit.begin(address=address):
            await self.app(scope, receive, send)
