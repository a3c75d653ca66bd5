"""Integration, router and heartbeat keys are kept as SHA-256 digests (decision 0035): the
database holds no key, every path still takes the key itself, the digest is no key, and
applying an unchanged file changes nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from ownit.adapters.catalog.yaml_source import load_text
from ownit.adapters.db import tables as t
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.engine import make_engine
from ownit.adapters.db.migrate import upgrade
from ownit.app import catalog as use
from ownit.bootstrap import build_app
from ownit.cli.main import main
from ownit.settings import Settings
from tests.builders import FakeClock

INTEGRATION_KEY = "int0" + "1" * 28
ROUTER_KEY = "rout" + "2" * 28
BEAT_KEY = "beat" + "3" * 28
NEW_KEY = "next" + "4" * 28


def catalog(integration_key: str = INTEGRATION_KEY) -> str:
    return f"""\
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
  integrations: [{{name: events, type: events-v2, key: "{integration_key}"}}]
---
apiVersion: ownit/v1
kind: Router
metadata: {{name: edge}}
spec:
  key: "{ROUTER_KEY}"
  route: {{service: checkout-api}}
---
apiVersion: ownit/v1
kind: Heartbeat
metadata: {{name: nightly}}
spec: {{service: checkout-api, interval: 1h, key: "{BEAT_KEY}"}}
"""


def apply(engine: Engine, text: str) -> use.ApplyResult:
    loaded = load_text(text, "catalog.yaml")
    assert loaded.problems == ()
    return use.apply(store=SqlCatalogStore(engine), documents=loaded.documents, clock=FakeClock())


def sha(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def trigger(key: str, dedup: str = "d1") -> dict[str, Any]:
    return {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup,
        "payload": {"summary": "disk full", "source": "db1", "severity": "critical"},
    }


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    apply(engine, catalog())
    settings = Settings(database_url=str(engine.url), events_rate_limit=0)
    with TestClient(build_app(settings, engine, clock=FakeClock())) as c:
        yield c


def everything_stored(engine: Engine) -> str:
    with engine.connect() as conn:
        return repr(
            [
                [tuple(r) for r in conn.execute(select(table))]
                for table in (t.integrations, t.routers, t.heartbeats, t.events, t.audit_log)
            ]
        )


@pytest.mark.parametrize(
    ("table", "name", "key"),
    [
        (t.integrations, "events", INTEGRATION_KEY),
        (t.routers, "edge", ROUTER_KEY),
        (t.heartbeats, "nightly", BEAT_KEY),
    ],
)
def test_the_database_keeps_a_digest_and_a_hint(
    engine: Engine, table: Any, name: str, key: str
) -> None:
    result = apply(engine, catalog())
    with engine.connect() as conn:
        row = conn.execute(select(table.c.key, table.c.key_hint).where(table.c.name == name)).one()
    assert (row.key, row.key_hint) == (sha(key), key[:4])
    assert key not in everything_stored(engine)
    # ... and the apply's answer is where the keys are shown, once.
    shown = (
        [i.key for i in result.new_integrations]
        + [r.key for r in result.new_routers]
        + [b.key for b in result.new_heartbeats]
    )
    assert key in shown


def alerts() -> dict[str, Any]:
    alert = {
        "status": "firing",
        "labels": {"alertname": "Down"},
        "startsAt": "2026-12-01T00:00:00Z",
    }
    return {"version": "4", "status": "firing", "receiver": "ownit", "alerts": [alert]}


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/v2/enqueue", trigger(INTEGRATION_KEY), 202),  # an integration's key
        ("/v2/enqueue", trigger(ROUTER_KEY), 202),  # a router's key
        (f"/integrations/alertmanager/{ROUTER_KEY}", alerts(), 200),  # a router's, in the path
        ("/v2/enqueue", trigger(sha(INTEGRATION_KEY)), 400),  # the digest is no key
        (f"/integrations/alertmanager/{sha(ROUTER_KEY)}", alerts(), 401),  # nor in the path
        ("/v2/enqueue", trigger(BEAT_KEY), 400),  # a heartbeat's key: its ping only
    ],
)
def test_events_are_taken_with_the_key_never_with_its_digest(
    client: TestClient, engine: Engine, path: str, body: Any, status: int
) -> None:
    r = client.post(path, json=body)
    assert r.status_code == status, r.text
    with engine.connect() as conn:
        kept = conn.execute(select(t.events.c.routing_key)).scalars().all()
    if status < 300:  # events keep the key's digest, too
        key = body.get("routing_key") or path.rsplit("/", 1)[1]
        assert kept == [sha(key)]
    else:
        assert kept == []


@pytest.mark.parametrize(
    ("key", "status"),
    [(BEAT_KEY, 200), (sha(BEAT_KEY), 401), (INTEGRATION_KEY, 401)],
)
def test_a_ping_takes_the_heartbeat_key_only(client: TestClient, key: str, status: int) -> None:
    r = client.post("/api/v1/heartbeats/nightly/ping", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == status, r.text


def test_unchanged_keys_apply_as_no_change_and_a_new_key_replaces_the_old(
    client: TestClient, engine: Engine
) -> None:
    assert apply(engine, catalog()).diff.is_empty  # digests compared with the file's keys
    changed = apply(engine, catalog(NEW_KEY))
    [update] = changed.diff.of("update")
    assert [(f.path, f.secret) for f in update.fields] == [("integrations.events.key", True)]
    assert client.post("/v2/enqueue", json=trigger(INTEGRATION_KEY)).status_code == 400
    assert client.post("/v2/enqueue", json=trigger(NEW_KEY)).status_code == 202
    with engine.connect() as conn:
        hint = conn.execute(select(t.integrations.c.key_hint)).scalar_one()
    assert hint == NEW_KEY[:4]


def test_a_stored_key_given_to_another_object_is_refused(engine: Engine) -> None:
    apply(engine, catalog())
    other = f"""\
apiVersion: ownit/v1
kind: Service
metadata: {{name: other}}
spec:
  owner: payments
  integrations: [{{name: e, type: events-v2, key: "{ROUTER_KEY}"}}]
"""
    loaded = load_text(other, "other.yaml")
    problems = use.lint(loaded.documents, SqlCatalogStore(engine).snapshot())
    assert [(p.line, p.message) for p in problems] == [
        (6, 'integrations[0].key is already used by router "edge"')
    ]


def test_export_writes_no_key_and_says_so(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    apply(engine, catalog())
    monkeypatch.setenv("OWNIT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    capsys.readouterr()
    assert main(["catalog", "export"]) == 0
    out, err = capsys.readouterr()
    assert "key:" not in out
    assert "keys are not exported" in err
    # Applied again, the export keeps every key the database has.
    assert apply(engine, out).diff.is_empty


def test_migration_0012_hashes_the_keys_kept_before(database_url: str, tmp_path: Path) -> None:
    engine = make_engine(database_url)
    at = datetime(2026, 12, 1, tzinfo=UTC)
    try:
        upgrade(engine, "0011")
        with engine.begin() as conn:
            sid = conn.execute(
                t.services.insert()
                .values(name="s", urgency="high", spec={}, created_at=at, updated_at=at)
                .returning(t.services.c.id)
            ).scalar_one()
            conn.execute(
                t.integrations.insert().values(
                    service_id=sid, name="e", type="events-v2", key=INTEGRATION_KEY, created_at=at
                )
            )
            conn.execute(
                t.routers.insert().values(
                    name="r", key=ROUTER_KEY, spec={}, created_at=at, updated_at=at
                )
            )
            conn.execute(
                t.heartbeats.insert().values(
                    name="h",
                    service_id=sid,
                    interval_seconds=60,
                    grace_seconds=60,
                    key=BEAT_KEY,
                    spec={},
                    due_at=at,
                    created_at=at,
                    updated_at=at,
                )
            )
            conn.execute(
                t.events.insert(),
                [
                    {"id": f"e{n}", "received_at": at, "format": "events-v2"}
                    | {"routing_key": key, "action": "trigger", "outcome": "new alert"}
                    for n, key in enumerate([INTEGRATION_KEY, INTEGRATION_KEY, BEAT_KEY])
                ],
            )
        upgrade(engine)
        with engine.connect() as conn:
            found = {
                table.name: tuple(conn.execute(select(table.c.key, table.c.key_hint)).one())
                for table in (t.integrations, t.routers, t.heartbeats)
            }
            events = sorted(conn.execute(select(t.events.c.routing_key)).scalars())
        assert found == {
            "integrations": (sha(INTEGRATION_KEY), "int0"),
            "routers": (sha(ROUTER_KEY), "rout"),
            "heartbeats": (sha(BEAT_KEY), "beat"),
        }
        assert events == sorted([sha(INTEGRATION_KEY)] * 2 + [sha(BEAT_KEY)])
        upgrade(engine)  # again: nothing hashed twice
        with engine.connect() as conn:
            assert conn.execute(select(t.routers.c.key)).scalar_one() == sha(ROUTER_KEY)
    finally:
        engine.dispose()
