"""Notifier adapters: one class per channel (``email``, ``slack``, ``webhook``, ``push``), each
filling :class:`ownit.app.notify.Notifier` with an injected httpx or SMTP client; ``registry``
finds them by channel name; ``signing`` holds the signatures they use.

This module holds what the channels share: the context their factories are built from, the
HTTP plumbing (default timeouts, a POST that never follows redirects and reads at most a few
bytes of the answer, the sentences that describe network failures) and header-safe ids.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import httpx

from ownit.adapters.notifiers.outbound import GuardedTransport, OutboundRefused
from ownit.app.notify import Delivery, one_line
from ownit.domain.outbound import AllowList
from ownit.domain.urls import url_problem

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0, pool=5.0)
"""Connect 5 s; read and write 10 s; waiting for a pooled connection 5 s."""
USER_AGENT = "ownit-notifier/1"
_HEADER_SAFE = re.compile(r"[\x21-\x7e]{1,200}")

SmtpSecurity = Literal["none", "starttls", "tls"]


class NotConfigured(Exception):
    """A channel cannot be built from this context (email without SMTP settings)."""


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """How to reach the mail relay (from settings)."""

    host: str
    port: int
    sender: str
    security: SmtpSecurity = "starttls"
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0
    connect_timeout: float = 5.0


@dataclass(frozen=True, slots=True)
class NotifierContext:
    """What a notifier factory may use: one shared HTTP client, the clock, the secret that
    signs action tokens (Slack buttons) and the SMTP settings."""

    http: httpx.Client
    now: Callable[[], datetime]
    action_secret: bytes | None = None
    smtp: SmtpConfig | None = None
    http_timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)


def make_http_client(allow: AllowList, *, timeout: httpx.Timeout = DEFAULT_TIMEOUT) -> httpx.Client:
    """The client the web notifiers expect: every connection through the guarded transport
    (addresses checked, ``allow`` the operator's exceptions), timeouts set, redirects never
    followed, no proxy from the environment."""
    return httpx.Client(
        transport=GuardedTransport(allow),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": USER_AGENT},
    )


def header_id(key: str, prefix: str = "msg_") -> str:
    """``key`` itself when it is a safe header value (visible ASCII, ≤ 200 chars), else a
    stable digest of it: the same key always gives the same id."""
    if _HEADER_SAFE.fullmatch(key):
        return key
    return prefix + hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Answer:
    """The part of an HTTP answer a notifier looks at."""

    status: int
    retry_after: str | None
    body: bytes


def check_url(url: str | None) -> str | None:
    """Why ``url`` cannot be posted to, or ``None`` when it is an http(s) URL with a host."""
    problem = url_problem(url)  # the rule the catalog and the Me page check too
    if problem is not None:
        return problem
    try:
        parsed = httpx.URL(url or "")
    except (httpx.InvalidURL, ValueError, TypeError):
        return "has an invalid URL"
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return "needs an http:// or https:// URL"
    return None


def shown_url(url: str, *, path: bool = True) -> str:
    """``url`` fit for the timeline: no user, password, query or fragment (they may hold
    secrets); with ``path=False`` only the origin, for URLs whose path is the secret."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        return "(invalid URL)"
    origin = f"{parsed.scheme}://{parsed.netloc.decode('ascii', 'replace')}"  # no userinfo
    if not path:
        return origin + ("/…" if parsed.path not in ("", "/") else "")
    return origin + parsed.path


_DRAIN_LIMIT = 64 * 1024


def post(
    client: httpx.Client,
    url: str,
    *,
    content: bytes,
    headers: Mapping[str, str],
    timeout: httpx.Timeout,
    keep: int = 0,
) -> Answer:
    """POST ``content``; keep at most ``keep`` bytes of the answer's body. Redirects are never
    followed. Raises :class:`httpx.HTTPError` for network problems (see :func:`network_failure`)."""
    with client.stream(
        "POST",
        url,
        content=content,
        headers=dict(headers),
        timeout=timeout,
        follow_redirects=False,
    ) as response:
        body = b""
        read = 0
        # Read the (small) answer to its end so the connection goes back to the pool and the
        # next message to this host reuses it; keep only ``keep`` bytes of it.
        for chunk in response.iter_bytes():
            if len(body) < keep:
                body += chunk
            read += len(chunk)
            if read > _DRAIN_LIMIT:
                break
        return Answer(response.status_code, response.headers.get("retry-after"), body[:keep])


def network_failure(what: str, exc: httpx.HTTPError) -> Delivery:
    """A :class:`Delivery` for a request to ``what`` that got no HTTP answer.

    An address outgoing calls may not reach is a permanent failure that says why. Every
    failure to connect (name unknown, connection refused, unreachable, no answer to the
    connect) reads the same, so the notifiers cannot be used to scan ports."""
    if isinstance(exc, OutboundRefused):
        return Delivery.rejected(f"{what} {exc}")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        reason = one_line(str(exc), 200) or type(exc).__name__
        return Delivery.rejected(f"{what} could not be sent: {reason}")
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return Delivery.temporary(f"{what} could not be reached")
    if isinstance(exc, httpx.TimeoutException):
        return Delivery.temporary(f"{what} did not answer in time")
    return Delivery.temporary(f"{what} failed ({type(exc).__name__})")


def read_note(body: bytes, limit: int = 100) -> str:
    """A short, printable excerpt of an answer's body for the timeline."""
    return one_line(body.decode("utf-8", "replace"), limit)
