"""Raw ASGI guards in front of the framework: a body size limit on every endpoint, and the
API token checked before an ``/api/v1`` body is read.

:class:`BodyLimit` answers ``413`` (a problem document) from the ``Content-Length`` alone when
it says too much, and otherwise stops at the first byte past the limit: whatever the
application would have answered is replaced by the ``413``. The event endpoints keep their
own, smaller cap (512 KB, ``events.MAX_BODY``).

:class:`ApiAuthGate` answers ``401`` to a request that would send a body to ``/api/v1``
without a valid API token, before the framework reads or parses it (bad JSON without a token
is a ``401``, not a ``422``). The heartbeat ping, which takes the heartbeat's own key, is
left to its endpoint.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ownit.adapters.http.problems import Problem, problem_response

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_OWN_KEY = re.compile(r"^/api/v1/heartbeats/[^/]+/ping/?$")
_UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


def _too_large(limit: int) -> Problem:
    return Problem(
        413,
        "Payload too large",
        f"the body is larger than {limit} bytes (OWNIT_MAX_BODY)",
        slug="payload-too-large",
    )


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class _TooLarge(Exception):
    pass


class BodyLimit:
    """At most ``limit`` bytes of request body, for every path (and no NUL in the URL). Paths
    starting with one of ``own_limit`` (the event endpoints) cap their bodies lower
    themselves, in their own formats, and are left to do so."""

    def __init__(self, app: ASGIApp, limit: int, own_limit: tuple[str, ...] = ()) -> None:
        self.app = app
        self.limit = limit
        self.own_limit = own_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limit <= 0:
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if "\x00" in path or b"%00" in scope.get("query_string", b""):
            # Never part of a name, id or filter; PostgreSQL cannot even compare text with it.
            nul = Problem(
                400,
                "Invalid request",
                "the URL must not hold NUL characters",
                slug="invalid-request",
            )
            await problem_response(nul, None)(scope, receive, send)
            return
        if self.own_limit and path.startswith(self.own_limit):
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.limit:
            await problem_response(_too_large(self.limit), path)(scope, receive, send)
            return
        received = 0
        cut = False
        answered = False

        async def limited() -> Message:
            nonlocal received, cut
            if cut:
                raise _TooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    cut = True
                    raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal answered
            if cut:
                # The application answered a body it could not read whole (often by turning
                # the error into a 400): the answer is the 413, once.
                if not answered:
                    answered = True
                    await problem_response(_too_large(self.limit), path)(scope, receive, send)
                return
            if message["type"] == "http.response.start":
                answered = True
            await send(message)

        try:
            await self.app(scope, limited, watched)
        except _TooLarge:
            if not answered:
                answered = True
                await problem_response(_too_large(self.limit), path)(scope, receive, send)


class ApiAuthGate:
    """No ``/api/v1`` body is read before its API token is known to be valid and allowed to
    write there (``check(token, method, path, admin_only)``: ``None`` or the problem to
    answer; ``admin_only(scope)``: whether the request goes to an admin-only route)."""

    def __init__(
        self,
        app: ASGIApp,
        check: Callable[[str, str, str, bool], Problem | None],
        admin_only: Callable[[Scope], bool] = lambda scope: False,
    ) -> None:
        self.app = app
        self.check = check
        self.admin_only = admin_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if (
            not path.startswith("/api/v1/")
            or scope["method"] not in _BODY_METHODS
            or _OWN_KEY.match(path)
        ):
            await self.app(scope, receive, send)
            return
        token = ""
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, rest = value.decode("latin-1").partition(" ")
                token = rest.strip() if scheme.lower() == "bearer" else ""
                break
        problem: Problem | None
        if not token:
            problem = Problem(
                401,
                "Unauthorized",
                "send an API token as 'Authorization: Bearer <token>' "
                "(make one with: ownit token create --name NAME)",
                slug="unauthorized",
                headers=_UNAUTHORIZED,
            )
        else:
            admin = self.admin_only(scope)
            problem = await asyncio.to_thread(self.check, token, scope["method"], path, admin)
        if problem is None:
            await self.app(scope, receive, send)
            return
        await problem_response(problem, path)(scope, receive, send)
