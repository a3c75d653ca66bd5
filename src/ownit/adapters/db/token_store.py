"""API tokens, stored as SHA-256 hashes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select, update

from ownit.adapters.db import tables as t
from ownit.adapters.db.rows import row_dict

_k = t.api_tokens


class SqlTokenStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def insert(self, *, name: str, role: str, token_hash: str, at: datetime) -> int:
        with self._engine.begin() as conn:
            result = conn.execute(
                _k.insert().values(name=name, role=role, token_hash=token_hash, created_at=at)
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def find(self, token_hash: str) -> tuple[str, str] | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(_k.c.name, _k.c.role).where(
                    _k.c.token_hash == token_hash, _k.c.revoked_at.is_(None)
                )
            ).first()
        return None if row is None else (row[0], row[1])

    def all(self) -> list[dict[str, object]]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(_k.c.id, _k.c.name, _k.c.role, _k.c.created_at, _k.c.revoked_at).order_by(
                    _k.c.id
                )
            )
            return [row_dict(r) for r in rows]

    def revoke(self, token_id: int, at: datetime) -> bool:
        with self._engine.begin() as conn:
            result = conn.execute(
                update(_k)
                .where(_k.c.id == token_id, _k.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            return result.rowcount == 1
