"""Secrets ownit makes for itself (the key that signs one-click action links), kept in the
database so every process shares them; sealed with ``OWNIT_SECRET_KEY`` when it is set
(decision 0037), like webhook signing secrets."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from ownit.adapters.db import tables as t
from ownit.adapters.db.secret_box import PREFIX, SecretBox, SecretBoxError


def _context(name: str) -> str:
    return f"app_secrets/{name}"  # bound in: a sealed value copied to another name won't open


def shared_secret(engine: Engine, name: str, now: datetime, box: SecretBox | None = None) -> bytes:
    """The secret called ``name``: made (32 random bytes) the first time it is asked for.
    With ``box`` it is stored sealed, and one stored before in plain text is sealed now."""
    s = t.app_secrets
    with engine.connect() as conn:
        found = conn.execute(select(s.c.value).where(s.c.name == name)).scalar()
    if found is None:
        value = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        stored = box.seal(value, _context(name)) if box is not None else value
        try:
            with engine.begin() as conn:
                conn.execute(s.insert().values(name=name, value=stored, created_at=now))
            return base64.urlsafe_b64decode(value)
        except IntegrityError:  # another process made it first: use theirs
            return shared_secret(engine, name, now, box)
    if found.startswith(PREFIX):
        if box is None:
            raise SecretBoxError(f"the secret {name!r} is sealed: set OWNIT_SECRET_KEY")
        return base64.urlsafe_b64decode(box.open(found, _context(name)))
    if box is not None:  # kept before the key was set: seal it (whoever writes first wins)
        with engine.begin() as conn:
            conn.execute(
                update(s)
                .where(s.c.name == name, s.c.value == found)
                .values(value=box.seal(found, _context(name)))
            )
    return base64.urlsafe_b64decode(found)
