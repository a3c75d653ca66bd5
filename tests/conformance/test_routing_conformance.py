"""Routing trees: ownit's router against Alertmanager's documented behaviour and ``amtool``.

Each case is a tree (written as a Router's ``route``), one label set and the receivers it
reaches, written down from Alertmanager's documentation. Every case is checked twice:

* against ownit's pure router (:mod:`ownit.domain.routing`);
* against real Alertmanager: the tree becomes an ``alertmanager.yml`` with one receiver per
  resolved target, and ``amtool config routes test`` prints the receivers the label set
  reaches (Debian package ``prometheus-alertmanager``; skipped when ``amtool`` is absent).

A receiver is named after ownit's result: ``page-SERVICE``, ``page-SERVICE.COMPONENT``,
``suppress-SERVICE``, ``drop-SERVICE`` (``none`` when no service is set above).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from ownit.domain.matchers import quote_value
from ownit.domain.routing import Result, Route, route

AMTOOL = shutil.which("amtool")

Node = dict[str, Any]


@dataclass(frozen=True)
class Case:
    id: str
    tree: Node
    labels: dict[str, str]
    expected: list[str]


def n(*matchers: str, **fields: Any) -> Node:
    """A node: ``n('team="a"', service="x", routes=[…], cont=True)``."""
    node: Node = {"matchers": list(matchers)} if matchers else {}
    if fields.pop("cont", False):
        node["continue"] = True
    node.update(fields)
    return node


# Trees shared by several cases.
NESTED = n(
    service="root",
    routes=[
        n(
            'team="payments"',
            service="checkout",
            routes=[
                n('module=~"refund.*"', component="refunds"),
                n('env="staging"', routes=[n('severity="critical"', service="staging")]),
            ],
        ),
        n('team="search"', service="search"),
    ],
)
CONTINUE = n(
    service="root",
    routes=[
        n('team="a"', service="a", cont=True),
        n('env="prod"', service="prod", cont=True),
        n('team="a"', service="a2"),
        n('env="prod"', service="prod2"),
    ],
)
NESTED_CONTINUE = n(
    service="root",
    routes=[
        n(
            'team="a"',
            service="a",
            cont=True,
            routes=[
                n('sev="page"', service="a-page", cont=True),
                n('sev=~"page|warn"', service="a-any"),
                n('sev="page"', service="a-never"),
            ],
        ),
        n('team=~"a|b"', service="ab"),
        n(service="catch-all"),
    ],
)
NEGATIVE = n(
    service="root",
    routes=[
        n('x!="a"', service="not-a", cont=True),
        n('x!~".*q"', service="no-q", cont=True),
        n('x=~".*"', service="any-x", cont=True),
        n('x=""', service="empty-x", cont=True),
        n('x=~".+"', service="some-x"),
    ],
)
ANCHORS = n(
    service="root",
    routes=[
        n('job=~"api"', service="exact"),
        n('job=~"web|db"', service="alternation"),
        n('job=~"node.*"', service="prefix"),
        n('job=~"(?i)batch"', service="caseless"),
    ],
)
ACTIONS = n(
    service="root",
    routes=[
        n('severity="info"', action="suppress"),
        n('env="dev"', action="drop", routes=[n('team="sre"', service="sre")]),
        n(
            'team="payments"',
            service="checkout",
            routes=[n('module="refunds"', component="refunds", routes=[n('x="1"')])],
        ),
    ],
)
NO_CHILD = n(
    service="root",
    routes=[
        n('a="1"', service="one", routes=[n('b="1"', service="one-b"), n('c="1"')]),
    ],
)
SEVERAL = n(
    service="root",
    routes=[
        n('team="a"', 'env!="dev"', 'job=~"api|web"', service="a-prod-web"),
        n('team="a"', service="a"),
    ],
)
QUOTING = n(
    service="root",
    routes=[
        n("team=payments", service="bare"),
        n('msg="a \\"quoted\\" word"', service="quoted"),
        n('path=~"/api/v[0-9]+/.*"', service="api"),
        n('dot="a.b"', service="dot"),
    ],
)

CASES = [
    Case("root-when-no-child-matches", NESTED, {"team": "other"}, ["page-root"]),
    Case("root-for-no-labels", NESTED, {}, ["page-root"]),
    Case("child-without-children", NESTED, {"team": "search"}, ["page-search"]),
    Case("inherited-when-no-grandchild", NESTED, {"team": "payments"}, ["page-checkout"]),
    Case(
        "component-of-parents-service",
        NESTED,
        {"team": "payments", "module": "refunds-v2"},
        ["page-checkout.refunds"],
    ),
    Case(
        "inherits-through-a-node-without-target",
        NESTED,
        {"team": "payments", "env": "staging"},
        ["page-checkout"],
    ),
    Case(
        "grandchild-of-a-node-without-target",
        NESTED,
        {"team": "payments", "env": "staging", "severity": "critical"},
        ["page-staging"],
    ),
    Case(
        "first-matching-child-wins",
        NESTED,
        {"team": "payments", "module": "refunds", "env": "staging", "severity": "critical"},
        ["page-checkout.refunds"],
    ),
    Case(
        "continue-collects",
        CONTINUE,
        {"team": "a", "env": "prod"},
        ["page-a", "page-prod", "page-a2"],
    ),
    Case("continue-then-non-continue", CONTINUE, {"team": "a"}, ["page-a", "page-a2"]),
    Case(
        "continue-alone-then-root-not-added", CONTINUE, {"env": "prod"}, ["page-prod", "page-prod2"]
    ),
    Case("continue-nothing", CONTINUE, {"env": "dev"}, ["page-root"]),
    Case(
        "nested-continue",
        NESTED_CONTINUE,
        {"team": "a", "sev": "page"},
        ["page-a-page", "page-a-any", "page-ab"],
    ),
    Case(
        "nested-continue-inner-stop",
        NESTED_CONTINUE,
        {"team": "a", "sev": "warn"},
        ["page-a-any", "page-ab"],
    ),
    Case(
        "nested-continue-parent-result",
        NESTED_CONTINUE,
        {"team": "a", "sev": "none"},
        ["page-a", "page-ab"],
    ),
    Case("catch-all-child", NESTED_CONTINUE, {"team": "c"}, ["page-catch-all"]),
    Case(
        "negative-matchers-on-a-missing-label",
        NEGATIVE,
        {},
        ["page-not-a", "page-no-q", "page-any-x", "page-empty-x"],  # no root: a child matched
    ),
    Case(
        "negative-matchers-on-a-present-label",
        NEGATIVE,
        {"x": "aq"},
        ["page-not-a", "page-any-x", "page-some-x"],
    ),
    Case("negative-equal-fails", NEGATIVE, {"x": "a"}, ["page-no-q", "page-any-x", "page-some-x"]),
    Case("regex-anchored-exact", ANCHORS, {"job": "api"}, ["page-exact"]),
    Case("regex-not-a-search", ANCHORS, {"job": "api-gateway"}, ["page-root"]),
    Case("regex-not-a-suffix-search", ANCHORS, {"job": "my-api"}, ["page-root"]),
    Case("regex-alternation-anchored", ANCHORS, {"job": "webdb"}, ["page-root"]),
    Case("regex-alternation", ANCHORS, {"job": "db"}, ["page-alternation"]),
    Case("regex-prefix", ANCHORS, {"job": "node-exporter"}, ["page-prefix"]),
    Case("regex-case-flag", ANCHORS, {"job": "BATCH"}, ["page-caseless"]),
    Case("suppress", ACTIONS, {"severity": "info", "env": "dev"}, ["suppress-root"]),
    Case("drop", ACTIONS, {"env": "dev"}, ["drop-root"]),
    Case("service-under-drop", ACTIONS, {"env": "dev", "team": "sre"}, ["page-sre"]),
    Case(
        "component-inherited-by-a-bare-child",
        ACTIONS,
        {"team": "payments", "module": "refunds", "x": "1"},
        ["page-checkout.refunds"],
    ),
    Case("no-child-of-the-match-matches", NO_CHILD, {"a": "1"}, ["page-one"]),
    Case("bare-grandchild-inherits", NO_CHILD, {"a": "1", "c": "1"}, ["page-one"]),
    Case(
        "all-matchers-anded",
        SEVERAL,
        {"team": "a", "env": "prod", "job": "web"},
        ["page-a-prod-web"],
    ),
    Case("one-matcher-fails", SEVERAL, {"team": "a", "env": "dev", "job": "web"}, ["page-a"]),
    Case("bare-value", QUOTING, {"team": "payments"}, ["page-bare"]),
    Case("escaped-quotes", QUOTING, {"msg": 'a "quoted" word'}, ["page-quoted"]),
    Case("regex-with-slashes", QUOTING, {"path": "/api/v2/users"}, ["page-api"]),
    Case("equality-is-literal", QUOTING, {"dot": "axb"}, ["page-root"]),
]


# --- translation -------------------------------------------------------------------------


def to_route(node: Node) -> Route:
    return Route.of(
        *node.get("matchers", []),
        service=node.get("service"),
        component=node.get("component"),
        action=node.get("action"),
        continue_=node.get("continue", False),
        routes=[to_route(child) for child in node.get("routes", [])],
    )


def receiver(action: str, service: str | None, component: str | None) -> str:
    name = f"{action}-{service or 'none'}"
    return f"{name}.{component}" if component is not None else name


def name_of(result: Result) -> str:
    return receiver(result.action, result.service, result.component)


def to_alertmanager(tree: Node) -> dict[str, Any]:
    """The tree as an Alertmanager configuration: a receiver wherever a node sets a target
    (resolved as ownit resolves it), none where it inherits (Alertmanager inherits too)."""
    receivers: list[str] = []

    def convert(node: Node, state: tuple[str, str | None, str | None], root: bool) -> Any:
        _, service, component = state
        own = True
        if "service" in node:
            state = ("page", node["service"], None)
        elif "component" in node:
            state = ("page", service, node["component"])
        elif "action" in node:
            state = (node["action"], service, component)
        else:
            own = root
        out: dict[str, Any] = {}
        if own:
            out["receiver"] = receiver(*state)
            if out["receiver"] not in receivers:
                receivers.append(out["receiver"])
        if node.get("matchers"):
            out["matchers"] = list(node["matchers"])
        if node.get("continue"):
            out["continue"] = True
        if node.get("routes"):
            out["routes"] = [convert(child, state, False) for child in node["routes"]]
        return out

    top = convert(tree, ("page", None, None), True)
    top.pop("matchers", None)
    return {"route": top, "receivers": [{"name": r} for r in receivers]}


# --- the checks --------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_ownit_follows_alertmanager(case: Case) -> None:
    decision = route(to_route(case.tree), case.labels)
    assert [name_of(r) for r in decision.results] == case.expected


@pytest.mark.skipif(
    AMTOOL is None and not os.environ.get("CI"),  # CI installs it and never skips
    reason="amtool not installed (apt-get install prometheus-alertmanager)",
)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_alertmanager_agrees(case: Case, tmp_path: Path) -> None:
    assert AMTOOL is not None
    config = tmp_path / "alertmanager.yml"
    config.write_text(yaml.safe_dump(to_alertmanager(case.tree), sort_keys=False), encoding="utf-8")
    labels = [f"{k}={quote_value(v)}" for k, v in case.labels.items()]
    done = subprocess.run(
        [AMTOOL, "config", "routes", "test", f"--config.file={config}", *labels],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().split(",") == case.expected


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 20
    assert len({c.id for c in CASES}) == len(CASES)
