"""Migrations build exactly the schema the code declares, on both databases, and go back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, inspect, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.engine import make_engine
from ownit.adapters.db.migrate import current_revision, head_revision, is_current, upgrade
from ownit.adapters.db.migrations import versions
from ownit.adapters.db.tables import metadata


def test_migrated_schema_matches_the_tables(engine: Engine) -> None:
    """Exactly, but for the foreign keys to the incident that PostgreSQL does not keep
    (migration 0026, decision 0082): the declared tables are SQLite's."""
    assert is_current(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    not_kept = [(d[0], d[1].table.name, d[1].name) for d in diffs if d[0] == "add_fk"]
    expected = (
        [
            ("add_fk", part.name, f"fk_{part.name}_incident_id_incidents")
            for part in t.KEPT_BY_THE_CATALOG
        ]
        if engine.dialect.name == "postgresql"
        else []
    )
    assert sorted(not_kept) == sorted(expected)
    assert [d for d in diffs if d[0] != "add_fk"] == []


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_0008_drops_keys_from_kept_raw_events_and_refused_events(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0005")
        at = datetime(2026, 12, 1, tzinfo=UTC)
        row = {"received_at": at, "format": "events-v2", "routing_key": "k" * 32}
        with engine.begin() as conn:
            conn.execute(
                t.events.insert(),
                [
                    row
                    | {"id": "e1", "action": "trigger", "outcome": "new alert"}
                    | {"raw": {"routing_key": "k" * 32, "payload": {"summary": "s"}}},
                    row
                    | {"id": "e2", "action": "trigger", "outcome": "repeated"}
                    | {"raw": {"alert": {"labels": {}}}},
                    row | {"id": "e3", "action": "trigger", "outcome": "new alert", "raw": None},
                    row
                    | {"id": "e4", "action": "trigger"}
                    | {"outcome": "rejected: unknown routing key", "raw": {"routing_key": "x"}},
                ],
            )
        upgrade(engine)
        with engine.connect() as conn:
            kept = dict(conn.execute(select(t.events.c.id, t.events.c.raw)).all())
        assert kept == {
            "e1": {"payload": {"summary": "s"}},
            "e2": {"alert": {"labels": {}}},
            "e3": None,
        }
    finally:
        engine.dispose()


def test_0024_gives_each_escalation_its_incidents_service(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0023")
        at = datetime(2026, 12, 1, tzinfo=UTC)
        with engine.begin() as conn:
            for name in ("a", "b"):
                conn.execute(
                    t.services.insert().values(name=name, spec={}, created_at=at, updated_at=at)
                )
            ids = dict(conn.execute(select(t.services.c.name, t.services.c.id)).all())
            for number, (incident, service) in enumerate((("i1", "a"), ("i2", "b"), ("i3", "a"))):
                conn.execute(
                    t.incidents.insert().values(
                        id=incident,
                        org_id=1,  # the organisation migration 0001 made
                        number=number + 1,
                        title="t",
                        status="triggered",
                        urgency="high",
                        severity="critical",
                        service_id=ids[service],
                        dedup_key=incident,
                        created_at=at,
                        updated_at=at,
                    )
                )
                conn.execute(
                    t.escalations.insert().values(incident_id=incident, due_at=at, updated_at=at)
                )
        upgrade(engine)
        with engine.connect() as conn:
            found = dict(
                conn.execute(select(t.escalations.c.incident_id, t.escalations.c.service_id)).all()
            )
        assert found == {"i1": ids["a"], "i2": ids["b"], "i3": ids["a"]}
    finally:
        engine.dispose()


def test_0026_goes_back_to_the_keys_and_drops_what_outlived_its_incident(
    pg_database_url: str,
) -> None:
    """PostgreSQL: the downgrade puts the three keys back, after deleting the timeline
    entries, alerts and escalations whose incident is gone (the key would refuse them)."""
    engine = make_engine(pg_database_url)
    try:
        upgrade(engine)
        at = datetime(2026, 12, 1, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(
                t.log_entries.insert().values(
                    incident_id="inc-gone", at=at, kind="note", actor="a", message="m"
                )
            )
        config = Config()
        config.set_main_option("script_location", str(Path(versions.__file__).parent.parent))
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0025")
        with engine.connect() as conn:
            keys = {
                fk["name"]
                for part in t.KEPT_BY_THE_CATALOG
                for fk in inspect(conn).get_foreign_keys(part.name)
            }
            left = conn.execute(select(func.count()).select_from(t.log_entries)).scalar_one()
        assert {f"fk_{p.name}_incident_id_incidents" for p in t.KEPT_BY_THE_CATALOG} <= keys
        assert left == 0
        upgrade(engine)
        assert is_current(engine)
    finally:
        engine.dispose()
