"""The normal form of catalog objects and the plan: created, changed field by field, unchanged."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from ownit.adapters.catalog.yaml_source import load_text
from ownit.domain.catalog import (
    Diff,
    FieldChange,
    Integration,
    Service,
    Snapshot,
    Team,
    from_spec,
    plan,
    to_document,
    to_spec,
    validate,
)

SERVICE = """\
apiVersion: ownit/v1
kind: Service
metadata: {name: checkout-api, description: Takes payments.}
spec:
  owner: payments
  tier: 1
  ackTimeout: 60m
  dependsOn: []
  integrations:
    - {name: events, type: events-v2}
    - {name: prom, type: alertmanager, key: "0123456789abcdef0123456789abcdef"}
"""


def parse(text: str) -> Service:
    result = validate(
        load_text(text, "s.yaml").documents, Snapshot(teams={"payments": Team("payments")})
    )
    assert result.problems == ()
    obj = result.documents[0].obj
    assert isinstance(obj, Service)
    return obj


def test_the_normal_form_writes_defaults_and_shortest_durations() -> None:
    service = parse(SERVICE)
    assert service.ack_timeout == timedelta(hours=1)
    assert to_spec(service) == {
        "owner": "payments",
        "tier": 1,
        "urgency": "severity",
        "dependsOn": [],  # stated empty on purpose: the dependencies-declared standard
        "ackTimeout": "1h",
        "integrations": [
            {"name": "events", "type": "events-v2"},
            {"name": "prom", "type": "alertmanager"},
        ],
    }
    assert to_spec(service, keys=True)["integrations"] == [
        {"name": "events", "type": "events-v2"},
        {"name": "prom", "type": "alertmanager", "key": "0123456789abcdef0123456789abcdef"},
    ]


def test_a_stored_spec_reads_back_to_the_same_object() -> None:
    service = parse(SERVICE)
    again = from_spec("Service", service.name, to_spec(service, keys=True), service.description)
    assert again == service
    assert to_document(again)["metadata"] == {
        "name": "checkout-api",
        "description": "Takes payments.",
    }


def test_a_broken_stored_spec_does_not_raise() -> None:
    odd = from_spec("Service", "odd", {"tier": "high", "urgency": "low", "nonsense": 1})
    assert isinstance(odd, Service)
    assert (odd.tier, odd.urgency, odd.owner) == (None, "low", None)


def diff_of(text: str, existing: Snapshot, source: str = "catalog") -> Diff:
    documents = validate(load_text(text, "s.yaml").documents, existing).documents
    return plan(documents, existing, source=source)


def stored(service: Service, source: str = "catalog") -> Snapshot:
    keys = tuple(
        i if i.key is not None else Integration(i.name, i.type, "k" * 32)
        for i in service.integrations
    )
    return Snapshot(
        teams={"payments": Team("payments")},
        services={service.name: dataclasses.replace(service, integrations=keys)},
        sources={("Service", service.name): source, ("Team", "payments"): source},
    )


def test_new_objects_are_created() -> None:
    diff = diff_of(SERVICE, Snapshot(teams={"payments": Team("payments")}))
    assert [(c.action, c.kind, c.name) for c in diff.changes] == [
        ("create", "Service", "checkout-api")
    ]


def test_the_same_object_is_unchanged_and_keeps_its_generated_key() -> None:
    existing = stored(parse(SERVICE))
    diff = diff_of(SERVICE, existing)
    (change,) = diff.changes
    assert (change.action, change.fields) == ("unchanged", ())
    assert diff.is_empty
    assert isinstance(change.obj, Service)
    assert change.obj.integrations[0].key == "k" * 32


def test_changes_are_listed_field_by_field() -> None:
    existing = stored(parse(SERVICE), source="api")
    changed = (
        SERVICE.replace("tier: 1", "tier: 2")
        .replace("Takes payments.", "Takes money.")
        .replace(
            'type: alertmanager, key: "0123456789abcdef0123456789abcdef"', "type: alertmanager"
        )
        .replace("    - {name: events, type: events-v2}\n", "    - {name: hook, type: events-v2}\n")
    )
    (change,) = diff_of(changed, existing).changes
    assert change.action == "update"
    assert change.fields == (
        FieldChange("description", "Takes payments.", "Takes money."),
        FieldChange("tier", 1, 2),
        FieldChange("integrations.hook", None, {"type": "events-v2"}),
        FieldChange("integrations.events", {"type": "events-v2"}, None),
        FieldChange("source", "api", "catalog"),
    )


def test_a_key_given_in_the_file_replaces_the_stored_one_as_a_secret() -> None:
    existing = stored(parse(SERVICE))
    changed = SERVICE.replace("0123456789abcdef0123456789abcdef", "f" * 32)
    (change,) = diff_of(changed, existing).changes
    assert change.fields == (
        FieldChange(
            "integrations.prom.key", "0123456789abcdef0123456789abcdef", "f" * 32, secret=True
        ),
    )


def test_plans_come_in_kind_order_then_by_name() -> None:
    text = "\n---\n".join(
        [
            "apiVersion: ownit/v1\nkind: Service\nmetadata: {name: b}\nspec: {owner: t}",
            "apiVersion: ownit/v1\nkind: Service\nmetadata: {name: a}\nspec: {owner: t}",
            "apiVersion: ownit/v1\nkind: Team\nmetadata: {name: t}\nspec: {}",
            "apiVersion: ownit/v1\nkind: Schedule\nmetadata: {name: s}\nspec:\n  timezone: UTC\n"
            "  layers: [{name: l, start: '2026-01-05T09:00:00', rotation: 1d, users: [u]}]",
            "apiVersion: ownit/v1\nkind: User\nmetadata: {name: u}\nspec: {email: u@example.com}",
        ]
    )
    diff = diff_of(text, Snapshot())
    assert [(c.kind, c.name) for c in diff.changes] == [
        ("User", "u"),
        ("Team", "t"),
        ("Schedule", "s"),
        ("Service", "a"),
        ("Service", "b"),
    ]
    assert diff.counts() == {"create": 5, "update": 0, "delete": 0, "unchanged": 0}
