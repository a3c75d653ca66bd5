"""API token authentication: ``Authorization: Bearer <token>``; roles gate what a token may do."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from ownit.adapters.http.problems import Problem
from ownit.app.tokens import Principal, Role, TokenStore, authenticate


def requires(store: TokenStore, role: Role) -> Callable[[Request], Principal]:
    """A FastAPI dependency: the caller's principal, or a 401/403 problem."""

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
        principal = authenticate(store=store, token=token.strip())
        if principal is None:
            raise Problem(
                401,
                "Unauthorized",
                "the API token is unknown or revoked",
                slug="unauthorized",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not principal.role.can(role):
            raise Problem(
                403,
                "Forbidden",
                f"a {principal.role.value} token cannot do this; it needs the {role.value} role",
                slug="forbidden",
            )
        return principal

    return dependency
