"""Read model of the catalog for the API and CLI: services, teams, users, integrations."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update

from ownit.adapters.db import tables as t
from ownit.adapters.db.audit_log import record
from ownit.adapters.db.rows import row_dict
from ownit.domain.key_digests import key_digest, key_hint, masked


class SqlDirectory:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def dependency_graph(self) -> dict[str, tuple[str, ...]]:
        """Each service's ``dependsOn``: only that part of each spec is read and decoded."""
        s = t.services
        with self._engine.connect() as conn:
            rows = conn.execute(select(s.c.name, s.c.spec["dependsOn"])).all()
        return {name: tuple(found or ()) for name, found in rows}

    def service(self, name: str) -> dict[str, Any] | None:
        """One service as :meth:`services` shows it."""
        found = self.services(name)
        return found[0] if found else None

    def services(self, name: str | None = None) -> list[dict[str, Any]]:
        s, tm, ep = t.services, t.teams, t.escalation_policies
        query = (
            select(
                s.c.id,
                s.c.name,
                s.c.description,
                tm.c.name.label("owner"),
                ep.c.name.label("escalation_policy"),
                s.c.tier,
                s.c.urgency,
                s.c.spec,
            )
            .outerjoin(tm, tm.c.id == s.c.owner_team_id)
            .outerjoin(ep, ep.c.id == s.c.escalation_policy_id)
            .order_by(s.c.name)
        )
        if name is not None:
            query = query.where(s.c.name == name)
        with self._engine.connect() as conn:
            rows = [row_dict(r) for r in conn.execute(query)]
        for row in rows:
            spec = row.pop("spec") or {}
            row["runbook"] = spec.get("runbook")
            row["runbook_text"] = spec.get("runbookText")
            row["docs"] = list(spec.get("docs") or [])
            row["contract"] = spec.get("contract")
            row["depends_on"] = list(spec.get("dependsOn") or [])
            row["lifecycle"] = spec.get("lifecycle")
            row["tags"] = list(spec.get("tags") or [])
            row["labels"] = dict(spec.get("labels") or {})
            row["components"] = [
                {
                    "name": part.get("name"),
                    "owner": part.get("owner"),
                    "escalation_policy": part.get("escalationPolicy"),
                }
                for part in spec.get("components") or ()
                if isinstance(part, dict)
            ]
        return rows

    def service_names(self) -> list[str]:
        """Every service's name, sorted (what a filter offers; cheaper than ``services``)."""
        with self._engine.connect() as conn:
            return list(
                conn.execute(select(t.services.c.name).order_by(t.services.c.name)).scalars()
            )

    def teams(self) -> list[dict[str, Any]]:
        with self._engine.connect() as conn:
            teams = [
                row_dict(r)
                for r in conn.execute(
                    select(t.teams.c.id, t.teams.c.name, t.teams.c.display_name).order_by(
                        t.teams.c.name
                    )
                )
            ]
            members = conn.execute(
                select(t.team_members.c.team_id, t.users.c.name, t.team_members.c.role)
                .join(t.users, t.users.c.id == t.team_members.c.user_id)
                .order_by(t.users.c.name)
            ).all()
        by_team: dict[int, list[dict[str, str]]] = {}
        for team_id, user, role in members:
            by_team.setdefault(team_id, []).append({"user": user, "role": role})
        for team in teams:
            team["members"] = by_team.get(team["id"], [])
        return teams

    def users(self) -> list[dict[str, Any]]:
        u = t.users
        with self._engine.connect() as conn:
            return [
                row_dict(r)
                for r in conn.execute(
                    select(u.c.id, u.c.name, u.c.display_name, u.c.email, u.c.timezone).order_by(
                        u.c.name
                    )
                )
            ]

    def integrations(self) -> list[dict[str, Any]]:
        i, s = t.integrations, t.services
        query = (
            select(
                i.c.id,
                i.c.name,
                i.c.type,
                i.c.key_hint,
                s.c.name.label("service"),
                i.c.created_at,
            )
            .outerjoin(s, s.c.id == i.c.service_id)
            .order_by(s.c.name, i.c.name)
        )
        with self._engine.connect() as conn:
            rows = [row_dict(r) for r in conn.execute(query)]
        # Only the key's digest is kept (decision 0035): its hint is all that can be shown.
        return [{"key": masked(r.pop("key_hint"))} | r for r in rows]

    def rotate_key(self, integration_id: int, at: datetime) -> dict[str, Any] | None:
        """Give the integration a new key; the old one stops working at once. The answer
        holds the new key: the only time it is shown (only its digest is kept)."""
        i, s = t.integrations, t.services
        new_key = secrets.token_hex(16)
        with self._engine.begin() as conn:
            result = conn.execute(
                update(i)
                .where(i.c.id == integration_id)
                .values(key=key_digest(new_key), key_hint=key_hint(new_key))
            )
            if result.rowcount != 1:
                return None
            service, name = conn.execute(
                select(s.c.name, i.c.name)
                .join(s, s.c.id == i.c.service_id)
                .where(i.c.id == integration_id)
            ).one()
            key = "(secret)"
            record(
                conn,
                at=at,
                kind="integration",
                name=f"{service}/{name}",
                action="key-rotated",
                before={"key": key},
                after={"key": key},
            )
        found = next((i for i in self.integrations() if i["id"] == integration_id), None)
        return None if found is None else found | {"key": new_key}
