"""Where each event goes: its key's service, or a router's decision turned into pages,
quiet keeps and drops (with the decision path), then folded into the plan."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from ownit.domain.catalog import Router
from ownit.domain.events import Action, Event, event_labels
from ownit.domain.ingest.dedup import BatchPlan
from ownit.domain.ingest.planning import fold
from ownit.domain.ingest.resolution import (
    Resolution,
    Routed,
    Source,
    resolve_batch,
    resolve_routed,
    route_events,
    routed_services,
)
from ownit.domain.ingest.services import Component, IngestService
from ownit.domain.matchers import parse_matcher
from ownit.domain.routing import Decision, Route, compile_route

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ROUTER_KEY = "r" * 32
PLAIN_KEY = "p" * 32
BEAT_KEY = "h" * 32

MONOLITH = IngestService(
    1,
    "monolith",
    "high",
    {"name": "payments"},
    (Component("refunds", "refunds", (parse_matcher('module="refunds"'),)),),
)
OTHER = IngestService(2, "other", "low", None)
SERVICES = {"monolith": MONOLITH, "other": OTHER}
POLICIES: Mapping[str, Mapping[str, Any] | None] = {"refunds": {"name": "refunds"}}

TREE = Route.of(
    service="other",
    routes=[
        Route.of('env="staging"', action="drop"),
        Route.of('env="mixed"', action="drop", continue_=True),
        Route.of('env="mixed"', service="other"),
        Route.of('noise="yes"', action="suppress"),
        Route.of('team="ghost"', service="ghost"),
        Route.of('team="twice"', service="monolith", continue_=True),
        Route.of('team="twice"', service="monolith"),
        Route.of(
            'team="payments"',
            service="monolith",
            routes=[Route.of('module=~"refund.*"', component="refunds")],
        ),
    ],
)
COMPILED = compile_route(TREE)


class Book:
    """Routers by key, as the app's cache of compiled routers answers."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def decide(self, key: str, labels: Mapping[str, str]) -> Decision | None:
        self.asked.append(key)
        return COMPILED.route(labels) if key == ROUTER_KEY else None

    def router(self, key: str) -> Router | None:
        return Router("prod", ROUTER_KEY, TREE) if key == ROUTER_KEY else None


def event(key: str = ROUTER_KEY, **labels: str) -> Event:
    return Event("events-v2", key, Action.TRIGGER, "d1", "broken", custom_details=labels)


def routed(**labels: str) -> Routed:
    found = event(**labels)
    return Routed("prod", COMPILED.route(event_labels(found)), event_labels(found))


Target = tuple[int, str | None] | None


def targets(found: Resolution) -> tuple[list[Target], list[Target]]:
    pages: list[Target] = [(t.service_id, t.component) for t in found.pages]
    held: list[Target] = [
        None if t is None else (t.service_id, t.component) for t in found.suppressed
    ]
    return pages, held


@pytest.mark.parametrize(
    ("labels", "pages", "suppressed", "dropped", "outcome", "alerts"),
    [
        pytest.param({"team": "x"}, [(2, None)], [], False, "new alert", 1, id="page-default"),
        pytest.param(
            {"team": "payments", "module": "refunds-v2"},
            [(1, "refunds")],
            [],
            False,
            "new alert",
            1,
            id="page-component-by-name",
        ),
        pytest.param(
            {"team": "payments", "module": "refunds"},
            [(1, "refunds")],
            [],
            False,
            "new alert",
            1,
            id="page-component-by-matchers",
        ),
        pytest.param(
            {"noise": "yes"},
            [],
            [(2, None)],
            False,
            "suppressed by router",
            0,
            id="suppress-keeps-its-service",
        ),
        pytest.param({"env": "staging"}, [], [], True, "dropped by router", 0, id="drop"),
        pytest.param(
            {"env": "mixed"},
            [(2, None)],
            [],
            False,
            "new alert",
            1,
            id="drop-with-another-result-is-kept",
        ),
        pytest.param(
            {"team": "twice"},
            [(1, None), (1, None)],
            [],
            False,
            "new alert",
            1,
            id="continue-to-same-service-paged-once",
        ),
        pytest.param(
            {"team": "ghost"},
            [],
            [None],
            False,
            "suppressed by router",
            0,
            id="unknown-service-suppressed-target-none",
        ),
    ],
)
def test_router_resolution(
    labels: dict[str, str],
    pages: list[Target],
    suppressed: list[Target],
    dropped: bool,
    outcome: str,
    alerts: int,
) -> None:
    decided = routed(**labels)
    found = resolve_routed(decided, SERVICES, POLICIES)
    assert targets(found) == (pages, suppressed)
    assert found.dropped is dropped
    assert all(t.integration_name == "router/prod" for t in found.pages)
    assert all(t.integration_id == 0 for t in found.pages)
    plan = BatchPlan(now=NOW, new_id=lambda p: f"{p}1", open_alerts={})
    assert fold(plan, event(**labels), found) == outcome
    assert len(plan.new_alerts) == alerts
    # A dropped event is not kept; every other record keeps the decision path.
    assert [r.route for r in plan.records] == ([] if dropped else [found.route])


def test_the_decision_path_is_kept_with_the_event() -> None:
    found = resolve_routed(routed(team="payments", module="refunds-v2"), SERVICES, POLICIES)
    assert found.route == {
        "router": "prod",
        "results": [
            {
                "decision": "page monolith/refunds",
                "path": [
                    {"node": "route", "matchers": []},
                    {"node": "routes[7]", "matchers": ['team="payments"']},
                    {"node": "routes[7].routes[0]", "matchers": ['module=~"refund.*"']},
                ],
            }
        ],
    }
    assert found.pages[0].policy == {"name": "refunds"}


def test_route_events_routes_only_keys_no_integration_has() -> None:
    book = Book()
    plain = Source(4, "events", MONOLITH)
    beat = Source(0, "heartbeat/nightly", OTHER)
    sources = {PLAIN_KEY: plain, BEAT_KEY: beat}
    items = [
        [event(PLAIN_KEY, module="refunds"), event(team="payments")],
        [event(BEAT_KEY), event("u" * 32)],
    ]
    decided = route_events(items, sources, book)
    assert book.asked == [ROUTER_KEY, "u" * 32]
    assert [[d is not None for d in item] for item in decided] == [[False, True], [False, False]]
    first = decided[0][1]
    assert first is not None
    assert (first.router, first.labels) == (
        "prod",
        {"team": "payments", "severity": "error", "summary": "broken"},
    )
    assert routed_services(decided) == {"monolith"}
    assert route_events(items, sources, None) == [[None, None], [None, None]]

    resolved = resolve_batch(
        items, sources=sources, routed=decided, services=SERVICES, policies=POLICIES
    )
    assert [[r is not None for r in item] for item in resolved] == [[True, True], [True, False]]
    own, by_router = resolved[0]
    assert own is not None
    assert by_router is not None
    assert [(t.integration_id, t.integration_name, t.component) for t in own.pages] == [
        (4, "events", "refunds")
    ]
    assert own.route is None
    assert own.pages[0].policy == {"name": "refunds"}
    assert targets(by_router) == ([(1, None)], [])
    heartbeat = resolved[1][0]
    assert heartbeat is not None
    assert [(t.integration_id, t.integration_name) for t in heartbeat.pages] == [
        (0, "heartbeat/nightly")
    ]


class Nameless(Book):
    """A decision, but the router itself is gone (changed since it was decided)."""

    def router(self, key: str) -> Router | None:
        return None


def test_a_router_without_a_name_is_called_router() -> None:
    [[found]] = route_events([[event(team="x")]], {}, Nameless())
    assert found is not None
    assert found.router == "router"
    assert resolve_routed(found, SERVICES, POLICIES).pages[0].integration_name == "router/router"


def test_a_result_without_a_service_names_none() -> None:
    bare = compile_route(Route.of(routes=[Route.of('x="1"', action="drop")]))
    decided = Routed("bare", bare.route({"x": "1"}), {"x": "1"})
    assert routed_services([[decided, None]]) == set()
    found = resolve_routed(decided, SERVICES, POLICIES)
    assert (found.pages, found.suppressed, found.dropped) == ((), (), True)
    assert found.route == {
        "router": "bare",
        "results": [
            {
                "decision": "drop",
                "path": [
                    {"node": "route", "matchers": []},
                    {"node": "routes[0]", "matchers": ['x="1"']},
                ],
            }
        ],
    }
