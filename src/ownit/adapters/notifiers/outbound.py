"""The one guarded HTTP transport every web notifier sends through (no SSRF).

At each new connection the host is resolved once, every address is judged by
:mod:`ownit.domain.outbound`, and the socket is opened to an address that passed — never to a
second lookup of the name (a DNS answer that changes between the check and the connect cannot
slip through). TLS still sends the original host name (SNI) and checks its certificate, and
the ``Host`` header is the URL's. Redirects are never followed (see ``make_http_client``);
proxies from the environment are not used, since a proxy would connect wherever it is told.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable

import httpcore
import httpx

from ownit.domain.outbound import AllowList, IPAddress, refusal

Resolver = Callable[[str, int], list[IPAddress]]


class OutboundRefused(httpx.TransportError):
    """The URL's host resolves only to addresses outgoing calls may not reach."""


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (an address literal, in any form the system's
    resolver reads — ``2130706433``, ``0x7f.1`` — is resolved too)."""
    found: list[IPAddress] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend, connecting only to checked addresses."""

    def __init__(self, allow: AllowList, resolver: Resolver = resolve) -> None:
        self._allow = allow
        self._resolve = resolver

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = self._resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(str(exc)) from None
        refused: list[str] = []
        allowed: list[IPAddress] = []
        for address in addresses:
            why = refusal(host, address, self._allow)
            if why is None:
                allowed.append(address)
            else:
                refused.append(why)
        if not allowed:
            raise OutboundRefused(refused[0] if refused else f"{host} has no address")
        failure: Exception | None = None
        for address in allowed:
            try:
                return super().connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure


class GuardedTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` whose connections go through :class:`GuardedBackend`."""

    def __init__(self, allow: AllowList, *, resolver: Resolver = resolve) -> None:
        super().__init__(trust_env=False)
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow, resolver),
        )


def url_warning(url: str, allow: AllowList, resolver: Resolver = resolve) -> str | None:
    """What to tell someone saving ``url`` as a contact when every address its host resolves
    to now would be refused at send time, else ``None`` (also for a name that does not
    resolve: it is checked again at each send)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        return None
    if not parsed.host:
        return None
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        addresses = resolver(parsed.host, port)
    except (OSError, UnicodeError):
        return None
    refusals = [refusal(parsed.host, address, allow) for address in addresses]
    if not refusals or any(why is None for why in refusals):
        return None
    return f"deliveries to this URL will be {refusals[0]}"
