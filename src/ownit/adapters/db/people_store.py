"""People (catalog users with their login state) and invitations, in the database (Core)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from ownit.adapters.db import tables as t
from ownit.adapters.db.account_store import user_name
from ownit.adapters.db.audit_log import record
from ownit.app.accounts import OrgRole
from ownit.app.invitations import Person

_u, _c = t.users, t.user_credentials
_PERSON = (
    _u.c.id,
    _u.c.name,
    _u.c.display_name,
    _u.c.email,
    _c.c.password_hash,
    _c.c.org_role,
    _c.c.invite_expires_at,
)


class _NoAdminLeft(Exception):
    pass


def _person(row: Any) -> Person:
    return Person(
        user_id=row.id,
        name=row.name,
        display_name=row.display_name or row.name,
        email=row.email or "",
        has_login=row.password_hash is not None,
        org_role=OrgRole(row.org_role) if row.org_role is not None else None,
        invite_expires_at=row.invite_expires_at,
    )


def _query() -> Any:
    return select(*_PERSON).outerjoin(_c, _c.c.user_id == _u.c.id)


class SqlPeopleStore:
    """:class:`ownit.app.invitations.PeopleStore` on SQLAlchemy Core."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def people(self) -> list[Person]:
        with self._engine.connect() as conn:
            return [_person(r) for r in conn.execute(_query().order_by(_u.c.name))]

    def person(self, name: str) -> Person | None:
        with self._engine.connect() as conn:
            row = conn.execute(_query().where(_u.c.name == name)).first()
        return None if row is None else _person(row)

    def save_invite(
        self, *, user_id: int, invite_hash: str, expires_at: datetime, at: datetime
    ) -> None:
        values = {"invite_hash": invite_hash, "invite_expires_at": expires_at, "updated_at": at}
        with self._engine.begin() as conn:
            changed = conn.execute(update(_c).where(_c.c.user_id == user_id).values(**values))
            if not changed.rowcount:
                conn.execute(
                    insert(_c).values(user_id=user_id, org_role="member", created_at=at, **values)
                )
            record(
                conn,
                at=at,
                kind="user",
                name=user_name(conn, user_id),
                action="invited",
                after={"invite_expires_at": expires_at.isoformat()},
            )

    def invited(self, invite_hash: str) -> tuple[Person, datetime] | None:
        with self._engine.connect() as conn:
            row = conn.execute(_query().where(_c.c.invite_hash == invite_hash)).first()
        if row is None or row.invite_expires_at is None:
            return None
        return _person(row), row.invite_expires_at

    def accept_invite(self, *, invite_hash: str, password_hash: str, at: datetime) -> bool:
        with self._engine.begin() as conn:
            invited = conn.execute(
                select(_c.c.user_id).where(_c.c.invite_hash == invite_hash)
            ).scalar()
            done = conn.execute(
                update(_c)
                .where(_c.c.invite_hash == invite_hash)
                .values(
                    password_hash=password_hash,
                    invite_hash=None,
                    invite_expires_at=None,
                    updated_at=at,
                )
            )
            if done.rowcount != 1 or invited is None:
                return False
            name = user_name(conn, int(invited))
            record(conn, at=at, kind="user", name=name, action="joined", actor=name)
            return True

    def set_org_role(self, *, user_id: int, org_role: str, at: datetime) -> bool:
        try:
            with self._engine.begin() as conn:
                before = conn.execute(select(_c.c.org_role).where(_c.c.user_id == user_id)).scalar()
                conn.execute(
                    update(_c)
                    .where(_c.c.user_id == user_id)
                    .values(org_role=org_role, updated_at=at)
                )
                record(
                    conn,
                    at=at,
                    kind="user",
                    name=user_name(conn, user_id),
                    action="role-changed",
                    before={"org_role": before},
                    after={"org_role": org_role},
                )
                admins = conn.execute(
                    select(func.count())
                    .select_from(_c)
                    .where(_c.c.org_role == "admin", _c.c.password_hash.is_not(None))
                ).scalar_one()
                if admins == 0:
                    raise _NoAdminLeft  # rolls the change back
        except _NoAdminLeft:
            return False
        return True
