"""What routed ingest costs the database: a batch's routed events read their services in one
query, and a router is read and compiled again only when it changed (SQLite and
PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.engine import read_only
from ownit.adapters.db.ingest_reads import BatchReader, ParsedServices
from ownit.adapters.db.router_store import SqlRouterStore
from ownit.app import catalog
from ownit.app.routing import RouterBook
from ownit.domain.events import Action, Event
from ownit.domain.ingest.resolution import (
    Resolution,
    Routed,
    Source,
    resolve_batch,
    route_events,
    routed_services,
)
from tests.builders import FakeClock
from tests.integration.test_routing_ingest import CATALOG, ROUTER_KEY


def apply(engine: Engine, tmp_path: Path, text: str) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(text)
    catalog.apply(
        store=SqlCatalogStore(engine),
        documents=load_files([str(path)]).documents,
        clock=FakeClock(),
    )


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def routed(n: int, **labels: str) -> Event:
    return Event("events-v2", ROUTER_KEY, Action.TRIGGER, f"d{n}", "broken", custom_details=labels)


def resolve(
    reader: BatchReader,
    items: list[list[Event]],
    sources: Mapping[str, Source],
    decided: Sequence[Sequence[Routed | None]],
) -> list[list[Resolution | None]]:
    """Where each event goes, from what ``reader`` has read (as the ingest store does)."""
    return resolve_batch(
        items, sources=sources, routed=decided, services=reader.services, policies=reader.policies
    )


def test_a_batch_reads_its_routed_services_once(engine: Engine, tmp_path: Path) -> None:
    apply(engine, tmp_path, CATALOG)
    # As ingest does: routers are read through the read-only engine (the writer holds the lock).
    book = RouterBook(store=SqlRouterStore(read_only(engine)), clock=FakeClock())
    events = [
        routed(1, team="payments", module="refunds"),
        routed(2, team="payments"),
        routed(3, team="search"),
        routed(4, team="payments", module="refunds-v2"),
    ]
    with engine.begin() as conn:
        reader = BatchReader(conn)
        sources = reader.sources({ROUTER_KEY})
        with statements(engine) as seen:
            decided = route_events([events], sources, book)
            reader.read_services(routed_services(decided))
        services = [s for s in seen if "FROM services" in s]
        assert len(services) == 1, seen
        with statements(engine) as seen:
            [found] = resolve(reader, [events], sources, decided)
        assert seen == []  # every decision and service was ready
    pages = [[(p.component, p.integration_name) for p in r.pages] for r in found if r]
    assert pages == [
        [("refunds", "router/prod")],
        [(None, "router/prod")],
        [(None, "router/prod")],
        [("refunds", "router/prod")],
    ]


class CountingStore(SqlRouterStore):
    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.reads = 0

    def router_by_key(self, key: str) -> Any:
        self.reads += 1
        return super().router_by_key(key)


def test_the_router_is_compiled_again_only_when_it_changed(engine: Engine, tmp_path: Path) -> None:
    apply(engine, tmp_path, CATALOG)
    clock = FakeClock()
    store = CountingStore(engine)
    book = RouterBook(store=store, clock=clock)
    labels = {"team": "payments"}
    assert book.decide(ROUTER_KEY, labels).results[0].service == "monolith"  # type: ignore[union-attr]
    clock.advance(seconds=11)
    assert book.decide(ROUTER_KEY, labels).results[0].service == "monolith"  # type: ignore[union-attr]
    assert store.reads == 1  # looked at again, unchanged: not read again
    apply(engine, tmp_path, CATALOG.replace('team="payments"', 'team="nobody"'))
    clock.advance(seconds=11)
    assert book.decide(ROUTER_KEY, labels).results[0].service == "other"  # type: ignore[union-attr]
    assert store.reads == 2


def test_services_are_parsed_once_and_again_when_they_change(
    engine: Engine, tmp_path: Path
) -> None:
    """Kept across batches by their stored text: the same object while unchanged, a new one
    (with the change) as soon as the catalog changes it — even at the same clock time."""
    apply(engine, tmp_path, CATALOG)
    book = RouterBook(store=SqlRouterStore(read_only(engine)), clock=FakeClock())
    parsed = ParsedServices()
    refunds = routed(1, team="payments", module="refunds")

    def batch() -> Any:
        with engine.begin() as conn:
            reader = BatchReader(conn, parsed)
            sources = reader.sources({ROUTER_KEY})
            decided = route_events([[refunds]], sources, book)
            reader.read_services(routed_services(decided))
            [[found]] = resolve(reader, [[refunds]], sources, decided)
            assert found is not None
            return found.pages[0], reader.services["monolith"]

    (first, service), (again, same) = batch(), batch()
    assert first.component == again.component == "refunds"
    assert same is service  # not parsed again
    assert first.policy is not None
    assert first.policy["name"] == "refunds"
    before = "{name: refunds, owner: refunds, escalationPolicy: refunds,"
    after = "{name: refunds, owner: refunds, escalationPolicy: payments,"
    assert before in CATALOG
    apply(engine, tmp_path, CATALOG.replace(before, after))
    changed, fresh = batch()
    assert fresh is not service
    assert changed.policy is not None
    assert changed.policy["name"] == "payments"  # the change holds at once
