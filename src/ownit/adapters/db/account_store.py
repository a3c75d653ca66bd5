"""Logins (``user_credentials``) and web sessions (``web_sessions``) in the database (Core)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, delete, func, insert, select, update

from ownit.adapters.db import tables as t
from ownit.adapters.db.audit_log import record
from ownit.app.accounts import Account, Credentials, OrgRole, WebSession
from ownit.domain.permissions import TeamRole

_u, _c, _s = t.users, t.user_credentials, t.web_sessions
_ACCOUNT = (_u.c.id, _u.c.name, _u.c.display_name, _u.c.email, _c.c.org_role)


def _account(row: Any, teams: dict[str, TeamRole] | None = None) -> Account:
    return Account(
        user_id=row.id,
        name=row.name,
        display_name=row.display_name or row.name,
        email=row.email or "",
        org_role=OrgRole(row.org_role),
        teams=teams or {},
    )


def team_roles(conn: Any, user_id: int) -> dict[str, TeamRole]:
    """The user's role in each team they belong to, by team name."""
    m, tm = t.team_members, t.teams
    rows = conn.execute(
        select(tm.c.name, m.c.role).join(m, m.c.team_id == tm.c.id).where(m.c.user_id == user_id)
    )
    out = {}
    for name, role in rows:
        try:
            out[name] = TeamRole(role)
        except ValueError:
            out[name] = TeamRole.RESPONDER
    return out


def user_name(conn: Any, user_id: int) -> str:
    """The catalog name of a user (``#ID`` if it is gone), for the audit log."""
    name = conn.execute(select(_u.c.name).where(_u.c.id == user_id)).scalar()
    return str(name) if name is not None else f"#{user_id}"


def _by_email(query: Select[Any], email: str) -> Select[Any]:
    return query.where(func.lower(_u.c.email) == email.strip().lower())


class SqlAccountStore:
    """:class:`ownit.app.accounts.AccountStore` on SQLAlchemy Core."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def users_by_email(self, email: str) -> list[tuple[int, str]]:
        query = _by_email(select(_u.c.id, _u.c.name), email).order_by(_u.c.name)
        with self._engine.connect() as conn:
            return [(r.id, r.name) for r in conn.execute(query)]

    def credentials(self, email: str) -> list[Credentials]:
        query = _by_email(
            select(*_ACCOUNT, _c.c.password_hash).join(_c, _c.c.user_id == _u.c.id), email
        )
        with self._engine.connect() as conn:
            return [Credentials(_account(r), r.password_hash) for r in conn.execute(query)]

    def account(self, user_id: int) -> Account | None:
        query = select(*_ACCOUNT).join(_c, _c.c.user_id == _u.c.id).where(_u.c.id == user_id)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
            return None if row is None else _account(row, team_roles(conn, row.id))

    def save_credentials(
        self, *, user_id: int, password_hash: str, org_role: str, at: datetime
    ) -> None:
        with self._engine.begin() as conn:
            before = conn.execute(select(_c.c.org_role).where(_c.c.user_id == user_id)).scalar()
            changed = conn.execute(
                update(_c)
                .where(_c.c.user_id == user_id)
                .values(
                    password_hash=password_hash,
                    org_role=org_role,
                    invite_hash=None,
                    invite_expires_at=None,
                    updated_at=at,
                )
            ).rowcount
            if not changed:
                conn.execute(
                    insert(_c).values(
                        user_id=user_id,
                        password_hash=password_hash,
                        org_role=org_role,
                        created_at=at,
                        updated_at=at,
                    )
                )
            record(
                conn,
                at=at,
                kind="login",
                name=user_name(conn, user_id),
                action="replaced" if before is not None else "created",
                before=None if before is None else {"org_role": before},
                after={"org_role": org_role, "password": "set"},
            )

    def set_password(self, *, user_id: int, password_hash: str, at: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(_c)
                .where(_c.c.user_id == user_id)
                .values(password_hash=password_hash, updated_at=at)
            )
            record(
                conn,
                at=at,
                kind="login",
                name=user_name(conn, user_id),
                action="password-changed",
                after={"password": "set"},
            )

    def add_session(
        self, *, id_hash: str, user_id: int, csrf_token: str, at: datetime, expires_at: datetime
    ) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                insert(_s).values(
                    id_hash=id_hash,
                    user_id=user_id,
                    csrf_token=csrf_token,
                    created_at=at,
                    last_seen_at=at,
                    expires_at=expires_at,
                )
            )
            name = user_name(conn, user_id)
            record(conn, at=at, kind="login", name=name, action="signed-in", actor=name)

    def session(self, id_hash: str) -> WebSession | None:
        query = (
            select(
                *_ACCOUNT,
                _s.c.id_hash,
                _s.c.csrf_token,
                _s.c.created_at,
                _s.c.last_seen_at,
                _s.c.expires_at,
            )
            .join(_c, _c.c.user_id == _s.c.user_id)
            .join(_u, _u.c.id == _s.c.user_id)
            .where(_s.c.id_hash == id_hash)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
            if row is None:
                return None
            teams = team_roles(conn, row.id)
        return WebSession(
            account=_account(row, teams),
            id_hash=row.id_hash,
            csrf_token=row.csrf_token,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
        )

    def touch_session(self, *, id_hash: str, at: datetime, expires_at: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(_s)
                .where(_s.c.id_hash == id_hash)
                .values(last_seen_at=at, expires_at=expires_at)
            )

    def delete_session(self, id_hash: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(_s).where(_s.c.id_hash == id_hash))

    def delete_sessions(self, user_id: int) -> int:
        with self._engine.begin() as conn:
            return int(conn.execute(delete(_s).where(_s.c.user_id == user_id)).rowcount)
