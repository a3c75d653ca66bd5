"""A person's own settings in ``users.spec`` (decision 0014), and whether they have a feed link.

The spec keeps the catalog's normal form; the person's contacts and rules are written into
it, and ``x-personal`` lists the fields that are theirs (see ``catalog_store.personal_of``).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import Engine, select, update

from ownit.adapters.db import tables as t
from ownit.adapters.db.audit_log import record
from ownit.adapters.db.catalog_tables import PERSONAL_KEY, personal_of
from ownit.adapters.db.secret_box import SecretBox, open_spec, seal_spec
from ownit.adapters.db.wake import wake_pages_of
from ownit.app.personal import Settings
from ownit.domain.catalog import User, from_spec, to_spec

_u = t.users


class SqlPersonalStore:
    """:class:`ownit.app.personal.PersonalStore`."""

    def __init__(self, engine: Engine, *, box: SecretBox | None = None) -> None:
        self._engine = engine
        self._box = box  # webhook secrets sealed at rest when set (decision 0031)

    def user_settings(self, name: str) -> Settings | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(_u.c.name, _u.c.spec, _u.c.source).where(_u.c.name == name)
            ).first()
        if row is None:
            return None
        user = from_spec("User", row.name, open_spec(row.spec or {}, self._box))
        assert isinstance(user, User)
        user = dataclasses.replace(user, personal=personal_of(row.spec))
        return Settings(user, row.source)

    def save_personal(self, user: User, *, at: datetime) -> bool:
        with self._engine.begin() as conn:
            row = conn.execute(
                select(_u.c.id, _u.c.spec).where(_u.c.name == user.name).with_for_update()
            ).first()
            if row is None:
                return False
            old = open_spec(row.spec or {}, self._box)
            spec = dict(old)
            fresh = to_spec(user)
            allowed = personal_of(row.spec)  # as stored now: never write the catalog's fields
            for field in allowed:
                if field in fresh:
                    spec[field] = fresh[field]
                else:
                    spec.pop(field, None)
            spec[PERSONAL_KEY] = sorted(allowed)
            sealed = seal_spec(spec, self._box)
            conn.execute(update(_u).where(_u.c.id == row.id).values(spec=sealed, updated_at=at))
            changed = sorted(f for f in allowed if old.get(f) != spec.get(f))
            if changed:
                record(
                    conn,
                    at=at,
                    kind="settings",
                    name=user.name,
                    action="updated",
                    before={f: old.get(f) for f in changed},
                    after={f: spec.get(f) for f in changed},
                )
            if spec != row.spec:  # rules may have changed: pages in progress are planned again
                wake_pages_of(conn, user.name, at)
        return True

    def calendar_link_made(self, name: str) -> datetime | None:
        """When the user's current feed link was made (``None``: they have none)."""
        c = t.calendar_tokens
        with self._engine.connect() as conn:
            found: datetime | None = conn.execute(
                select(c.c.created_at).join(_u, _u.c.id == c.c.user_id).where(_u.c.name == name)
            ).scalar()
        return found
