"""The Router kind and a service's components in the catalog: one case per message."""

from __future__ import annotations

import pytest

from ownit.adapters.catalog.yaml_source import load_text
from ownit.domain.catalog import (
    Integration,
    Router,
    Service,
    Snapshot,
    from_spec,
    plan,
    to_spec,
    validate,
)
from ownit.domain.catalog.routers import components_of
from ownit.domain.routing import Route, route

BASE = """\
apiVersion: ownit/v1
kind: Team
metadata: {name: payments}
spec: {}
---
apiVersion: ownit/v1
kind: Team
metadata: {name: refunds}
spec: {}
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {name: refunds}
spec: {team: refunds, levels: [{after: 5m, targets: [{user: rita}]}]}
---
apiVersion: ownit/v1
kind: User
metadata: {name: rita}
spec: {email: rita@example.com}
---
apiVersion: ownit/v1
kind: Service
metadata: {name: checkout-api}
spec:
  owner: payments
  components:
    - {name: refunds, owner: refunds, escalationPolicy: refunds, match: ['module="refunds"']}
    - {name: ledger, match: ['module=~"ledger|books"']}
  integrations: [{name: events, type: events-v2, key: "checkout00000000000000000000000a"}]
---
apiVersion: ownit/v1
kind: Service
metadata: {name: unrouted}
spec: {owner: payments}
"""
KEY = "fedcba9876543210fedcba9876543210"


def router(*lines: str) -> str:
    """A Router document whose first spec line is line 5."""
    head = ["apiVersion: ownit/v1", "kind: Router", "metadata: {name: prod}", "spec:"]
    return "\n".join([*head, *lines, ""])


def check(bad: str, existing: Snapshot | None = None) -> list[str]:
    docs = load_text(BASE, "base.yaml").documents + load_text(bad, "bad.yaml").documents
    return [str(p) for p in validate(docs, existing).problems]


GOOD = router(
    f'  key: "{KEY}"',
    "  route:",
    "    service: unrouted",
    "    routes:",
    "      - matchers: ['team=\"payments\"']",  # 9
    "        service: checkout-api",
    "        routes:",
    "          - matchers: ['module=~\"refund.*\"']",
    "            component: refunds",
    "      - {matchers: ['severity=\"info\"'], action: suppress}",  # 14
    "      - {matchers: ['env=staging'], action: drop, continue: false}",
)


def test_a_good_router_is_clean_and_routes() -> None:
    assert check(GOOD) == []
    docs = load_text(BASE, "b").documents + load_text(GOOD, "g").documents
    obj = validate(docs).documents[-1].obj
    assert isinstance(obj, Router)
    assert obj.key == KEY
    decision = route(obj.route, {"team": "payments", "module": "refunds"})
    assert [r.describe() for r in decision.results] == ["page checkout-api/refunds"]


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        pytest.param(
            router("  key: short", "  route: {service: unrouted}"),
            ['bad.yaml:5: key "short" must be exactly 32 letters and digits'],
            id="key-shape",
        ),
        pytest.param(
            router("  key: " + KEY), ["bad.yaml:4: route is required"], id="route-required"
        ),
        pytest.param(
            router("  route: {}"),
            [
                "bad.yaml:5: route needs a service (or an action) for the events that no route "
                "below matches"
            ],
            id="root-target",
        ),
        pytest.param(
            router("  route: {service: unrouted, matchers: ['a=b']}"),
            [
                "bad.yaml:5: route.matchers: the root route matches every event and takes no "
                "matchers (put them on its routes)"
            ],
            id="root-matchers",
        ),
        pytest.param(
            router("  route: {service: unrouted, continue: true}"),
            ["bad.yaml:5: route: the root route cannot continue (it has no siblings)"],
            id="root-continue",
        ),
        pytest.param(
            router("  route: {component: refunds}"),
            [
                "bad.yaml:5: route.component: the root route has no service above it; name a "
                "service (or an action) instead"
            ],
            id="root-component",
        ),
        pytest.param(
            router("  route: {service: unrouted, rutes: []}"),
            ['bad.yaml:5: unknown field "rutes" in route (did you mean "routes"?)'],
            id="unknown-field",
        ),
        pytest.param(
            router(
                "  route:",
                "    service: unrouted",
                "    routes:",
                "      - {matchers: ['team=~\"(\"'], service: checkout-api}",
            ),
            [
                "bad.yaml:8: route.routes[0].matchers[0]: matcher 'team=~\"(\"' has a bad "
                'regular expression: "(": missing ), unterminated subpattern'
            ],
            id="bad-regex",
        ),
        pytest.param(
            router(
                "  route:",
                "    service: unrouted",
                "    routes:",
                "      - {matchers: [team], service: checkout-api}",
            ),
            [
                "bad.yaml:8: route.routes[0].matchers[0]: matcher 'team' needs =, !=, =~ or !~ "
                "after the label name 'team', not nothing"
            ],
            id="bad-matcher",
        ),
        pytest.param(
            router(
                "  route:",
                "    service: unrouted",
                "    routes:",
                "      - {matchers: [1], service: checkout-api}",
            ),
            ['bad.yaml:8: route.routes[0].matchers[0] must be a string like team="payments"'],
            id="matcher-not-a-string",
        ),
        pytest.param(
            router(
                "  route:", "    service: unrouted", "    routes:", "      - {service: checkout-ap}"
            ),
            [
                'bad.yaml:8: route.routes[0].service "checkout-ap" does not exist (did you '
                'mean "checkout-api"?)'
            ],
            id="service-exists",
        ),
        pytest.param(
            router(
                "  route:", "    service: unrouted", "    routes:", "      - {component: refunds}"
            ),
            [
                'bad.yaml:8: route.routes[0].component "refunds" is not a component of service '
                '"unrouted"'
            ],
            id="component-of-inherited-service",
        ),
        pytest.param(
            router("  route:", "    action: drop", "    routes:", "      - {component: refunds}"),
            [
                'bad.yaml:8: route.routes[0].component "refunds" has no service above it (set '
                "service on this route or one above)"
            ],
            id="component-without-service",
        ),
        pytest.param(
            router(
                "  route:",
                "    service: unrouted",
                "    routes:",
                "      - service: checkout-api",
                "        routes: [{component: refundz}]",
            ),
            [
                'bad.yaml:9: route.routes[0].routes[0].component "refundz" is not a component '
                'of service "checkout-api" (did you mean "refunds"?)'
            ],
            id="component-name",
        ),
        pytest.param(
            router(
                "  route:",
                "    service: unrouted",
                "    routes:",
                "      - {service: checkout-api, action: drop}",
            ),
            [
                "bad.yaml:8: route.routes[0] sets service and action: a route sets at most one "
                "of service, component and action"
            ],
            id="one-target",
        ),
        pytest.param(
            router("  route:", "    service: unrouted", "    routes:", "      - {action: page}"),
            ['bad.yaml:8: route.routes[0].action "page" is not one of suppress, drop'],
            id="action",
        ),
        pytest.param(
            router(
                "  route:",
                "    service: unrouted",
                "    routes:",
                "      - {action: drop, continue: yes please}",
            ),
            ["bad.yaml:8: route.routes[0].continue must be true or false, not yes please"],
            id="continue-bool",
        ),
        pytest.param(
            router("  route:", "    service: unrouted", "    routes: [x]"),
            ['bad.yaml:7: route.routes[0] must be a mapping, not "x"'],
            id="route-shape",
        ),
        pytest.param(
            router("  key: checkout00000000000000000000000a", "  route: {service: unrouted}"),
            ['bad.yaml:5: key is already used by integration "events" of service "checkout-api"'],
            id="key-unique-vs-integrations",
        ),
    ],
)
def test_router_problems(bad: str, expected: list[str]) -> None:
    assert check(bad) == expected


def test_router_keys_are_unique_across_routers_and_the_database() -> None:
    two = (
        router(f"  key: {KEY}", "  route: {service: unrouted}")
        + "---\n"
        + router(f"  key: {KEY}", "  route: {service: unrouted}").replace(
            "name: prod", "name: other"
        )
    )
    assert check(two) == ['bad.yaml:12: key is already used by router "prod"']
    stored = Snapshot(routers={"old": Router("old", KEY)})
    assert check(router(f"  key: {KEY}", "  route: {service: unrouted}"), stored) == [
        'bad.yaml:5: key is already used by router "old"'
    ]
    stored_service = Snapshot(
        services={
            "s": Service("s", owner="payments", integrations=(Integration("e", "events-v2", KEY),))
        }
    )
    assert check(router(f"  key: {KEY}", "  route: {service: unrouted}"), stored_service) == [
        'bad.yaml:5: key is already used by integration "e" of service "s"'
    ]


def service(*components: str) -> str:
    """A Service document whose first component is line 7."""
    return "\n".join(
        [
            "apiVersion: ownit/v1",
            "kind: Service",
            "metadata: {name: cart}",
            "spec:",
            "  owner: payments",
            "  components:",
            *components,
            "",
        ]
    )


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        pytest.param(
            service("    - refunds"),
            ["bad.yaml:7: components[0] must be a mapping with a name"],
            id="shape",
        ),
        pytest.param(
            service("    - {owner: payments}"),
            ["bad.yaml:7: components[0].name is required"],
            id="name-required",
        ),
        pytest.param(
            service("    - {name: a}", "    - {name: a}"),
            ['bad.yaml:8: components[1].name "a" is already used by components[0]'],
            id="names-unique",
        ),
        pytest.param(
            service("    - {name: a, owner: refundz}"),
            ['bad.yaml:7: components[0].owner "refundz" does not exist (did you mean "refunds"?)'],
            id="owner-exists",
        ),
        pytest.param(
            service("    - {name: a, escalationPolicy: refund}"),
            [
                'bad.yaml:7: components[0].escalationPolicy "refund" does not exist (did you '
                'mean "refunds"?)'
            ],
            id="policy-exists",
        ),
        pytest.param(
            service("    - name: a", "      match: ['x=~\"[\"']"),
            [
                "bad.yaml:8: components[0].match[0]: matcher 'x=~\"[\"' has a bad regular "
                'expression: "[": unterminated character set'
            ],
            id="match-parses",
        ),
        pytest.param(
            service(
                "    - {name: a, match: ['x=\"1\"', 'y=~\"a\"']}",
                "    - {name: b, match: ['y=~a', 'x=1']}",
            ),
            [
                "bad.yaml:8: components[1].match is the same as components[0].match: the "
                "components are ambiguous (an event would match both)"
            ],
            id="ambiguous",
        ),
        pytest.param(
            service("    - {name: a, colour: red}"),
            ['bad.yaml:7: unknown field "colour" in components[0]'],
            id="unknown-field",
        ),
    ],
)
def test_component_problems(bad: str, expected: list[str]) -> None:
    assert check(bad) == expected


def test_components_without_match_are_not_ambiguous() -> None:
    assert check(service("    - {name: a}", "    - {name: b}")) == []


def test_components_normal_form_and_view() -> None:
    docs = load_text(BASE, "b").documents
    svc = next(d.obj for d in validate(docs).documents if d.name == "checkout-api")
    assert isinstance(svc, Service)
    assert to_spec(svc)["components"] == [
        {
            "name": "refunds",
            "owner": "refunds",
            "escalationPolicy": "refunds",
            "match": ['module="refunds"'],
        },
        {"name": "ledger", "match": ['module=~"ledger|books"']},
    ]
    assert [(c.name, c.owner, [str(m) for m in c.match]) for c in components_of(svc)] == [
        ("refunds", "refunds", ['module="refunds"']),
        ("ledger", None, ['module=~"ledger|books"']),
    ]


def test_router_normal_form_reads_back_the_same() -> None:
    docs = load_text(BASE, "b").documents + load_text(GOOD, "g").documents
    obj = validate(docs).documents[-1].obj
    assert isinstance(obj, Router)
    spec = to_spec(obj, keys=True)
    assert spec == {
        "key": KEY,
        "route": {
            "service": "unrouted",
            "routes": [
                {
                    "matchers": ['team="payments"'],
                    "service": "checkout-api",
                    "routes": [{"matchers": ['module=~"refund.*"'], "component": "refunds"}],
                },
                {"matchers": ['severity="info"'], "action": "suppress"},
                {"matchers": ['env="staging"'], "action": "drop"},
            ],
        },
    }
    again = from_spec("Router", "prod", spec)
    assert again == obj


def test_a_router_keeps_its_stored_key_and_a_changed_tree_is_a_change() -> None:
    stored = Router("prod", KEY, Route.of(service="unrouted"))
    text = router(
        "  route:", "    service: unrouted", "    routes: [{matchers: [a=b], action: drop}]"
    )
    docs = load_text(BASE, "b").documents + load_text(text, "r").documents
    validated = validate(docs)
    existing = Snapshot(routers={"prod": stored}, sources={("Router", "prod"): "catalog"})
    diff = plan(validated.documents, existing, source="catalog")
    change = next(c for c in diff.changes if c.kind == "Router")
    assert change.action == "update"
    assert isinstance(change.obj, Router)
    assert change.obj.key == KEY
    assert [f.path for f in change.fields] == ["route"]
