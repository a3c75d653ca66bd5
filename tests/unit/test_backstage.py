"""Backstage ``catalog-info.yaml`` to ``ownit/v1``: a case per mapping, each note with its line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ownit.adapters.catalog.backstage_source import import_files
from ownit.adapters.catalog.yaml_source import dump_documents, load_text
from ownit.domain.backstage import convert, parse_ref, slugify
from ownit.domain.catalog import JsonObject, validate

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "backstage"
ORG = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: payments}
spec:
  profile: {displayName: Payments}
  members: [alice]
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: alice}
spec:
  profile: {displayName: Alice, email: alice@example.com}
---
"""
HEAD = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n"


def component(name: str = "cart", meta: str = "", spec: str = "  owner: payments\n") -> str:
    return HEAD.format(name=name) + meta + "spec:\n" + spec


def key(document: JsonObject) -> tuple[str, str]:
    metadata = document["metadata"]
    assert isinstance(metadata, dict)
    return str(document["kind"]), str(metadata["name"])


def run(text: str) -> tuple[dict[tuple[str, str], Any], list[str]]:
    loaded = load_text(text, "c.yaml")
    assert not loaded.problems
    result = convert(loaded.documents)
    docs = {key(d): d for d in result.documents}
    return docs, [str(n) for n in result.notes]


def spec_of(docs: dict[tuple[str, str], Any], kind: str, name: str) -> Any:
    return docs[(kind, name)]["spec"]


def lints_clean(text: str) -> None:
    loaded = load_text(dump_documents(convert(load_text(text, "c.yaml").documents).documents), "o")
    assert list(validate(loaded.documents).problems) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("payments", ("group", "payments")),
        ("group:payments", ("group", "payments")),
        ("group:default/payments", ("group", "payments")),
        ("User:ops/Jane.Doe", ("user", "jane-doe")),
        ("component:default/payments-db", ("component", "payments-db")),
    ],
)
def test_entity_references(text: str, expected: tuple[str, str]) -> None:
    ref = parse_ref(text, "group")
    assert (ref.kind, ref.name) == expected


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("payments", "payments"),
        ("Payments_Team", "payments-team"),
        ("jane.doe", "jane-doe"),
        ("--x--", "x"),
        ("___", ""),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_groups_and_users() -> None:
    text = ORG + (
        "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: Bob.B, title: Bobby}\n"
        "spec:\n  profile: {email: bob@example.com}\n  memberOf: [group:default/payments]\n"
    )
    docs, notes = run(text)
    assert spec_of(docs, "Team", "payments") == {
        "displayName": "Payments",
        "members": [{"user": "alice"}, {"user": "bob-b"}],
    }
    assert spec_of(docs, "User", "alice") == {"displayName": "Alice", "email": "alice@example.com"}
    assert spec_of(docs, "User", "bob-b") == {"displayName": "Bobby", "email": "bob@example.com"}
    assert notes == ['c.yaml:16: User "Bob.B" is named "bob-b" in ownit']
    lints_clean(text)


# (backstage component parts, expected ownit spec, expected notes)
CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        component(spec="  owner: group:default/payments\n  lifecycle: production\n"),
        {"owner": "payments", "lifecycle": "production"},
        [],
    ),
    (
        component(spec="  owner: payments\n  lifecycle: beta\n"),
        {"owner": "payments"},
        [
            'c.yaml:20: Component "cart": lifecycle "beta" is not one of experimental, '
            "production, deprecated; not imported"
        ],
    ),
    (
        component(
            meta="  description: The cart.\n  links:\n    - {url: 'https://w.example.com/cart', "
            "title: Wiki}\n    - {url: 'ftp://x'}\n"
        ),
        {"owner": "payments", "docs": [{"title": "Wiki", "url": "https://w.example.com/cart"}]},
        ['c.yaml:21: Component "cart": link "ftp://x" is not an http(s) URL; not imported'],
    ),
    (
        component(
            meta="  annotations:\n    pagerduty.com/integration-key: "
            "0123456789abcdef0123456789abcdef\n    backstage.io/techdocs-ref: dir:.\n"
        ),
        {
            "owner": "payments",
            "integrations": [
                {
                    "name": "pagerduty",
                    "type": "events-v2",
                    "key": "0123456789abcdef0123456789abcdef",
                }
            ],
        },
        [
            'c.yaml:19: Component "cart": annotations with no ownit equivalent, not imported: '
            "backstage.io/techdocs-ref"
        ],
    ),
    (
        component(meta="  annotations: {pagerduty.com/integration-key: short}\n"),
        {"owner": "payments", "integrations": [{"name": "pagerduty", "type": "events-v2"}]},
        [
            'c.yaml:18: Component "cart": pagerduty.com/integration-key is not 32 letters and '
            "digits; the integration gets a new key on apply"
        ],
    ),
    (
        component(spec="  owner: payments\n  dependsOn: [component:db, resource:bucket, api:x]\n")
        + "---\n"
        + component("db"),
        {"owner": "payments", "dependsOn": ["db"]},
        [
            'c.yaml:20: Component "cart": dependsOn "resource:bucket" is not a Component in '
            "these files (a Resource has no ownit equivalent); not imported",
            'c.yaml:20: Component "cart": dependsOn "api:x" is not a Component in these files; '
            "not imported",
        ],
    ),
    (
        component(spec="  owner: payments\n  providesApis: [cart-v1, cart-v2, gone]\n")
        + "---\napiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: cart-v1}\n"
        "spec: {type: openapi, definition: {$text: 'https://a.example.com/cart.json'}}\n"
        "---\napiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: cart-v2\n"
        "  links: [{url: 'https://docs.example.com/v2'}]\nspec: {type: graphql, definition: x}\n",
        {
            "owner": "payments",
            "docs": [{"title": "API cart-v2", "url": "https://docs.example.com/v2"}],
            "contract": {"type": "openapi", "url": "https://a.example.com/cart.json"},
        },
        [
            'c.yaml:20: Component "cart": ownit has one contract per service; API "cart-v2" is '
            "imported as a docs link",
            'c.yaml:20: Component "cart": API "gone" is not in these files',
        ],
    ),
    (
        component(spec="  owner: user:alice\n"),
        {"owner": "alice"},
        [
            'c.yaml:19: Component "cart": owner is the user "alice"; ownit services are owned '
            'by teams, so team "alice" was made with them as its member'
        ],
    ),
    (
        component(spec="  owner: group:ghosts\n  type: service\n  colour: red\n"),
        {"owner": "ghosts"},
        [
            'c.yaml:19: Component "cart": owner "group:ghosts" is not a Group in these files '
            '(it must exist in ownit already as team "ghosts")',
            'c.yaml:20: Component "cart": spec.type "service" has no ownit equivalent; '
            "not imported",
            'c.yaml:21: Component "cart": unknown field spec.colour; not imported',
        ],
    ),
]


@pytest.mark.parametrize(("text", "spec", "notes"), CASES)
def test_components(text: str, spec: dict[str, Any], notes: list[str]) -> None:
    docs, found = run(ORG + text)
    assert spec_of(docs, "Service", "cart") == spec
    assert found == notes


def test_a_subcomponent_is_a_component_of_its_parent() -> None:
    text = (
        component()
        + "---\n"
        + component("refunds", spec="  owner: payments\n  subcomponentOf: cart\n")
        + "---\n"
        + component("web", spec="  owner: payments\n  dependsOn: [component:refunds]\n")
    )
    docs, notes = run(ORG + text)
    assert spec_of(docs, "Service", "cart")["components"] == [
        {"name": "refunds", "owner": "payments"}
    ]
    assert ("Service", "refunds") not in docs
    assert spec_of(docs, "Service", "web")["dependsOn"] == ["cart"]
    assert notes == [
        'c.yaml:27: Component "refunds" is imported as component "refunds" of service "cart": '
        "add match (label matchers) so that events reach it",
        'c.yaml:35: Component "web": dependsOn "component:refunds" is a part of service "cart"; '
        "imported as a dependency on that service",
    ]


@pytest.mark.parametrize(
    ("text", "note"),
    [
        (
            "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: {name: shop}\n",
            'c.yaml:14: System "shop" has no ownit equivalent; not imported',
        ),
        (
            "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: x}\n",
            'c.yaml:15: kind "Location" has no ownit equivalent; not imported',
        ),
        (
            "apiVersion: ownit/v1\nkind: Team\nmetadata: {name: x}\n",
            'c.yaml:14: not a Backstage document (apiVersion "ownit/v1"); not imported',
        ),
        (
            "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: carol}\n"
            "spec: {profile: {displayName: Carol}}\n",
            'c.yaml:17: User "carol" has no spec.profile.email, which ownit needs to reach them; '
            "not imported",
        ),
        (
            "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: Payments}\n"
            "spec: {type: team}\n",
            'c.yaml:16: Group "Payments" has the same ownit name as the Group at c.yaml:1; '
            "not imported",
        ),
    ],
)
def test_what_has_no_equivalent_is_reported(text: str, note: str) -> None:
    _, notes = run(ORG + text)
    assert note in notes


def test_members_that_are_not_users_of_the_files_are_reported() -> None:
    docs, notes = run(ORG.replace("members: [alice]", "members: [alice, user:zed]"))
    assert spec_of(docs, "Team", "payments")["members"] == [{"user": "alice"}]
    assert notes == [
        'c.yaml:6: Group "payments": member "user:zed" is not a User in these files; not imported'
    ]


def test_the_samples_convert_and_lint_clean() -> None:
    files = [str(SAMPLES / "org.yaml"), str(SAMPLES / "checkout" / "catalog-info.yaml")]
    result = import_files(files)
    assert result.errors == ()
    kinds = [key(d) for d in result.documents]
    assert kinds == [
        ("User", "alice"),
        ("User", "bob"),
        ("User", "carol-smith"),
        ("Team", "payments"),
        ("Team", "platform"),
        ("Service", "checkout-api"),
        ("Service", "payments-db"),
        ("Service", "fraud-scoring"),
        ("Service", "web-frontend"),
    ]
    loaded = load_text(result.yaml(), "out.yaml")
    assert list(validate(loaded.documents).problems) == []
    assert all(n.file in files and n.line > 0 for n in result.notes)


def test_a_messy_file_is_reported_line_by_line() -> None:
    result = import_files([str(SAMPLES / "messy.yaml")])
    lines = [(n.line, n.message.split(":")[0]) for n in result.notes]
    assert lines == sorted(lines, key=lambda x: x[0])
    assert len(result.notes) == 14
    loaded = load_text(result.yaml(), "out.yaml")
    assert list(validate(loaded.documents).problems) == []
