"""API token authentication: ``Authorization: Bearer <token>``; permissions gate what a token
may do (decision 0011).

``requires(store, Role.X)`` keeps the old spelling for an endpoint's gate but asks the rule
book: ``viewer`` → view, ``responder`` → respond, ``admin`` → administer. Team-scoped
endpoints then call :func:`require_manage` with the team whose things they change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute, compile_path
from starlette.types import Scope

from ownit.adapters.http.problems import Problem
from ownit.app import audit
from ownit.app.clock import Clock, SystemClock
from ownit.app.tokens import Principal, Role, TokenStore, authenticate
from ownit.domain.permissions import Action

_NEEDS = {
    Action.VIEW: "any valid token",
    Action.RESPOND: "a token that may respond (responder or admin; not read-only, not observer)",
    Action.ADMINISTER: "an admin token (or a token of an organisation admin)",
}


def _who(principal: Principal) -> str:
    if principal.user is not None:
        kind = "read-only token" if principal.role is Role.VIEWER else "token"
        return f"{principal.user}'s {kind} {principal.name!r}"
    return f"a {principal.role.value} token"


def forbidden(principal: Principal, needed: str) -> Problem:
    return Problem(
        403, "Forbidden", f"{_who(principal)} cannot do this; it needs {needed}", slug="forbidden"
    )


def require_manage(principal: Principal, team: str | None) -> None:
    """Raise a 403 problem unless the principal may manage ``team``'s things (``None``: a thing
    without a team, which only admins manage)."""
    if principal.permissions.may(Action.MANAGE, team):
        return
    needed = f"the manager role in team {team!r} (or admin)" if team else "the admin role"
    raise forbidden(principal, needed)


# The scope a write needs, by the start of its /api/v1 path ("*": any one segment); the
# longest pattern that fits wins, no pattern: "admin" (every read needs "read").
_WRITE_SCOPES: dict[tuple[str, ...], str] = {
    ("incidents",): "incidents",
    ("schedules",): "schedules",
    ("users",): "schedules",  # a calendar link
    ("maintenance-windows",): "maintenance",
    ("postmortems",): "incidents",  # action items (an incident's postmortem is under incidents/)
    ("services", "*", "test-event"): "incidents",  # it opens an incident (decision 0060)
}


def _fits(pattern: tuple[str, ...], segments: list[str]) -> bool:
    return len(segments) >= len(pattern) and all(
        p in ("*", s) for p, s in zip(pattern, segments, strict=False)
    )


def scope_of(method: str, path: str) -> str:
    """The token scope a request needs: ``read`` for reads, else by what it changes."""
    if method in ("GET", "HEAD", "OPTIONS"):
        return "read"
    segments = path.removeprefix("/api/v1/").split("/")
    fitting = [p for p in _WRITE_SCOPES if _fits(p, segments)]
    return _WRITE_SCOPES[max(fitting, key=len)] if fitting else "admin"


WriteCheck = Callable[[str, str, str, bool], Problem | None]


def write_gate(store: TokenStore, clock: Clock) -> WriteCheck:
    """What :class:`~ownit.adapters.http.request_guards.ApiAuthGate` asks before the body of
    an ``/api/v1`` write is read: ``check(token, method, path, admin_only)`` is ``None`` (go
    on) or the problem to answer. Every write endpoint needs at least the respond permission,
    an admin-only one (``admin_only``: :class:`AdminRoutes` says so) the administer
    permission, and the scope its path needs (:func:`scope_of`), so a token without them gets
    its 401 or 403 before a byte of the body is parsed; the endpoint's own gate then checks
    the rest (a team manager's rights, decision 0036)."""

    def check(token: str, method: str, path: str, admin_only: bool) -> Problem | None:
        principal = authenticate(store=store, token=token, clock=clock)
        if principal is None:
            return Problem(
                401,
                "Unauthorized",
                "the API token is unknown or revoked",
                slug="unauthorized",
                headers={"WWW-Authenticate": "Bearer"},
            )
        needed = Action.ADMINISTER if admin_only else Action.RESPOND
        if not principal.permissions.may(needed):
            return forbidden(principal, _NEEDS[needed])
        scope = scope_of(method, path)
        if not principal.has_scope(scope):
            return forbidden(principal, f"the {scope!r} scope (it has: {_scopes(principal)})")
        return None

    return check


def _scopes(principal: Principal) -> str:
    return ", ".join(sorted(principal.scopes)) if principal.scopes is not None else "all"


def requires(
    store: TokenStore, role: Role, clock: Clock | None = None
) -> Callable[[Request], Principal]:
    """A FastAPI dependency: the caller's principal, or a 401/403 problem."""
    when = clock or SystemClock()
    needed = role.needs()

    def dependency(request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Problem(
                401,
                "Unauthorized",
                "send an API token as 'Authorization: Bearer <token>' "
                "(make one with: ownit token create --name NAME)",
                slug="unauthorized",
                headers={"WWW-Authenticate": "Bearer"},
            )
        principal = authenticate(store=store, token=token.strip(), clock=when)
        if principal is None:
            raise Problem(
                401,
                "Unauthorized",
                "the API token is unknown or revoked",
                slug="unauthorized",
                headers={"WWW-Authenticate": "Bearer"},
            )
        audit.acting_as(principal.actor)
        if not principal.permissions.may(needed):
            raise forbidden(principal, _NEEDS[needed])
        scope = scope_of(request.method, request.url.path)
        if not principal.has_scope(scope):
            raise forbidden(principal, f"the {scope!r} scope (it has: {_scopes(principal)})")
        return principal

    dependency.ownit_needs = needed  # type: ignore[attr-defined]  # read by AdminRoutes
    return dependency


def _needs(dependant: Dependant) -> Iterator[Action]:
    for sub in dependant.dependencies:
        found = getattr(sub.call, "ownit_needs", None)
        if isinstance(found, Action):
            yield found
        yield from _needs(sub)


def admin_only(route: APIRoute) -> bool:
    """Whether the route's own gate (a :func:`requires` anywhere among its dependencies) asks
    for the administer permission."""
    return Action.ADMINISTER in set(_needs(route.dependant))


def admin_routes(routes: Sequence[BaseRoute]) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """The admin-only routes among ``routes`` (included routers too), as the path pattern and
    the methods each answers."""
    found = []
    for context in iter_route_contexts(routes):
        route, path = context.original_route, context.path
        if isinstance(route, APIRoute) and path and admin_only(route):
            found.append((compile_path(path)[0], frozenset(context.methods or ())))
    return found


class AdminRoutes:
    """Which request goes to an admin-only route, read from the application's routes the
    first time it is asked (every router is included by then), so that no admin-only route
    can be left out of the gate (decision 0036)."""

    def __init__(self, routes: Callable[[], Sequence[BaseRoute]]) -> None:
        self._routes = routes
        self._admin: list[tuple[re.Pattern[str], frozenset[str]]] | None = None

    def __call__(self, scope: Scope) -> bool:
        if self._admin is None:
            self._admin = admin_routes(self._routes())
        path, method = scope.get("path", ""), scope.get("method", "")
        return any(method in methods and p.match(path) for p, methods in self._admin)
