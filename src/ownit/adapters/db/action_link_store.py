"""Used one-click action links (``used_action_links``) and a person's rights as they are now."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError

from ownit.adapters.db import tables as t
from ownit.adapters.db.account_store import team_roles
from ownit.domain.permissions import Actor, OrgRole

_used = t.used_action_links
# Links live 24 hours; a used one is remembered well past that, then forgotten.
KEEP_USED = timedelta(days=2)


class SqlActionLinks:
    """:class:`ownit.app.action_links.UsedLinks` and ``ResponderRights``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def use(self, digest: str, at: datetime) -> bool:
        try:
            with self._engine.begin() as conn:
                conn.execute(delete(_used).where(_used.c.used_at < at - KEEP_USED))
                conn.execute(_used.insert().values(digest=digest, used_at=at))
        except IntegrityError:
            return False
        return True

    def rights_of(self, user: str) -> Actor | None:
        u, c = t.users, t.user_credentials
        with self._engine.connect() as conn:
            row = conn.execute(
                select(u.c.id, c.c.org_role)
                .outerjoin(c, c.c.user_id == u.c.id)
                .where(u.c.name == user)
            ).first()
            if row is None:
                return None
            teams = team_roles(conn, row.id)
        # A paged person without a login is a member: their team roles decide.
        return Actor(OrgRole(row.org_role) if row.org_role else OrgRole.MEMBER, teams)

    def user_for_slack(self, slack_user_id: str) -> str | None:
        # A click is rare and users are few: read the specs and look (no JSON SQL that
        # would differ between SQLite and PostgreSQL).
        u = t.users
        with self._engine.connect() as conn:
            rows = conn.execute(select(u.c.name, u.c.spec).order_by(u.c.name)).all()
        for name, spec in rows:
            contacts = spec.get("contacts") if isinstance(spec, dict) else None
            for contact in contacts if isinstance(contacts, list) else ():
                if (
                    isinstance(contact, dict)
                    and contact.get("type") == "slack"
                    and contact.get("userId") == slack_user_id
                ):
                    return str(name)
        return None
