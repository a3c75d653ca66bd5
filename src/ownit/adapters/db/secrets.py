"""Secrets ownit makes for itself, kept in the database so every process shares them."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from ownit.adapters.db import tables as t


def shared_secret(engine: Engine, name: str, now: datetime) -> bytes:
    """The secret called ``name``: made (32 random bytes) the first time it is asked for."""
    with engine.connect() as conn:
        found = conn.execute(
            select(t.app_secrets.c.value).where(t.app_secrets.c.name == name)
        ).scalar()
    if found is None:
        value = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        try:
            with engine.begin() as conn:
                conn.execute(t.app_secrets.insert().values(name=name, value=value, created_at=now))
            found = value
        except IntegrityError:  # another process made it first: use theirs
            return shared_secret(engine, name, now)
    return base64.urlsafe_b64decode(found)
