"""The geometry of a service's dependency picture: the service in the middle, the services
that depend on it (downstream) on the left, what it depends on (upstream) on the right.

Pure layout, no drawing: the web UI turns a :class:`Picture` into inline SVG. Only direct
neighbours are drawn; past :data:`MAX_PER_SIDE` a side ends in a "+N more" box. Arrows point
from a dependant to what it depends on. Names longer than a box are shortened with "…" (the
full name goes into the node's tooltip).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Edge", "Node", "Picture", "layout"]

MAX_PER_SIDE = 12
NODE_WIDTH = 190.0
NODE_HEIGHT = 34.0
GAP = 12.0
COLUMN_GAP = 70.0
PAD = 8.0
HEADER = 22.0  # room for the column headings
MAX_CHARS = 24  # what fits in a box at 13 px


@dataclass(frozen=True, slots=True)
class Node:
    name: str  # the service's name ("" for a "+N more" box)
    label: str  # what is written in the box
    role: str  # downstream | service | upstream | more
    x: float
    y: float
    width: float
    height: float
    open_incidents: int = 0

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    @property
    def cy(self) -> float:
        return self.y + self.height / 2


@dataclass(frozen=True, slots=True)
class Edge:
    """A line from a dependant (``x1, y1``) to what it depends on (``x2, y2``)."""

    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True, slots=True)
class Picture:
    width: float
    height: float
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    columns: tuple[tuple[str, float], ...]  # (heading, x of its centre)
    description: str  # the picture in words, for screen readers


def shorten(name: str, limit: int = MAX_CHARS) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _column(
    names: Sequence[str], role: str, x: float, top: float, counts: Mapping[str, int]
) -> list[Node]:
    shown = list(names[:MAX_PER_SIDE])
    hidden = len(names) - len(shown)
    nodes = [
        Node(n, shorten(n), role, x, top + i * (NODE_HEIGHT + GAP), NODE_WIDTH, NODE_HEIGHT,
             counts.get(n, 0))
        for i, n in enumerate(shown)
    ]  # fmt: skip
    if hidden > 0:
        y = top + len(shown) * (NODE_HEIGHT + GAP)
        nodes.append(Node("", f"+{hidden} more", "more", x, y, NODE_WIDTH, NODE_HEIGHT))
    return nodes


def _height(count: int) -> float:
    return count * NODE_HEIGHT + max(count - 1, 0) * GAP


def _words(service: str, upstream: Sequence[str], downstream: Sequence[str]) -> str:
    needs = (
        f"{service} depends on {', '.join(upstream)}."
        if upstream
        else (f"{service} depends on no other service.")
    )
    if not downstream:
        return f"{needs} No service depends on {service}."
    verb = "depends" if len(downstream) == 1 else "depend"
    return f"{needs} {', '.join(downstream)} {verb} on {service}."


def layout(
    service: str,
    upstream: Sequence[str],
    downstream: Sequence[str],
    open_incidents: Mapping[str, int] | None = None,
) -> Picture:
    """Boxes and arrows for ``service`` with its direct ``upstream`` dependencies (right) and
    ``downstream`` dependants (left); ``open_incidents`` counts mark boxes (name → count)."""
    counts = open_incidents or {}
    up = sorted(dict.fromkeys(u for u in upstream if u != service))
    down = sorted(dict.fromkeys(d for d in downstream if d != service))
    rows = max(min(len(up), MAX_PER_SIDE + 1), min(len(down), MAX_PER_SIDE + 1), 1)
    body = _height(rows)
    top = PAD + HEADER
    xs = (PAD, PAD + NODE_WIDTH + COLUMN_GAP, PAD + 2 * (NODE_WIDTH + COLUMN_GAP))

    def centred(count: int) -> float:
        return top + (body - _height(count)) / 2

    left = _column(down, "downstream", xs[0], centred(min(len(down), MAX_PER_SIDE + 1)), counts)
    right = _column(up, "upstream", xs[2], centred(min(len(up), MAX_PER_SIDE + 1)), counts)
    middle = Node(
        service,
        shorten(service),
        "service",
        xs[1],
        centred(1),
        NODE_WIDTH,
        NODE_HEIGHT,
        counts.get(service, 0),
    )
    edges = [Edge(n.x + n.width, n.cy, middle.x, middle.cy) for n in left]
    edges += [Edge(middle.x + middle.width, middle.cy, n.x, n.cy) for n in right]
    columns = (
        ("Depend on it", xs[0] + NODE_WIDTH / 2),
        ("This service", xs[1] + NODE_WIDTH / 2),
        ("It depends on", xs[2] + NODE_WIDTH / 2),
    )
    return Picture(
        width=xs[2] + NODE_WIDTH + PAD,
        height=top + body + PAD,
        nodes=(*left, middle, *right),
        edges=tuple(edges),
        columns=columns,
        description=_words(service, up, down),
    )
