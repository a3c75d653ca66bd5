"""Reading catalog YAML: every node keeps its line; broken files are problems, not tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from ownit.adapters.catalog.yaml_source import dump_documents, load_files, load_text
from ownit.domain.catalog import JsonObject, Node, Problem, validate

TEXT = """\
# a comment
apiVersion: ownit/v1
kind: Team
metadata: {name: payments}
spec:
  displayName: Payments
  members:
    - {user: alice, role: manager}
    - user: bob

---
apiVersion: ownit/v1
kind: User
metadata:
  name: alice
spec: {email: alice@example.com}
"""


def field(node: Node, *path: str | int) -> Node:
    for step in path:
        if isinstance(step, int):
            assert node.items is not None
            node = node.items[step]
        else:
            assert node.entries is not None
            node = next(e.value for e in node.entries if e.key == step)
    return node


def test_every_node_keeps_its_line() -> None:
    loaded = load_text(TEXT, "teams.yaml")
    assert loaded.problems == ()
    team, user = loaded.documents
    assert (team.file, team.line, user.line) == ("teams.yaml", 2, 12)
    assert field(team.root, "spec", "displayName").line == 6
    assert field(team.root, "spec", "members", 0, "role").line == 8
    assert field(team.root, "spec", "members", 1, "user").line == 9
    assert field(user.root, "metadata", "name").line == 15
    assert team.root.entries is not None
    assert [(e.key, e.line) for e in team.root.entries] == [
        ("apiVersion", 2),
        ("kind", 3),
        ("metadata", 4),
        ("spec", 5),
    ]


def test_validated_documents_know_the_line_of_each_field() -> None:
    result = validate(load_text(TEXT, "teams.yaml").documents)
    team = result.documents[0]
    assert team.line_of("displayName") == 6
    assert team.line_of("members[1].user") == 9
    assert team.line_of("members[1].role") == 9  # absent: the nearest enclosing field
    assert team.line_of("metadata.name") == 4


@pytest.mark.parametrize(
    ("text", "scalar"),
    [
        ("v: 12", 12),
        ("v: '12'", "12"),
        ("v: 1.5", 1.5),
        ("v: true", True),
        ("v: ~", None),
        ("v: 2026-01-05T09:00:00", "2026-01-05T09:00:00"),  # times stay as written
        ("v: 5m", "5m"),
    ],
)
def test_scalars_keep_their_yaml_type(text: str, scalar: object) -> None:
    (document,) = load_text(text, "f.yaml").documents
    value = field(document.root, "v")
    assert value.scalar == scalar
    assert type(value.scalar) is type(scalar)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "kind: Team\nspec:\n  members: [alice\n",
            "f.yaml:4: YAML syntax error: expected ',' or ']', but got '<stream end>' "
            "(while parsing a flow sequence at line 3)",
        ),
        (
            "kind: Team\n  spec: x\n",
            "f.yaml:2: YAML syntax error: mapping values are not allowed here",
        ),
        (
            "a: 1\nb: 'open\n",
            "f.yaml:3: YAML syntax error: found unexpected end of stream "
            "(while scanning a quoted scalar at line 2)",
        ),
        ("spec:\n  owner: a\n  owner: b\n", 'f.yaml:3: duplicate key "owner" (first at line 2)'),
        ("a: &x [*x]\n", "f.yaml:1: an alias refers to itself"),
    ],
)
def test_broken_yaml_is_a_problem_with_a_line(text: str, problem: str) -> None:
    assert [str(p) for p in load_text(text, "f.yaml").problems] == [problem]


def test_documents_before_a_syntax_error_are_kept() -> None:
    loaded = load_text("a: 1\n---\nb: [\n", "f.yaml")
    assert len(loaded.documents) == 1
    assert [p.line for p in loaded.problems] == [4]


def test_empty_documents_are_skipped() -> None:
    loaded = load_text("---\n# nothing\n---\na: 1\n---\n", "f.yaml")
    assert [d.line for d in loaded.documents] == [4]


def test_files_that_cannot_be_read_are_problems(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("a: 1\n")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"a: \xff\xfe\x00\n")
    missing = str(tmp_path / "missing.yaml")
    loaded = load_files([str(good), missing, str(tmp_path), str(binary)])
    assert loaded.files == 4
    assert len(loaded.documents) == 1
    messages = [(p.file, p.line, p.message.split(":")[0]) for p in loaded.problems]
    assert messages == [
        (missing, 0, "cannot read the file"),
        (str(tmp_path), 0, "cannot read the file"),
        (str(binary), 0, "YAML error"),
    ]
    assert str(loaded.problems[0]) == f"{missing}: cannot read the file: No such file or directory"


def test_a_problem_prints_as_file_line_message() -> None:
    assert str(Problem("s.yaml", 14, "owner is required")) == "s.yaml:14: owner is required"
    assert str(Problem("s.yaml", 0, "cannot read")) == "s.yaml: cannot read"
    assert str(Problem("", 0, "cannot prune")) == "cannot prune"


def test_dump_is_stable_and_reads_back() -> None:
    documents: list[JsonObject] = [
        {"kind": "Service", "spec": {"runbookText": "# Title\n\n1. step\n", "tier": 1}},
        {
            "kind": "User",
            "spec": {"key": "12345678901234567890123456789012", "flag": "yes", "z": "0123456789"},
        },
    ]
    text = dump_documents(documents)
    assert text.startswith("---\nkind: Service\n")
    assert "runbookText: |\n    # Title\n\n    1. step\n" in text
    assert "key: '12345678901234567890123456789012'" in text
    again = load_text(text, "out.yaml")
    assert again.problems == ()
    assert field(again.documents[1].root, "spec", "flag").scalar == "yes"
    assert (
        field(again.documents[1].root, "spec", "key").scalar == "12345678901234567890123456789012"
    )
    assert field(again.documents[1].root, "spec", "z").scalar == "0123456789"
    assert field(again.documents[0].root, "spec", "runbookText").scalar == "# Title\n\n1. step\n"
    assert dump_documents(documents) == text
    assert dump_documents([]) == ""
