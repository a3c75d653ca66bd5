"""API tokens: made once, shown once, stored as a hash; roles admin, responder, viewer.

A token made by a signed-in user (in the web UI) acts as that user: their organisation role
and team roles apply, and a ``viewer`` ("read-only") token of theirs only reads, whatever
they may do. A token made for nobody (``ownit token create``) keeps its role's meaning:
``admin`` administers, ``responder`` is a member who may respond, ``viewer`` reads
(decision 0011).

A token may **expire** (``expires_at``) and may be limited to **scopes**: ``read`` (every
``GET``), ``incidents`` (acknowledge, resolve, notes, merge, split, escalate, reassign),
``schedules`` (overrides, calendar links), ``maintenance`` (maintenance windows), ``admin``
(integration keys and the rest). A token without scopes has all of them; its role and its
maker's rights still decide what it may do (decision 0031).
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from ownit.app.clock import Clock
from ownit.domain.errors import DomainError
from ownit.domain.permissions import Action, Actor, OrgRole, TeamRole

PREFIX = "ownit_"
SCOPES = ("read", "incidents", "schedules", "maintenance", "admin")
MAX_LIFETIME = timedelta(days=3650)


class Role(enum.StrEnum):
    ADMIN = "admin"
    RESPONDER = "responder"
    VIEWER = "viewer"

    def needs(self) -> Action:
        """The permission an endpoint gated by this role asks for."""
        return {Role.VIEWER: Action.VIEW, Role.RESPONDER: Action.RESPOND}.get(
            self, Action.ADMINISTER
        )

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
    user: str | None = None  # the catalog user a personal token acts as
    scopes: frozenset[str] | None = None  # None: every scope

    def has_scope(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    @property
    def actor(self) -> str:
        return self.user if self.user is not None else f"token/{self.name}"

    @property
    def permissions(self) -> Actor:
        return self.grants if self.grants is not None else self.role.grants()


@dataclass(frozen=True, slots=True)
class FoundToken:
    """A live token as stored: its owner's roles when it belongs to a user with a login."""

    name: str
    role: str
    user_id: int | None = None
    user_name: str | None = None
    org_role: str | None = None  # None with a user_id: the owner has no login (any more)
    teams: Mapping[str, TeamRole] = field(default_factory=dict)
    expires_at: datetime | None = None
    scopes: str | None = None  # comma-separated; None: every scope


class TokenStore(Protocol):
    def insert(
        self,
        *,
        name: str,
        role: str,
        token_hash: str,
        at: datetime,
        user_id: int | None = None,
        expires_at: datetime | None = None,
        scopes: str | None = None,
    ) -> int: ...

    def find(self, token_hash: str, at: datetime | None = None) -> FoundToken | None:
        """A token that is not revoked (its ``last_used_at`` set to ``at`` when given)."""
        ...

    def all(self, user_id: int | None = None) -> list[dict[str, object]]:
        """Every token (or ``user_id``'s): id, name, role, user_id, user, created_at,
        last_used_at, revoked_at, expires_at, scopes."""
        ...

    def revoke(self, token_id: int, at: datetime, user_id: int | None = None) -> bool:
        """Revoke a live token (only if it is ``user_id``'s, when given)."""
        ...


class InvalidToken(DomainError):
    pass


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(raw: str | None) -> str | None:
    """``read,incidents`` → the stored form (sorted, no repeats); ``None``/empty: every scope."""
    if raw is None or not raw.strip():
        return None
    found = sorted({part.strip() for part in raw.split(",") if part.strip()})
    unknown = [s for s in found if s not in SCOPES]
    if unknown:
        raise InvalidToken(f"scope {unknown[0]!r} is not one of {', '.join(SCOPES)}")
    return ",".join(found)


def create_token(
    *,
    store: TokenStore,
    clock: Clock,
    name: str,
    role: str,
    user_id: int | None = None,
    lifetime: timedelta | None = None,
    scopes: str | None = None,
) -> str:
    """Store a new token's hash and return the token itself (the only time it is seen);
    with ``user_id`` the token acts as that user (``role`` responder) or only reads
    (``role`` viewer). ``lifetime``: it stops working that long from now (``None``: never);
    ``scopes``: what it may be used for (see :data:`SCOPES`; ``None``: everything)."""
    if not name.strip() or len(name.strip()) > 100:
        raise InvalidToken("a token needs a name of 1 to 100 characters")
    try:
        parsed = Role(role)
    except ValueError:
        raise InvalidToken(f"role {role!r} is not one of admin, responder, viewer") from None
    if user_id is not None and parsed is Role.ADMIN:
        raise InvalidToken("a personal token is read-only or acts as its owner; no admin role")
    if lifetime is not None and not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise InvalidToken("a token's lifetime must be more than 0 and at most 10 years")
    stored_scopes = parse_scopes(scopes)
    now = clock.now()
    token = PREFIX + secrets.token_urlsafe(32)
    store.insert(
        name=name.strip(),
        role=parsed.value,
        token_hash=hash_token(token),
        at=now,
        user_id=user_id,
        expires_at=now + lifetime if lifetime is not None else None,
        scopes=stored_scopes,
    )
    return token


def authenticate(*, store: TokenStore, token: str, clock: Clock | None = None) -> Principal | None:
    """The principal behind a token, or ``None`` if it is unknown, revoked, expired, or its
    owner has no login any more."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    now = clock.now() if clock is not None else None
    found = store.find(hash_token(token), now)
    if found is None:
        return None
    if found.expires_at is not None and now is not None and now >= found.expires_at:
        return None
    role = Role(found.role)
    scopes = frozenset(found.scopes.split(",")) if found.scopes else None
    if found.user_id is None:
        return Principal(found.name, role, scopes=scopes)
    if found.org_role is None:
        return None
    grants = Actor(OrgRole(found.org_role), found.teams, read_only=role is Role.VIEWER)
    return Principal(found.name, role, grants, user=found.user_name, scopes=scopes)
