"""A service's stored spec as ingest reads it: grouping, components, the frozen policy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ownit.domain.ingest.services import IngestService, parse_service, policy_snapshot
from ownit.domain.matchers import parse_matcher


def parse(spec: dict[str, Any] | None, policy: str | None = None) -> IngestService:
    return parse_service(
        service_id=3,
        name="checkout",
        urgency="high",
        spec=spec,
        policy_name=policy,
        policy_spec={"levels": [{"after": "5m"}], "repeat": 2} if policy else None,
    )


@pytest.mark.parametrize(
    ("spec", "by", "window"),
    [
        pytest.param(
            {"grouping": {"by": ["alertname", "cluster"], "window": "10m"}},
            ("alertname", "cluster"),
            timedelta(minutes=10),
            id="with-window",
        ),
        pytest.param(
            {"grouping": {"by": ["alertname"]}}, ("alertname",), None, id="without-window"
        ),
        pytest.param(
            {"grouping": {"by": ["alertname"], "window": "ten minutes"}},
            ("alertname",),
            None,
            id="bad-duration-means-no-window",
        ),
        pytest.param(
            {"grouping": {"by": ["alertname"], "window": 600}},
            ("alertname",),
            None,
            id="window-not-text",
        ),
        pytest.param(
            {"grouping": {"by": ["alertname", 7, None]}},
            ("alertname",),
            None,
            id="labels-not-text-left-out",
        ),
        pytest.param({"grouping": "alertname"}, (), None, id="grouping-not-a-mapping"),
        pytest.param({"grouping": {"window": "5m"}}, (), timedelta(minutes=5), id="no-labels"),
        pytest.param({}, (), None, id="no-grouping"),
        pytest.param(None, (), None, id="no-spec"),
    ],
)
def test_grouping(
    spec: dict[str, Any] | None, by: tuple[str, ...], window: timedelta | None
) -> None:
    service = parse(spec)
    assert (service.group_by, service.group_window) == (by, window)


@pytest.mark.parametrize(
    ("components", "expected"),
    [
        pytest.param(
            [{"name": "refunds", "escalationPolicy": "refunds", "match": ['module="refunds"']}],
            [("refunds", "refunds", ['module="refunds"'])],
            id="name-policy-matchers",
        ),
        pytest.param(
            [{"name": "ledger", "match": ['module=~"ledger.*"', "team", 'x=~"(?=a)"']}],
            [("ledger", None, ['module=~"ledger.*"'])],
            id="bad-matchers-left-out",
        ),
        pytest.param(
            [{"name": "only-bad", "match": ["team<3"]}],
            [("only-bad", None, [])],
            id="every-matcher-bad-keeps-the-component",
        ),
        pytest.param(
            [{"match": ['a="b"']}, {"name": 7}, "refunds", {"name": "kept"}],
            [("kept", None, [])],
            id="unnamed-or-not-a-mapping-skipped",
        ),
        pytest.param(
            [{"name": "p", "escalationPolicy": {"name": "x"}}],
            [("p", None, [])],
            id="policy-not-text-means-none",
        ),
        pytest.param(
            [{"name": "a"}, {"name": "b"}],
            [("a", None, []), ("b", None, [])],
            id="order-kept",
        ),
    ],
)
def test_components(
    components: list[Any], expected: list[tuple[str, str | None, list[str]]]
) -> None:
    service = parse({"components": components})
    assert [(c.name, c.policy, list(c.match)) for c in service.components] == [
        (name, policy, [parse_matcher(m) for m in match]) for name, policy, match in expected
    ]


def test_service_fields_and_its_frozen_policy() -> None:
    service = parse({}, policy="payments")
    assert (service.id, service.name, service.urgency) == (3, "checkout", "high")
    assert service.policy == {"name": "payments", "repeat": 2, "levels": [{"after": "5m"}]}
    assert parse({}).policy is None


@pytest.mark.parametrize(
    ("name", "spec", "snapshot"),
    [
        pytest.param(
            "p",
            {"levels": [1], "repeat": 3, "team": "x"},
            {"name": "p", "repeat": 3, "levels": [1]},
            id="levels-and-repeat",
        ),
        pytest.param("p", {}, {"name": "p", "repeat": 0, "levels": []}, id="defaults"),
        pytest.param(None, {"levels": []}, None, id="no-name"),
        pytest.param("p", None, None, id="no-spec"),
    ],
)
def test_policy_snapshot(
    name: str | None, spec: dict[str, Any] | None, snapshot: dict[str, Any] | None
) -> None:
    assert policy_snapshot(name, spec) == snapshot


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"autoResolve": "4h"}, timedelta(hours=4)),
        ({"autoResolve": "30s"}, timedelta(seconds=30)),
        ({"autoResolve": "soon"}, None),  # not a duration: no timer
        ({"autoResolve": 600}, None),
        ({}, None),
        (None, None),
    ],
)
def test_auto_resolve(spec: dict[str, Any] | None, expected: timedelta | None) -> None:
    assert parse(spec).auto_resolve == expected
