"""One service whose policy pages alice (no contact: the engine advances, nothing is sent),
applied as a catalog: what the engine's claim and pacing tests start from."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.app import catalog
from tests.builders import FakeClock

CATALOG = """
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec:
  email: alice@example.com
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: ops}}
spec:
  members: [{{user: alice}}]
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{name: ops}}
spec:
  team: ops
  levels: [{{after: 30m, targets: [{{user: alice}}]}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: {service}}}
spec:
  owner: ops
  escalationPolicy: ops
  integrations: [{{name: events, type: events-v2, key: {key}}}]
"""


def paged_service(engine: Engine, tmp_path: Path, *, key: str, service: str) -> FakeClock:
    """Apply the catalog (``service`` with integration ``key``); the clock it was applied at."""
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG.format(key=key, service=service))
    loaded = load_files([str(path)])
    assert not loaded.problems
    clock = FakeClock()
    catalog.apply(store=SqlCatalogStore(engine), documents=loaded.documents, clock=clock)
    return clock
