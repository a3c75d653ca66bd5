"""MaintenanceWindow and Heartbeat documents on a real database (SQLite and PostgreSQL):
apply, keys kept, export round trip, all or nothing, and their effect on events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from ownit.adapters.catalog.yaml_source import dump_documents, load_text
from ownit.adapters.db import tables as t
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.app import catalog as use
from ownit.app.catalog import InvalidCatalog
from ownit.app.tokens import create_token
from ownit.bootstrap import build_app
from ownit.domain.key_digests import key_digest
from ownit.settings import Settings
from tests.builders import T0, FakeClock

KEY = "0123456789abcdef0123456789abcdef"
BEAT_KEY = "fedcba9876543210fedcba9876543210"

CATALOG = f"""\
apiVersion: ownit/v1
kind: Team
metadata: {{name: payments}}
spec: {{}}
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: checkout-api}}
spec:
  owner: payments
  integrations: [{{name: events, type: events-v2, key: "{KEY}"}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: payments-db}}
spec: {{owner: payments}}
"""

WINDOW = """\
apiVersion: ownit/v1
kind: MaintenanceWindow
metadata: {name: db-upgrade}
spec:
  services: [payments-db, checkout-api]
  start: "2026-11-26T13:00:00+01:00"
  end: 2026-11-26T13:00:00Z
  description: Postgres 17
"""

OPS = (
    WINDOW
    + """---
apiVersion: ownit/v1
kind: Heartbeat
metadata: {name: nightly-backup}
spec:
  service: payments-db
  interval: 1d
  grace: 30m
---
apiVersion: ownit/v1
kind: Heartbeat
metadata: {name: given-key}
spec:
  service: checkout-api
  interval: 5m
  key: "BEAT_KEY"
""".replace("BEAT_KEY", BEAT_KEY)
)


def apply(engine: Engine, *texts: str, prune: bool = False) -> use.ApplyResult:
    documents = tuple(d for n, text in enumerate(texts) for d in load_text(text, f"f{n}").documents)
    return use.apply(
        store=SqlCatalogStore(engine),
        documents=documents,
        clock=FakeClock(),
        prune=prune,
        new_key=iter(
            ["generated0000000000000000000000a", "generated0000000000000000000000b"]
        ).__next__,
    )


def test_apply_stores_windows_and_heartbeats_and_export_round_trips(engine: Engine) -> None:
    result = apply(engine, CATALOG, OPS)
    assert [(c.action, c.kind, c.name) for c in result.diff.changes if c.kind != "Team"][2:] == [
        ("create", "MaintenanceWindow", "db-upgrade"),
        ("create", "Heartbeat", "given-key"),
        ("create", "Heartbeat", "nightly-backup"),
    ]
    with engine.connect() as conn:
        window = conn.execute(select(t.maintenance_windows)).one()
        assert (window.start_at, window.end_at) == (T0, T0 + timedelta(hours=1))
        assert (window.source, window.description) == ("catalog", "Postgres 17")
        assert (
            conn.execute(select(func.count()).select_from(t.maintenance_window_services)).scalar()
            == 2
        )
        beats = {r.name: r for r in conn.execute(select(t.heartbeats))}
    # Kept as SHA-256 with a hint (decision 0035); the apply's answer shows the keys once.
    assert beats["nightly-backup"].key == key_digest("generated0000000000000000000000a")
    assert beats["nightly-backup"].key_hint == "gene"
    assert [(b.name, b.key, b.generated) for b in result.new_heartbeats] == [
        ("given-key", BEAT_KEY, False),
        ("nightly-backup", "generated0000000000000000000000a", True),
    ]
    assert (beats["nightly-backup"].interval_seconds, beats["nightly-backup"].grace_seconds) == (
        86400,
        1800,
    )
    assert beats["nightly-backup"].state == "waiting"
    assert beats["nightly-backup"].due_at == T0 + timedelta(days=1, minutes=30)
    assert beats["given-key"].key == key_digest(BEAT_KEY)
    assert beats["given-key"].grace_seconds == 300  # the default

    again = apply(engine, CATALOG, OPS)  # no key in the file: the stored one stays
    assert again.diff.is_empty
    assert again.new_heartbeats == ()
    exported = dump_documents(use.export(store=SqlCatalogStore(engine)))
    assert "key:" not in exported
    assert "start: '2026-11-26T12:00:00Z'" in exported or "start: 2026-11-26T12:00:00Z" in exported
    assert apply(engine, exported).diff.is_empty
    assert dump_documents(use.export(store=SqlCatalogStore(engine))) == exported


def test_changes_update_and_prune_deletes(engine: Engine) -> None:
    apply(engine, CATALOG, OPS)
    changed = OPS.replace("services: [payments-db, checkout-api]", "services: [payments-db]")
    changed = changed.replace("interval: 5m", "interval: 10m")
    diff = apply(engine, CATALOG, changed).diff
    assert [(c.action, c.name, [f.path for f in c.fields]) for c in diff.of("update")] == [
        ("update", "db-upgrade", ["services"]),
        ("update", "given-key", ["interval"]),
    ]
    with engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(t.maintenance_window_services)).scalar()
            == 1
        )
    pruned = apply(engine, CATALOG, prune=True).diff  # the ops documents are gone
    assert sorted((c.kind, c.name) for c in pruned.of("delete")) == [
        ("Heartbeat", "given-key"),
        ("Heartbeat", "nightly-backup"),
        ("MaintenanceWindow", "db-upgrade"),
    ]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.heartbeats)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(t.maintenance_windows)).scalar() == 0


def test_a_bad_window_applies_nothing(engine: Engine) -> None:
    bad = OPS.replace("end: 2026-11-26T13:00:00Z", "end: 2026-11-26T11:00:00Z")
    with pytest.raises(InvalidCatalog) as caught:
        apply(engine, CATALOG, bad)
    assert [str(p) for p in caught.value.problems] == [
        'f1:7: end "2026-11-26T11:00:00+00:00" is not after start "2026-11-26T13:00:00+01:00": '
        "a maintenance window must end after it starts"
    ]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.services)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(t.heartbeats)).scalar() == 0


def test_a_catalog_window_suppresses_and_cannot_be_cancelled_by_the_api(engine: Engine) -> None:
    apply(engine, CATALOG, OPS)
    clock = FakeClock()
    settings = Settings(database_url=str(engine.url), events_rate_limit=0)
    token = create_token(store=SqlTokenStore(engine), clock=clock, name="ops", role="admin")
    admin = {"Authorization": f"Bearer {token}"}
    event = {
        "routing_key": KEY,
        "event_action": "trigger",
        "dedup_key": "x",
        "payload": {"summary": "Slow queries", "source": "db", "severity": "error"},
    }
    with TestClient(build_app(settings, engine, clock=clock)) as client:
        assert client.post("/v2/enqueue", json=event).status_code == 202
        assert client.get("/api/v1/incidents", headers=admin).json()["incidents"] == []
        [window] = client.get("/api/v1/maintenance-windows", headers=admin).json()[
            "maintenance_windows"
        ]
        assert (window["name"], window["state"], window["source"]) == (
            "db-upgrade",
            "active",
            "catalog",
        )
        r = client.delete(f"/api/v1/maintenance-windows/{window['id']}", headers=admin)
        assert r.status_code == 403
        assert "edit or remove it there" in r.json()["detail"]
        clock.advance(hours=1)
        assert client.post("/v2/enqueue", json=event).status_code == 202
        assert len(client.get("/api/v1/incidents", headers=admin).json()["incidents"]) == 1
