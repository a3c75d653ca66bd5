"""Service ``tags``/``labels`` and team ``description``/``parent``: parsed, refused with
file:line, kept in the normal form, and mapped from Backstage."""

from __future__ import annotations

from typing import Any

import pytest

from ownit.adapters.catalog.yaml_source import dump_documents, load_text
from ownit.domain.backstage import convert
from ownit.domain.catalog import Service, Team, from_spec, to_document, to_spec, validate

USERS = """\
apiVersion: ownit/v1
kind: User
metadata: {name: alice}
spec: {email: alice@example.com}
---
"""  # 5 lines


def team(name: str, *spec: str, description: str = "") -> str:
    meta = f"{{name: {name}, description: {description!r}}}" if description else f"{{name: {name}}}"
    body = "\n".join(spec) if spec else "  members: [{user: alice}]"
    return f"apiVersion: ownit/v1\nkind: Team\nmetadata: {meta}\nspec:\n{body}\n---\n"


def service(*spec: str) -> str:
    body = "\n".join(["  owner: payments", *spec])
    return f"apiVersion: ownit/v1\nkind: Service\nmetadata: {{name: cart}}\nspec:\n{body}\n"


def problems(text: str) -> list[str]:
    return [str(p) for p in validate(load_text(text, "c.yaml").documents).problems]


def objects(text: str) -> dict[str, Any]:
    result = validate(load_text(text, "c.yaml").documents)
    assert [str(p) for p in result.problems] == []
    return {d.name: d.obj for d in result.documents}


# USERS is lines 1-5, team("payments") lines 6-11, the service starts at line 12 (spec: 15,
# owner: 16, its own fields from line 17).
@pytest.mark.parametrize(
    ("fields", "tags", "labels"),
    [
        (("  tags: [pci, tier-1, 'team:payments']",), ("pci", "tier-1", "team:payments"), ()),
        (
            ("  labels: {region: eu, cost-center: 'cc-42', app.kubernetes.io/name: cart}",),
            (),
            (("app.kubernetes.io/name", "cart"), ("cost-center", "cc-42"), ("region", "eu")),
        ),
        ((), (), ()),
    ],
)
def test_tags_and_labels_are_read_and_kept_in_normal_form(
    fields: tuple[str, ...], tags: tuple[str, ...], labels: tuple[tuple[str, str], ...]
) -> None:
    obj = objects(USERS + team("payments") + service(*fields))["cart"]
    assert isinstance(obj, Service)
    assert (obj.tags, obj.labels) == (tags, labels)
    spec: dict[str, Any] = to_spec(obj)
    assert spec.get("tags", []) == list(tags)
    assert spec.get("labels", {}) == dict(labels)
    assert list(spec.get("labels", {})) == sorted(dict(labels))  # one normal form
    assert from_spec("Service", "cart", spec) == obj  # stored and read back


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (("  tags: [PCI]",), 'c.yaml:17: tags[0] "PCI" is not a tag (lowercase letters'),
        (("  tags: [pci, pci]",), 'c.yaml:17: tags[1] "pci" is listed twice'),
        (("  tags: [ok, 3]",), "c.yaml:17: tags[1] must be a string, not 3"),
        (("  tags: pci",), 'c.yaml:17: tags must be a list, not "pci"'),
        (("  labels: [a, b]",), "c.yaml:17: labels must be a mapping of key: value, not a list"),
        (("  labels:", "    tier: 1"), "c.yaml:18: labels.tier must be a string (put it in"),
        (("  labels:", "    -bad: x"), 'c.yaml:18: label key "-bad" is not a label key'),
        (("  labels:", f"    k: {'v' * 201}"), "c.yaml:18: labels.k is longer than 200"),
        (("  tag: [pci]",), 'c.yaml:17: unknown field "tag" in spec (did you mean "tags"?)'),
    ],
)
def test_bad_tags_and_labels_are_refused_at_their_line(
    fields: tuple[str, ...], message: str
) -> None:
    found = problems(USERS + team("payments") + service(*fields))
    assert len(found) == 1, found
    assert found[0].startswith(message), found


def test_team_description_and_parent_are_read_exported_and_stored() -> None:
    text = (
        USERS
        + team("platform", description="Everything under the products.")
        + team("payments", "  members: [{user: alice}]", "  parent: platform")
    )
    found = objects(text)
    platform, payments = found["platform"], found["payments"]
    assert isinstance(platform, Team)
    assert isinstance(payments, Team)
    assert platform.description == "Everything under the products."
    assert (payments.parent, platform.parent) == ("platform", None)
    exported = to_document(platform)
    assert exported["metadata"] == {
        "name": "platform",
        "description": "Everything under the products.",
    }
    assert to_spec(payments)["parent"] == "platform"
    assert from_spec("Team", "payments", to_spec(payments)) == payments
    # export → lint → the same objects
    again = objects(dump_documents([to_document(o) for o in found.values()]))
    assert again == found


@pytest.mark.parametrize(
    ("teams", "message"),
    [
        (
            team("a", "  parent: a"),
            "c.yaml:10: parent forms a cycle: a → a",
        ),
        (
            team("a", "  parent: b") + team("b", "  parent: a"),
            "c.yaml:10: parent forms a cycle: a → b → a",
        ),
        (
            team("a", "  parent: nobody"),
            'c.yaml:10: parent "nobody" does not exist',
        ),
        (
            team("a", "  parent: Bad Name"),
            'c.yaml:10: parent "Bad Name" is not a slug',
        ),
    ],
)
def test_bad_parents_are_refused_at_their_line(teams: str, message: str) -> None:
    found = problems(USERS + teams)
    assert any(p.startswith(message) for p in found), found


BACKSTAGE = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: platform, description: All the platform teams.}
spec: {type: department}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: payments}
spec: {type: team, parent: group:default/platform, members: [alice]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: alice}
spec: {profile: {email: alice@example.com}}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: cart
  tags: [pci, java, Bad_Tag]
  labels: {region: eu, "-x": y}
spec: {owner: payments, type: service, lifecycle: production}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: orphans}
spec: {type: team, parent: group:elsewhere}
"""


def test_backstage_tags_labels_descriptions_and_parents_are_mapped() -> None:
    result = convert(load_text(BACKSTAGE, "b.yaml").documents)
    docs: dict[tuple[str, str], Any] = {}
    for document in result.documents:
        meta: Any = document["metadata"]
        docs[(str(document["kind"]), str(meta["name"]))] = document
    cart = docs[("Service", "cart")]["spec"]
    assert cart["tags"] == ["pci", "java"]
    assert cart["labels"] == {"region": "eu"}
    assert docs[("Team", "platform")]["metadata"] == {
        "name": "platform",
        "description": "All the platform teams.",
    }
    assert docs[("Team", "payments")]["spec"]["parent"] == "platform"
    assert "parent" not in docs[("Team", "orphans")]["spec"]
    notes = [str(n) for n in result.notes]
    assert 'b.yaml:20: Component "cart": tag "Bad_Tag" is not a tag' in " ".join(notes)
    assert any(n.startswith('b.yaml:21: Component "cart": label "-x"') for n in notes), notes
    assert any("b.yaml:27" in n and 'parent "group:elsewhere"' in n for n in notes), notes
    assert not any("has no ownit equivalent" in n and ("tags" in n or "labels" in n) for n in notes)
    assert not any("metadata.description" in n or "spec.parent" in n for n in notes), notes
    # what was imported lints clean
    dumped = dump_documents(list(result.documents))
    assert [str(p) for p in validate(load_text(dumped, "o.yaml").documents).problems] == []
