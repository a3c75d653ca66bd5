"""People and invitations: who has a login, set-password links, organisation roles.

An invitation is a random token; only its SHA-256 is stored (``user_credentials.invite_hash``)
with an expiry (7 days). The link is shown once to whoever made it. Accepting it sets the
password (the policy of :mod:`ownit.domain.passwords`), clears the invitation, and signs the
person in with a fresh session. An organisation always keeps at least one admin.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ownit.app.accounts import (
    AccountError,
    AccountStore,
    NewSession,
    OrgRole,
    PasswordHasher,
    SessionPolicy,
    _new_session,
)
from ownit.app.clock import Clock
from ownit.domain.errors import DomainError
from ownit.domain.passwords import password_problem

INVITE_FOR = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Person:
    user_id: int
    name: str
    display_name: str
    email: str
    has_login: bool  # a password is set
    org_role: OrgRole | None  # None: no login and no invitation
    invite_expires_at: datetime | None


class PeopleStore(Protocol):
    def people(self) -> list[Person]: ...

    def person(self, name: str) -> Person | None: ...

    def save_invite(
        self, *, user_id: int, invite_hash: str, expires_at: datetime, at: datetime
    ) -> None:
        """Keep the invitation (a login row without a password, member, if there is none)."""
        ...

    def invited(self, invite_hash: str) -> tuple[Person, datetime] | None:
        """The person an unused invitation is for, and when it expires."""
        ...

    def accept_invite(self, *, invite_hash: str, password_hash: str, at: datetime) -> bool:
        """Set the password and clear the invitation, if it is still there."""
        ...

    def set_org_role(self, *, user_id: int, org_role: str, at: datetime) -> bool:
        """Change the role unless that leaves no admin; False if it would."""
        ...


class InviteRefused(DomainError):
    """The link is unknown, used or expired."""


def hash_invite(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(*, store: PeopleStore, clock: Clock, name: str) -> tuple[Person, str]:
    """A new set-password link token for the catalog user ``name`` (any older one stops
    working); the token is returned once and only its hash is kept."""
    person = store.person(name)
    if person is None:
        raise AccountError("user", f"no catalog user is called {name!r}")
    if not person.email:
        raise AccountError("user", f"{name} has no email in the catalog, which a login needs")
    token = secrets.token_urlsafe(32)
    now = clock.now()
    store.save_invite(
        user_id=person.user_id, invite_hash=hash_invite(token), expires_at=now + INVITE_FOR, at=now
    )
    return person, token


def invited_person(*, store: PeopleStore, clock: Clock, token: str) -> Person:
    if not token or len(token) > 200:
        raise InviteRefused("this link is not valid")
    found = store.invited(hash_invite(token))
    if found is None:
        raise InviteRefused("this link is not valid or has been used already")
    person, expires_at = found
    if expires_at <= clock.now():
        raise InviteRefused("this link has expired; ask an admin for a new one")
    return person


def accept_invite(
    *,
    store: PeopleStore,
    accounts: AccountStore,
    hasher: PasswordHasher,
    clock: Clock,
    token: str,
    password: str,
    password_again: str,
    policy: SessionPolicy | None = None,
) -> NewSession:
    """Set the invited person's password and sign them in."""
    person = invited_person(store=store, clock=clock, token=token)
    problem = password_problem(password, email=person.email)
    if problem:
        raise AccountError("password", problem)
    if password != password_again:
        raise AccountError("password_again", "the two passwords differ")
    now = clock.now()
    if not store.accept_invite(
        invite_hash=hash_invite(token), password_hash=hasher.hash(password), at=now
    ):
        raise InviteRefused("this link is not valid or has been used already")
    accounts.delete_sessions(person.user_id)
    account = accounts.account(person.user_id)
    assert account is not None
    return _new_session(accounts, clock, policy or SessionPolicy(), account)


def change_org_role(*, store: PeopleStore, clock: Clock, name: str, role: str) -> Person:
    try:
        parsed = OrgRole(role)
    except ValueError:
        raise AccountError("role", f"{role!r} is not one of admin, member") from None
    person = store.person(name)
    if person is None:
        raise AccountError("role", f"no catalog user is called {name!r}")
    if person.org_role is None:
        raise AccountError("role", f"{name} has no login yet: invite them first")
    if not store.set_org_role(user_id=person.user_id, org_role=parsed.value, at=clock.now()):
        raise AccountError("role", "the organisation needs at least one admin")
    found = store.person(name)
    assert found is not None
    return found
