"""Accounts for the web UI: logins (email + password), server sessions, organisation roles.

A login belongs to a catalog user (found by email). Sessions are rows keyed by the SHA-256 of
a random id that only the browser's cookie holds; each carries its own CSRF token. A session
ends when idle for :attr:`SessionPolicy.idle` or :attr:`SessionPolicy.absolute` after login,
whichever comes first.

Roles: an organisation ``admin`` or ``member``, and per team ``manager``, ``responder`` or
``observer``; :mod:`ownit.domain.permissions` holds the rules, :func:`may` asks them.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from ownit.app.clock import Clock
from ownit.domain.errors import DomainError
from ownit.domain.login_throttle import Backoff
from ownit.domain.passwords import password_problem
from ownit.domain.permissions import Action as Permission
from ownit.domain.permissions import Actor, TeamRole
from ownit.domain.permissions import OrgRole as OrgRole


class Action(enum.StrEnum):
    """What a person may try to do in the UI; checked by :func:`may`."""

    VIEW = "view"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    ANNOTATE = "annotate"
    ADMINISTER = "administer"


@dataclass(frozen=True, slots=True)
class Account:
    user_id: int
    name: str
    display_name: str
    email: str
    org_role: OrgRole
    teams: Mapping[str, TeamRole] = field(default_factory=dict)  # team name -> role

    @property
    def actor(self) -> str:
        """How this person appears on timelines (the catalog user name)."""
        return self.name

    @property
    def permissions(self) -> Actor:
        return Actor(self.org_role, self.teams)


def may(account: Account, action: Action, *, incident: dict[str, Any] | None = None) -> bool:
    """Whether ``account`` may do ``action`` (to ``incident``, when it is about one)."""
    if action is Action.VIEW:
        return account.permissions.may(Permission.VIEW)
    if action is Action.ADMINISTER:
        return account.permissions.may(Permission.ADMINISTER)
    return account.permissions.may(Permission.RESPOND)


@dataclass(frozen=True, slots=True)
class Credentials:
    account: Account
    password_hash: str | None  # None: invited, no password yet


@dataclass(frozen=True, slots=True)
class WebSession:
    account: Account
    id_hash: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class NewSession:
    """A session just made: ``session_id`` goes into the cookie and nowhere else."""

    session_id: str
    csrf_token: str
    expires_at: datetime
    account: Account


class PasswordHasher(Protocol):
    @property
    def dummy_hash(self) -> str:
        """A hash of nothing anyone knows: verified when the email is unknown, so that a
        wrong email costs as much time as a wrong password."""
        ...

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class AccountStore(Protocol):
    def users_by_email(self, email: str) -> list[tuple[int, str]]:
        """(user id, name) of the catalog users with this email, case-insensitively."""
        ...

    def credentials(self, email: str) -> list[Credentials]:
        """The logins of the users with this email, case-insensitively."""
        ...

    def account(self, user_id: int) -> Account | None: ...

    def save_credentials(
        self, *, user_id: int, password_hash: str, org_role: str, at: datetime
    ) -> None:
        """Create the login, or replace its password and role."""
        ...

    def set_password(self, *, user_id: int, password_hash: str, at: datetime) -> None: ...

    def add_session(
        self, *, id_hash: str, user_id: int, csrf_token: str, at: datetime, expires_at: datetime
    ) -> None: ...

    def session(self, id_hash: str) -> WebSession | None: ...

    def touch_session(self, *, id_hash: str, at: datetime, expires_at: datetime) -> None: ...

    def delete_session(self, id_hash: str) -> None: ...

    def delete_sessions(self, user_id: int) -> int: ...


class AccountError(DomainError):
    """A request the rules refuse; ``field`` names the form field at fault."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


class LoginRefused(DomainError):
    """Wrong email or password (deliberately not saying which)."""

    def __init__(self) -> None:
        super().__init__("the email or the password is wrong")


class TooManyAttempts(DomainError):
    def __init__(self, retry_after: float) -> None:
        if retry_after < 60:
            seconds = max(1, round(retry_after))
            wait = f"{seconds} second{'s' if seconds > 1 else ''}"
        else:
            minutes = round(retry_after / 60)
            wait = f"{minutes} minute{'s' if minutes > 1 else ''}"
        super().__init__(f"too many failed logins; try again in {wait}")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle: timedelta = timedelta(days=14)
    absolute: timedelta = timedelta(days=30)
    touch_every: timedelta = timedelta(minutes=5)

    def expiry(self, created_at: datetime, seen_at: datetime) -> datetime:
        return min(created_at + self.absolute, seen_at + self.idle)


_EMAIL_BACKOFF = Backoff(
    free=5, base=timedelta(seconds=1), cap=timedelta(minutes=1), forget=timedelta(minutes=15)
)
_CLIENT_BACKOFF = Backoff(
    free=30, base=timedelta(seconds=1), cap=timedelta(minutes=15), forget=timedelta(minutes=15)
)


@dataclass(frozen=True, slots=True)
class LoginLimits:
    """How many logins in a row per email and per client address before a backoff, and how
    long it grows (decision 0030)."""

    by_email: Backoff = _EMAIL_BACKOFF
    by_client: Backoff = _CLIENT_BACKOFF


class LoginThrottleStore(Protocol):
    """Login attempt counters shared by every process (decision 0030)."""

    def attempt(self, keys: Sequence[tuple[str, Backoff]], now: datetime) -> timedelta:
        """Atomically: if a delay runs for any key, count nothing and return the longest
        wait; else count the attempt on every key and return 0."""
        ...

    def succeeded(self, *, clear: str, undo: Sequence[tuple[str, Backoff]]) -> None:
        """A right password: forget ``clear``'s attempts, take this one back from ``undo``."""
        ...

    def failed(self, *, email: str, at: datetime) -> None:
        """A wrong email or password (for the audit log)."""
        ...


def hash_session_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _normal_email(email: str) -> str:
    return email.strip()


def create_login(
    *,
    store: AccountStore,
    hasher: PasswordHasher,
    clock: Clock,
    email: str,
    password: str,
    org_role: OrgRole = OrgRole.MEMBER,
    replace: bool = False,
) -> Account:
    """Give the catalog user with ``email`` a login (``replace``: a new password and role)."""
    email = _normal_email(email)
    users = store.users_by_email(email)
    if not users:
        raise AccountError("email", f"no catalog user has the email {email!r}")
    if len(users) > 1:
        names = ", ".join(sorted(name for _, name in users))
        raise AccountError("email", f"several catalog users have this email ({names})")
    user_id, _ = users[0]
    if not replace and store.credentials(email):
        raise AccountError("email", f"{email} already has a login")
    problem = password_problem(password, email=email)
    if problem:
        raise AccountError("password", problem)
    store.save_credentials(
        user_id=user_id, password_hash=hasher.hash(password), org_role=org_role, at=clock.now()
    )
    store.delete_sessions(user_id)
    found = store.account(user_id)
    assert found is not None
    return found


def _new_session(
    store: AccountStore, clock: Clock, policy: SessionPolicy, account: Account
) -> NewSession:
    now = clock.now()
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = policy.expiry(now, now)
    store.add_session(
        id_hash=hash_session_id(session_id),
        user_id=account.user_id,
        csrf_token=csrf,
        at=now,
        expires_at=expires,
    )
    return NewSession(session_id, csrf, expires, account)


def login(
    *,
    store: AccountStore,
    hasher: PasswordHasher,
    clock: Clock,
    throttle: LoginThrottleStore,
    email: str,
    password: str,
    client: str,
    limits: LoginLimits = LoginLimits(),
    previous_session_id: str | None = None,
    policy: SessionPolicy = SessionPolicy(),
) -> NewSession:
    """A new session for the right email and password; any previous session of this browser
    ends (the id always changes at login)."""
    email = _normal_email(email)
    now = clock.now()
    by_email = "email:" + hashlib.sha256(email.casefold().encode()).hexdigest()[:40]
    by_client = "client:" + client[:100]
    wait = throttle.attempt([(by_email, limits.by_email), (by_client, limits.by_client)], now)
    if wait > timedelta(0):
        raise TooManyAttempts(wait.total_seconds())
    plausible = email and len(email) <= 320 and email.isprintable() and len(password) <= 1024
    found = store.credentials(email) if plausible else []
    creds = found[0] if len(found) == 1 else None
    stored_hash = creds.password_hash if creds is not None else None
    ok = hasher.verify(stored_hash or hasher.dummy_hash, password[:1024])
    if creds is None or stored_hash is None or not ok:
        throttle.failed(email=email, at=now)
        raise LoginRefused
    throttle.succeeded(clear=by_email, undo=[(by_client, limits.by_client)])
    if hasher.needs_rehash(stored_hash):
        store.set_password(
            user_id=creds.account.user_id, password_hash=hasher.hash(password), at=clock.now()
        )
    if previous_session_id:
        store.delete_session(hash_session_id(previous_session_id))
    return _new_session(store, clock, policy, creds.account)


def current_session(
    *,
    store: AccountStore,
    clock: Clock,
    session_id: str,
    policy: SessionPolicy = SessionPolicy(),
) -> WebSession | None:
    """The live session behind a cookie's id (its idle expiry moved on), or ``None``."""
    if not session_id or len(session_id) > 200:
        return None
    id_hash = hash_session_id(session_id)
    found = store.session(id_hash)
    if found is None:
        return None
    now = clock.now()
    if found.expires_at <= now:
        store.delete_session(id_hash)
        return None
    if now - found.last_seen_at >= policy.touch_every:
        expires = policy.expiry(found.created_at, now)
        store.touch_session(id_hash=id_hash, at=now, expires_at=expires)
    return found


def logout(*, store: AccountStore, session_id: str) -> None:
    store.delete_session(hash_session_id(session_id))


def change_password(
    *,
    store: AccountStore,
    hasher: PasswordHasher,
    clock: Clock,
    session: WebSession,
    current: str,
    new: str,
    new_again: str,
    policy: SessionPolicy = SessionPolicy(),
) -> NewSession:
    """Check the current password, set the new one, end every session of the account and
    return a fresh one for this browser."""
    account = session.account
    found = [c for c in store.credentials(account.email) if c.account.user_id == account.user_id]
    stored = found[0].password_hash if found else None
    if stored is None or not hasher.verify(stored, current[:1024]):
        raise AccountError("current", "this is not your current password")
    problem = password_problem(new, email=account.email)
    if problem:
        raise AccountError("new", problem)
    if new != new_again:
        raise AccountError("new_again", "the two new passwords differ")
    if new == current:
        raise AccountError("new", "the new password is the current one")
    store.set_password(user_id=account.user_id, password_hash=hasher.hash(new), at=clock.now())
    store.delete_sessions(account.user_id)
    return _new_session(store, clock, policy, account)
