"""API tokens, stored as SHA-256 hashes; a personal token carries its owner's roles."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update

from ownit.adapters.db import tables as t
from ownit.adapters.db.account_store import team_roles
from ownit.adapters.db.audit_log import record
from ownit.adapters.db.rows import row_dict
from ownit.app.tokens import FoundToken

_k, _u, _c = t.api_tokens, t.users, t.user_credentials
_TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is a hint, not an audit log


class SqlTokenStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

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
    ) -> int:
        with self._engine.begin() as conn:
            result = conn.execute(
                _k.insert().values(
                    name=name,
                    role=role,
                    token_hash=token_hash,
                    created_at=at,
                    user_id=user_id,
                    expires_at=expires_at,
                    scopes=scopes,
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            record(
                conn,
                at=at,
                kind="token",
                name=name,
                action="created",
                after={
                    "id": int(key[0]),
                    "role": role,
                    "user_id": user_id,
                    "expires_at": expires_at.isoformat() if expires_at else None,
                    "scopes": scopes,
                },
            )
            return int(key[0])

    def find(self, token_hash: str, at: datetime | None = None) -> FoundToken | None:
        query = (
            select(
                _k.c.id,
                _k.c.name,
                _k.c.role,
                _k.c.user_id,
                _k.c.last_used_at,
                _k.c.expires_at,
                _k.c.scopes,
            )
            .add_columns(_u.c.name.label("user_name"), _c.c.org_role)
            .outerjoin(_u, _u.c.id == _k.c.user_id)
            .outerjoin(_c, _c.c.user_id == _k.c.user_id)
            .where(_k.c.token_hash == token_hash, _k.c.revoked_at.is_(None))
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
            if row is None:
                return None
            teams = team_roles(conn, row.user_id) if row.user_id is not None else {}
        if at is not None and (row.last_used_at is None or at - row.last_used_at >= _TOUCH_EVERY):
            with self._engine.begin() as conn:
                conn.execute(update(_k).where(_k.c.id == row.id).values(last_used_at=at))
        return FoundToken(
            name=row.name,
            role=row.role,
            user_id=row.user_id,
            user_name=row.user_name,
            org_role=row.org_role,
            teams=teams,
            expires_at=row.expires_at,
            scopes=row.scopes,
        )

    def all(self, user_id: int | None = None) -> list[dict[str, object]]:
        query = (
            select(
                _k.c.id,
                _k.c.name,
                _k.c.role,
                _k.c.user_id,
                _u.c.name.label("user"),
                _k.c.created_at,
                _k.c.last_used_at,
                _k.c.revoked_at,
                _k.c.expires_at,
                _k.c.scopes,
            )
            .outerjoin(_u, _u.c.id == _k.c.user_id)
            .order_by(_k.c.id)
        )
        if user_id is not None:
            query = query.where(_k.c.user_id == user_id)
        with self._engine.connect() as conn:
            return [row_dict(r) for r in conn.execute(query)]

    def revoke(self, token_id: int, at: datetime, user_id: int | None = None) -> bool:
        query = update(_k).where(_k.c.id == token_id, _k.c.revoked_at.is_(None))
        if user_id is not None:
            query = query.where(_k.c.user_id == user_id)
        with self._engine.begin() as conn:
            row = conn.execute(
                query.values(revoked_at=at).returning(_k.c.name, _k.c.role, _k.c.user_id)
            ).first()
            if row is None:
                return False
            record(
                conn,
                at=at,
                kind="token",
                name=row.name,
                action="revoked",
                before={"id": token_id, "role": row.role, "user_id": row.user_id},
            )
            return True
