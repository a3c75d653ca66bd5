"""A batch plans on the sources its keys had in earlier batches, and reads them again with
what the plan needs (decision 0080): whatever changed in the catalog since, the batch does
what it would have done had it read its keys first."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select, update

from ownit.adapters.db import tables as t
from ownit.adapters.db.ingest_reads import KnownSources
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.app.ingest import ItemResult
from ownit.domain.events import Action, Event, Severity
from ownit.domain.ingest.resolution import Source
from ownit.domain.ingest.services import parse_service
from tests.builders import T0, add_service

KEY = "known000000000000000000000000001"


def trigger(dedup: str, key: str = KEY) -> list[Event]:
    return [Event("events-v2", key, Action.TRIGGER, dedup, f"s {dedup}", "src", Severity.ERROR)]


def _remove_key(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(t.integrations.delete())


def _low_urgency(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(update(t.services).values(urgency="low", spec={"urgency": "low"}))


def _move_key(engine: Engine) -> None:
    other = add_service(engine, "elsewhere", urgency="high")
    with engine.begin() as conn:
        conn.execute(update(t.integrations).values(service_id=other))


def _incident(engine: Engine, dedup: str) -> tuple[str, str] | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(t.services.c.name, t.incidents.c.urgency)
            .join(t.services, t.services.c.id == t.incidents.c.service_id)
            .where(t.incidents.c.dedup_key == dedup)
        ).first()
    return None if row is None else (row[0], row[1])


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(None, ("known", "high"), id="unchanged"),
        pytest.param(_remove_key, None, id="key-removed"),
        pytest.param(_low_urgency, ("known", "low"), id="service-changed"),
        pytest.param(_move_key, ("elsewhere", "high"), id="key-moved"),
    ],
)
def test_a_batch_does_what_the_catalog_says_now(
    engine: Engine,
    change: Callable[[Engine], None] | None,
    expected: tuple[str, str] | None,
) -> None:
    add_service(engine, "known", urgency="high", keys={"events": KEY})
    store = SqlIngestStore(engine)
    [first] = store.apply_batch([trigger("before")], T0)
    assert first.accepted
    if change is not None:
        change(engine)
    [seen] = store.apply_batch([trigger("after")], T0)  # planned on what "before" read
    [fresh] = SqlIngestStore(engine).apply_batch([trigger("fresh")], T0)  # nothing known
    assert _incident(engine, "after") == expected
    assert _incident(engine, "fresh") == expected
    assert _answer(seen) == _answer(fresh)
    [again] = store.apply_batch([trigger("again")], T0)  # and what it read is known now
    assert _incident(engine, "again") == expected
    assert _answer(again) == _answer(fresh)


def _answer(result: ItemResult) -> tuple[bool, tuple[str, ...], str | None]:
    return result.accepted, tuple(result.outcomes), result.error


def test_a_key_never_found_is_read_first(engine: Engine) -> None:
    """A key no batch found (not an integration's when it was read) is no guess: the batch
    reads it first, and finds it once it exists."""
    store = SqlIngestStore(engine)
    [unknown] = store.apply_batch([trigger("a")], T0)
    assert not unknown.accepted
    add_service(engine, "late", urgency="high", keys={"events": KEY})
    [known] = store.apply_batch([trigger("b")], T0)
    assert known.accepted
    assert _incident(engine, "b") == ("late", "high")


def _source(components: list[dict[str, object]] | None = None) -> Source:
    spec = {"components": components} if components is not None else {}
    service = parse_service(
        service_id=1, name="s", urgency="high", spec=spec, policy_name=None, policy_spec=None
    )
    return Source(1, "events", service)


@pytest.mark.parametrize(
    ("seen", "asked", "guessed"),
    [
        pytest.param([({"k"}, {"k": "plain"})], {"k"}, {"k": "plain"}, id="seen"),
        pytest.param([({"k"}, {"k": "plain"})], {"k", "other"}, None, id="one-never-seen"),
        pytest.param([({"k"}, {"k": "plain"}), ({"k"}, {})], {"k"}, None, id="found-no-more"),
        pytest.param([({"k"}, {"k": "policed"})], {"k"}, None, id="component-policy"),
        pytest.param([({"k"}, {"k": "component"})], {"k"}, {"k": "component"}, id="component"),
        pytest.param([], set(), None, id="no-keys"),
    ],
)
def test_what_a_batch_is_planned_on(
    seen: list[tuple[set[str], dict[str, str]]], asked: set[str], guessed: dict[str, str] | None
) -> None:
    """A key is guessed only as last found; a key no longer found, or a service whose
    components name their own policies (read after the services), makes no guess."""
    sources = {
        "plain": _source(),
        "component": _source([{"name": "db", "match": ['app="db"']}]),
        "policed": _source([{"name": "db", "escalationPolicy": "dba"}]),
    }
    known = KnownSources()
    for keys, found in seen:
        known.saw(keys, {key: sources[kind] for key, kind in found.items()})
    expected = None if guessed is None else {k: sources[v] for k, v in guessed.items()}
    assert known.guess(asked) == expected
