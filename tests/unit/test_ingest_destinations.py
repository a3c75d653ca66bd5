"""Where in a service an event lands: the component chosen, the policy frozen onto a new
incident, one destination per (service, component)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ownit.domain.events import Action, Event
from ownit.domain.ingest.dedup import NO_POLICY, BatchPlan, Destination
from ownit.domain.ingest.destinations import (
    choose_component,
    destination,
    frozen_policy,
    unique_destinations,
)
from ownit.domain.ingest.services import Component, IngestService
from ownit.domain.matchers import parse_matcher

SERVICE_POLICY = {"name": "payments", "repeat": 0, "levels": []}
REFUNDS_POLICY = {"name": "refunds", "repeat": 1, "levels": [{"after": "5m"}]}


def component(name: str, *match: str, policy: str | None = None) -> Component:
    return Component(name, policy, tuple(parse_matcher(m) for m in match))


MONOLITH = IngestService(
    7,
    "monolith",
    "high",
    SERVICE_POLICY,
    (
        component("refunds", 'module="refunds"', policy="refunds"),
        component("ledger", 'module=~"ledger.*"', policy="missing"),
        component("ledger-eu", 'module=~"ledger.*"', 'region="eu"'),
        component("catch-all"),  # no matchers: only ever chosen by name
    ),
    ("alertname",),
    timedelta(minutes=10),
)


@pytest.mark.parametrize(
    ("name", "labels", "chosen"),
    [
        pytest.param("ledger-eu", {"module": "refunds"}, "ledger-eu", id="by-name-wins"),
        pytest.param("catch-all", {}, "catch-all", id="by-name-without-matchers"),
        pytest.param(None, {"module": "refunds"}, "refunds", id="by-matchers"),
        pytest.param(None, {"module": "ledger-2", "region": "eu"}, "ledger", id="first-match-wins"),
        pytest.param(None, {"module": "search"}, None, id="no-match"),
        pytest.param(None, {}, None, id="no-labels-no-match"),
        pytest.param("nope", {"module": "refunds"}, None, id="unknown-name-chooses-none"),
    ],
)
def test_choose_component(name: str | None, labels: dict[str, str], chosen: str | None) -> None:
    found = choose_component(MONOLITH, name, labels)
    assert (found.name if found is not None else None) == chosen


POLICIES: Mapping[str, Mapping[str, Any] | None] = {"refunds": REFUNDS_POLICY}


@pytest.mark.parametrize(
    ("service", "chosen", "policy"),
    [
        pytest.param(MONOLITH, "refunds", REFUNDS_POLICY, id="component-policy-wins"),
        pytest.param(MONOLITH, "ledger-eu", SERVICE_POLICY, id="component-without-policy"),
        pytest.param(MONOLITH, "ledger", SERVICE_POLICY, id="component-policy-not-found"),
        pytest.param(MONOLITH, None, SERVICE_POLICY, id="no-component-service-policy"),
        pytest.param(IngestService(8, "bare", "low", None), None, None, id="none-means-no-policy"),
    ],
)
def test_frozen_policy(
    service: IngestService, chosen: str | None, policy: Mapping[str, Any] | None
) -> None:
    found = next((c for c in service.components if c.name == chosen), None)
    assert frozen_policy(service, found, POLICIES) == policy


@pytest.mark.parametrize(
    ("name", "labels", "component", "policy"),
    [
        pytest.param(None, {"module": "refunds"}, "refunds", REFUNDS_POLICY, id="matched"),
        pytest.param(None, {"module": "search"}, None, SERVICE_POLICY, id="unmatched"),
        pytest.param("nope", {}, "nope", SERVICE_POLICY, id="unknown-name-kept"),
    ],
)
def test_destination(
    name: str | None,
    labels: dict[str, str],
    component: str | None,
    policy: Mapping[str, Any] | None,
) -> None:
    found = destination(
        MONOLITH,
        component=name,
        labels=labels,
        integration_id=4,
        integration_name="events",
        policies=POLICIES,
    )
    assert found == Destination(
        7, "high", 4, "events", policy, component, ("alertname",), timedelta(minutes=10)
    )


NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("service", "policy", "unassigned"),
    [
        pytest.param(MONOLITH, SERVICE_POLICY, [], id="service-policy"),
        pytest.param(IngestService(8, "bare", "low", None), None, [NO_POLICY], id="no-policy"),
    ],
)
def test_a_new_incident_keeps_the_frozen_policy(
    service: IngestService, policy: Mapping[str, Any] | None, unassigned: list[str]
) -> None:
    target = destination(
        service, component=None, labels={}, integration_id=1, integration_name="e", policies={}
    )
    plan = BatchPlan(now=NOW, new_id=lambda prefix: f"{prefix}1", open_alerts={})
    plan.apply(Event("events-v2", "k" * 32, Action.TRIGGER, "d", "s"), target)
    [incident] = plan.new_incidents.values()
    assert incident.policy == policy
    assert [
        (e.incident_id, e.at, e.kind, e.actor, e.message, e.data) for e in plan.unassigned_log()
    ] == [(incident.id, NOW, "unassigned", "engine", message, None) for message in unassigned]


A = Destination(1, "high", 0, "router/r", component="x")
B = Destination(1, "high", 0, "router/r", component="y")
C = Destination(2, "high", 0, "router/r", component="x")
A_AGAIN = Destination(1, "low", 9, "other", component="x")


@pytest.mark.parametrize(
    ("targets", "unique"),
    [
        pytest.param([A, A], [A], id="same-twice-once"),
        pytest.param([A, B, C], [A, B, C], id="other-component-or-service-kept"),
        pytest.param([A, B, A_AGAIN], [A, B], id="first-stays"),
        pytest.param([], [], id="none"),
    ],
)
def test_unique_destinations(targets: list[Destination], unique: list[Destination]) -> None:
    assert unique_destinations(targets) == unique
