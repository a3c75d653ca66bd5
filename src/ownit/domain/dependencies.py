"""The service dependency graph: what a service depends on, and what depends on it.

Pure. The graph maps each service to the services it names in ``dependsOn``. Closures are
breadth-first, so each service appears once, at its shortest distance; cycles (which the
catalog refuses, but a graph read from storage may still hold) end the walk, never loop it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

Graph = Mapping[str, Sequence[str]]


@dataclass(frozen=True, slots=True)
class Reach:
    """``service`` is ``depth`` hops away (1: a direct dependency or dependant)."""

    service: str
    depth: int


def reverse(graph: Graph) -> dict[str, tuple[str, ...]]:
    """Who depends on each service: ``{b: (a,)}`` for ``a`` depending on ``b``."""
    out: dict[str, list[str]] = {}
    for service in sorted(graph):
        for target in graph[service]:
            if service not in out.setdefault(target, []):
                out[target].append(service)
    return {k: tuple(v) for k, v in out.items()}


def closure(graph: Graph, start: str) -> list[Reach]:
    """Every service reachable from ``start`` (not ``start`` itself), by depth, then name."""
    depth = {start: 0}
    frontier = [start]
    found: list[Reach] = []
    while frontier:
        following: list[str] = []
        for service in frontier:
            for target in graph.get(service, ()):
                if target not in depth:
                    depth[target] = depth[service] + 1
                    following.append(target)
        found += sorted((Reach(s, depth[s]) for s in following), key=lambda r: r.service)
        frontier = following
    return found


def upstream(graph: Graph, service: str) -> list[Reach]:
    """What ``service`` depends on, directly or through others."""
    return closure(graph, service)


def downstream(graph: Graph, service: str) -> list[Reach]:
    """What depends on ``service``, directly or through others."""
    return closure(reverse(graph), service)


def depths(reaches: Iterable[Reach]) -> dict[str, int]:
    return {r.service: r.depth for r in reaches}
