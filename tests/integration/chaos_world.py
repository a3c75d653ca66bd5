"""A running ownit for the Chaos Toolkit extension's tests: a real server on loopback with
its engine paging on the real clock, a catalog applied, API tokens, and a real webhook
receiver for alice's pages (SQLite and PostgreSQL through ``engine``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.app import catalog
from ownit.app.clock import SystemClock
from ownit.app.tokens import create_token
from ownit.domain.outbound import AllowList
from ownit.settings import Settings
from tests.integration.live import live_server
from tests.integration.paging_world import SECRET, payments_on_call
from tests.integration.receivers import HttpReceiver, http_receiver

KEY = "chaos0000000000000000000000000k1"

CATALOG = """
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec:
  email: alice@example.com
  contacts:
    - {{name: hook, type: webhook, url: "{hook}/alice", secret: "{secret}"}}
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: search}}
spec:
  members: [{{user: alice, role: responder}}]
---
apiVersion: ownit/v1
kind: Drill
metadata: {{name: checkout-weekly}}
spec: {{service: checkout-api, ackTarget: 5m}}
---
""" + payments_on_call()


@dataclass
class Ownit:
    url: str
    admin: str
    viewer: str
    responder: str
    hook: HttpReceiver
    key: str

    def configuration(self) -> dict[str, Any]:
        return {"ownit_url": self.url}

    def secrets(self, token: str | None = None) -> dict[str, Any]:
        return {"ownit_token": token or self.viewer}


@contextmanager
def running_ownit(engine: Engine, tmp_path: Path) -> Iterator[Ownit]:
    with http_receiver() as hook:
        path = tmp_path / "catalog.yaml"
        path.write_text(CATALOG.format(hook=hook.url, key=KEY, secret=SECRET))
        clock = SystemClock()
        documents = load_files([str(path)]).documents
        catalog.apply(store=SqlCatalogStore(engine), documents=documents, clock=clock)
        tokens = SqlTokenStore(engine)
        admin = create_token(store=tokens, clock=clock, name="chaos-admin", role="admin")
        viewer = create_token(store=tokens, clock=clock, name="chaos-viewer", role="viewer")
        responder = create_token(
            store=tokens, clock=clock, name="chaos-responder", role="responder"
        )
        settings = Settings(
            database_url=str(engine.url),
            events_rate_limit=0,
            outbound_allow=AllowList.parse("127.0.0.0/8"),  # the receiver is on loopback
        )
        with live_server(engine, settings, paging=True) as url:
            yield Ownit(url, admin, viewer, responder, hook, KEY)
