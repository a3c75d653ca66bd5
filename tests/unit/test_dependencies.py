"""The dependency graph: upstream and downstream closures, shortest depth, cycle-safe."""

from __future__ import annotations

import pytest

from ownit.domain.dependencies import Graph, Reach, downstream, reverse, upstream

SHOP: Graph = {
    "web": ("api", "cdn"),
    "api": ("db", "fraud"),
    "fraud": ("db",),
    "db": (),
    "cdn": (),
    "batch": ("db",),
}
CYCLE: Graph = {"a": ("b",), "b": ("c",), "c": ("a",)}


def pairs(reaches: list[Reach]) -> list[tuple[str, int]]:
    return [(r.service, r.depth) for r in reaches]


@pytest.mark.parametrize(
    ("graph", "start", "expected"),
    [
        (SHOP, "web", [("api", 1), ("cdn", 1), ("db", 2), ("fraud", 2)]),
        (SHOP, "api", [("db", 1), ("fraud", 1)]),
        (SHOP, "db", []),
        (SHOP, "unknown", []),
        (CYCLE, "a", [("b", 1), ("c", 2)]),
        ({"a": ("a",)}, "a", []),
        ({"a": ("missing",)}, "a", [("missing", 1)]),
    ],
)
def test_upstream(graph: Graph, start: str, expected: list[tuple[str, int]]) -> None:
    assert pairs(upstream(graph, start)) == expected


@pytest.mark.parametrize(
    ("graph", "start", "expected"),
    [
        (SHOP, "db", [("api", 1), ("batch", 1), ("fraud", 1), ("web", 2)]),
        (SHOP, "fraud", [("api", 1), ("web", 2)]),
        (SHOP, "web", []),
        (CYCLE, "a", [("c", 1), ("b", 2)]),
    ],
)
def test_downstream(graph: Graph, start: str, expected: list[tuple[str, int]]) -> None:
    assert pairs(downstream(graph, start)) == expected


def test_reverse_lists_each_dependant_once() -> None:
    assert reverse({"a": ("b", "b"), "c": ("b",)}) == {"b": ("a", "c")}
