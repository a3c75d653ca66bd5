"""A service removed from the catalog takes its incidents, and with them their alerts
(whatever service sent them), timeline entries and escalations. On PostgreSQL those three
keep no foreign key to the incident (decision 0082): the catalog deletes them itself, and
waits for an ingest batch still writing to the service. Both databases."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, func, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.engine import make_engine
from ownit.adapters.db.incident_regroup import merge_into
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.adapters.db.migrate import upgrade
from ownit.domain.events import Action, Event, Severity
from tests.builders import T0
from tests.integration.test_catalog_store import ORG, run

KEEP = "keepme00000000000000000000000001"
DROP = "dropme00000000000000000000000001"


def service(name: str, key: str) -> str:
    """A service of the team ``payments``, paged by its policy, with one integration."""
    return (
        "---\napiVersion: ownit/v1\nkind: Service\n"
        f"metadata: {{name: {name}}}\n"
        "spec:\n  owner: payments\n  escalationPolicy: payments\n"
        f"  integrations: [{{name: events, type: events-v2, key: {key}}}]\n"
    )


KEPT = ORG + service("keep-me", KEEP)  # the team, its policy and its people; a service
DROPPED = service("drop-me", DROP)


def trigger(key: str, dedup: str) -> list[Event]:
    return [Event("events-v2", key, Action.TRIGGER, dedup, f"s {dedup}", "src", Severity.ERROR)]


def incident_of(engine: Engine, dedup: str) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                select(t.incidents.c.id).where(t.incidents.c.dedup_key == dedup)
            ).scalar_one()
        )


def parts(engine: Engine) -> dict[str, list[str]]:
    """Each part table's incident ids, and the incidents there are."""
    with engine.connect() as conn:
        found = {
            part.name: sorted(conn.execute(select(part.c.incident_id)).scalars())
            for part in t.KEPT_BY_THE_CATALOG
        }
        found["incidents"] = sorted(conn.execute(select(t.incidents.c.id)).scalars())
    return found


def orphans(engine: Engine) -> int:
    with engine.connect() as conn:
        return sum(
            conn.execute(
                select(func.count())
                .select_from(part)
                .where(~part.c.incident_id.in_(select(t.incidents.c.id)))
            ).scalar_one()
            for part in t.KEPT_BY_THE_CATALOG
        )


def test_a_removed_service_takes_its_incidents_and_all_their_parts(engine: Engine) -> None:
    run(engine, KEPT + DROPPED, source="team")
    store = SqlIngestStore(engine)
    store.apply_batch([trigger(KEEP, "kept"), trigger(KEEP, "moved"), trigger(DROP, "gone")], T0)
    kept, moved, gone = (incident_of(engine, d) for d in ("kept", "moved", "gone"))
    with engine.begin() as conn:  # keep-me's alert now in drop-me's incident
        merge_into(conn, gone, [moved], by="alice", at=T0)
    before = parts(engine)
    assert {kept, moved, gone} <= set(before["incidents"])
    assert gone in before["alerts"]
    assert gone in before["log_entries"]

    run(engine, KEPT, source="team", prune=True)

    after = parts(engine)
    assert gone not in after["incidents"]
    for part in t.KEPT_BY_THE_CATALOG:
        # Drop-me's incident's parts are gone, keep-me's merged alert with them; the
        # other incidents' parts are as they were.
        assert after[part.name] == [i for i in before[part.name] if i != gone], part.name
    assert kept in after["alerts"]
    assert kept in after["escalations"]
    assert orphans(engine) == 0


def test_the_catalog_waits_for_a_batch_writing_to_the_service(pg_database_url: str) -> None:
    """A batch that opened an incident on drop-me and has not committed yet: the prune waits
    for it, then takes the batch's incident with the rest. PostgreSQL only: SQLite has one
    writer at a time, so nothing runs beside the batch."""
    engine = make_engine(pg_database_url)
    try:
        upgrade(engine)
        _prune_beside_a_batch(engine)
    finally:
        engine.dispose()


def _prune_beside_a_batch(engine: Engine) -> None:
    run(engine, KEPT + DROPPED, source="team")
    store = SqlIngestStore(engine)
    store.apply_batch([trigger(DROP, "early")], T0)
    done = threading.Event()
    failed: list[BaseException] = []

    def prune() -> None:
        try:
            run(engine, KEPT, source="team", prune=True)
        except BaseException as exc:  # reported below
            failed.append(exc)
        finally:
            done.set()

    with engine.begin() as conn:
        [result] = store.apply_in(conn, [trigger(DROP, "late")], T0)
        assert result.accepted
        pruning = threading.Thread(target=prune)
        pruning.start()
        assert not done.wait(1.0)  # held by the batch's lock on the service
    pruning.join(30)
    assert done.is_set()
    assert failed == []
    assert parts(engine) == {"incidents": [], "alerts": [], "log_entries": [], "escalations": []}
