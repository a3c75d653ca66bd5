"""API tokens: made once, shown once, stored as a hash; roles admin, responder, viewer."""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ownit.app.ports import Clock
from ownit.domain.errors import DomainError
from ownit.domain.permissions import Actor, OrgRole

PREFIX = "ownit_"


class Role(enum.StrEnum):
    ADMIN = "admin"
    RESPONDER = "responder"
    VIEWER = "viewer"

    def can(self, needed: Role) -> bool:
        order = [Role.VIEWER, Role.RESPONDER, Role.ADMIN]
        return order.index(self) >= order.index(needed)

    def grants(self) -> Actor:
        """What a token of this role may do when it acts for nobody in particular."""
        if self is Role.ADMIN:
            return Actor(OrgRole.ADMIN)
        return Actor(OrgRole.MEMBER, read_only=self is Role.VIEWER)


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    role: Role
    grants: Actor | None = None  # None: the role's own grants (see :meth:`Role.grants`)

    @property
    def actor(self) -> str:
        return f"token/{self.name}"

    @property
    def permissions(self) -> Actor:
        return self.grants if self.grants is not None else self.role.grants()


class TokenStore(Protocol):
    def insert(self, *, name: str, role: str, token_hash: str, at: datetime) -> int: ...

    def find(self, token_hash: str) -> tuple[str, str] | None:
        """(name, role) of a token that is not revoked."""
        ...

    def all(self) -> list[dict[str, object]]: ...

    def revoke(self, token_id: int, at: datetime) -> bool: ...


class InvalidToken(DomainError):
    pass


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(*, store: TokenStore, clock: Clock, name: str, role: str) -> str:
    """Store a new token's hash and return the token itself (the only time it is seen)."""
    if not name.strip() or len(name) > 100:
        raise InvalidToken("a token needs a name of 1 to 100 characters")
    try:
        parsed = Role(role)
    except ValueError:
        raise InvalidToken(f"role {role!r} is not one of admin, responder, viewer") from None
    token = PREFIX + secrets.token_urlsafe(32)
    store.insert(name=name.strip(), role=parsed.value, token_hash=hash_token(token), at=clock.now())
    return token


def authenticate(*, store: TokenStore, token: str) -> Principal | None:
    if not token.startswith(PREFIX):
        return None
    found = store.find(hash_token(token))
    if found is None:
        return None
    return Principal(found[0], Role(found[1]))
