"""A small world for engine tests: a catalog applied, a real webhook receiver on loopback,
a worker and the app on a fake clock (SQLite and PostgreSQL through ``engine``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db import tables as t
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.app import catalog
from ownit.app.tokens import create_token
from ownit.bootstrap import build_app, build_worker
from ownit.domain.outbound import AllowList
from ownit.settings import Settings
from ownit.worker.loop import Worker
from tests.builders import FakeClock
from tests.integration.receivers import HttpReceiver, http_receiver, smtp_server

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@dataclass
class World:
    client: TestClient
    clock: FakeClock
    work: Worker
    hook: HttpReceiver
    engine: Engine
    settings: Settings
    token: str

    key: str
    mail: list[Message]

    def send(self, action: str = "trigger", dedup: str = "disk", **details: Any) -> None:
        body: dict[str, Any] = {"routing_key": self.key, "event_action": action, "dedup_key": dedup}
        if action == "trigger":
            body["payload"] = {"summary": f"{dedup} on db-1", "source": "db-1", "severity": "error"}
            if details:
                body["payload"]["custom_details"] = details
        assert self.client.post("/v2/enqueue", json=body).status_code == 202

    def cycle(self, **advance: int) -> None:
        self.clock.advance(**advance)
        self.work.run_once()

    def incident(self, ref: str = "1") -> dict[str, Any]:
        r = self.client.get(
            f"/api/v1/incidents/{ref}", headers={"Authorization": f"Bearer {self.token}"}
        )
        assert r.status_code == 200, r.text
        found: dict[str, Any] = r.json()["incident"]
        return found

    def resolutions(self) -> list[tuple[str, str]]:
        le = t.log_entries
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(le.c.actor, le.c.message)
                .where(le.c.kind == "resolved", le.c.actor != "engine")
                .order_by(le.c.id)
            ).all()
        return [(r.actor, r.message) for r in rows]

    def pages(self) -> list[str]:
        return [r.path for r in self.hook.requests]


@contextmanager
def paging_world(engine: Engine, tmp_path: Path, text: str, key: str) -> Iterator[World]:
    """``text`` is a catalog with ``{hook}``, ``{secret}`` and ``{key}`` to fill in. E-mail
    goes to a real SMTP server on loopback; what it received is in ``World.mail``."""
    with http_receiver() as hook, smtp_server() as (smtp_port, mail):
        path = tmp_path / "catalog.yaml"
        path.write_text(text.format(hook=hook.url, key=key, secret=SECRET))
        clock = FakeClock()
        loaded = load_files([str(path)])
        catalog.apply(store=SqlCatalogStore(engine), documents=loaded.documents, clock=clock)
        settings = Settings(
            database_url=str(engine.url),
            events_rate_limit=0,
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            smtp_security="none",
            outbound_allow=AllowList.parse("127.0.0.0/8"),  # the receivers are on loopback
        )
        work = build_worker(settings, engine, clock=clock)
        token = create_token(store=SqlTokenStore(engine), clock=clock, name="ops", role="responder")
        with TestClient(build_app(settings, engine, clock=clock)) as client:
            yield World(client, clock, work, hook, engine, settings, token, key, mail)
        work.stop()


def payments_on_call(
    *, after: str = "10m", team: str = "", service: str = "", integrations: str = ""
) -> str:
    """The rest of a one-service catalog for :func:`paging_world`, after its users: team
    ``payments`` with alice as manager, policy ``payments`` paging alice (its next level
    ``after`` later), service ``checkout-api`` with an events-v2 integration on ``{key}``.
    ``team`` and ``service`` are extra lines of their specs, ``integrations`` extra items
    (two-space YAML indent; braces doubled, the text is filled in by ``str.format``)."""
    return f"""
apiVersion: ownit/v1
kind: Team
metadata: {{{{name: payments}}}}
spec:
  members: [{{{{user: alice, role: manager}}}}]
{team}---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{{{name: payments}}}}
spec:
  team: payments
  levels:
    - after: {after}
      targets: [{{{{user: alice}}}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{{{name: checkout-api}}}}
spec:
  owner: payments
  escalationPolicy: payments
  urgency: high
{service}  integrations:
    - {{{{name: events, type: events-v2, key: {{key}}}}}}
{integrations}"""
