"""Routing trees: where an event goes, by Alertmanager's rules, and why.

Semantics (Alertmanager's route tree; ``docs/wire-formats.md`` and ``docs/routing.md``):

* the walk starts at the root, which matches every event;
* a matching node tries its children in order; each matching child's results are collected,
  and the walk stops at the first matching child that does not say ``continue``;
* a node none of whose children match is itself the result;
* a child inherits its parent's target unless it sets its own (a ``component`` node's
  service is the nearest ancestor's service); matchers and ``continue`` are not inherited.

:func:`compile_route` turns a :class:`Route` tree into a :class:`CompiledRouter` once (regexes
compiled, targets resolved, decision paths built, large child lists indexed on an equality
matcher); :meth:`CompiledRouter.route` is then a walk with no allocation beyond the result
list. Pure: the standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

from ownit.domain.matchers import Matcher, matches_all, parse_matcher

__all__ = [
    "ACTIONS",
    "CompiledRouter",
    "Decision",
    "Result",
    "Route",
    "RouteAction",
    "RouteTarget",
    "Step",
    "compile_route",
    "route",
]

RouteAction: TypeAlias = Literal["page", "suppress", "drop"]
ACTIONS: tuple[str, ...] = ("suppress", "drop")  # what a node may set; "page" is the default
_INDEX_MIN = 8  # children from which a node indexes them on an equality matcher


@dataclass(frozen=True, slots=True)
class RouteTarget:
    """Where a node sends events: exactly one of a service, a component of the nearest
    ancestor's service, or an action (``suppress``: stored, never pages; ``drop``: not stored)."""

    service: str | None = None
    component: str | None = None
    action: str | None = None

    def __post_init__(self) -> None:
        given = [v for v in (self.service, self.component, self.action) if v is not None]
        if len(given) != 1:
            raise ValueError("a target is exactly one of a service, a component or an action")
        if self.action is not None and self.action not in ACTIONS:
            raise ValueError(f"action {self.action!r} is not one of {', '.join(ACTIONS)}")


@dataclass(frozen=True, slots=True)
class Route:
    """One node of a routing tree. ``target`` ``None``: the parent's (inherited)."""

    matchers: tuple[Matcher, ...] = ()
    target: RouteTarget | None = None
    continue_: bool = False
    routes: tuple[Route, ...] = ()

    @classmethod
    def of(
        cls,
        *matchers: str,
        service: str | None = None,
        component: str | None = None,
        action: str | None = None,
        continue_: bool = False,
        routes: Sequence[Route] = (),
    ) -> Route:
        """A node from written matchers: ``Route.of('team="a"', service="x")``."""
        given = service is not None or component is not None or action is not None
        target = RouteTarget(service, component, action) if given else None
        return cls(tuple(parse_matcher(m) for m in matchers), target, continue_, tuple(routes))


@dataclass(frozen=True, slots=True)
class Step:
    """A node on a decision path: its id (``route``, ``routes[0].routes[1]``) and matchers."""

    id: str
    matchers: tuple[str, ...] = ()

    def __str__(self) -> str:
        if not self.matchers:
            return f"{self.id} (matches every event)" if self.id == "route" else self.id
        return f"{self.id} {{{', '.join(self.matchers)}}}"


@dataclass(frozen=True, slots=True)
class Result:
    """One destination: a service (and component) to page, or an action; the path there.

    ``service`` is ``None`` only when no node on the path names one (a tree whose root sets
    no service). A ``suppress`` or ``drop`` result keeps the service and component it would
    otherwise have gone to, so that what it stores or counts is attributed to them.
    """

    service: str | None
    component: str | None
    action: RouteAction
    path: tuple[Step, ...]

    @property
    def node(self) -> str:
        return self.path[-1].id

    def describe(self) -> str:
        """``page checkout-api/refunds``, ``suppress checkout-api``, ``drop``."""
        where = self.service or "(no service)"
        if self.component is not None:
            where += f"/{self.component}"
        if self.action == "drop" and self.service is None:
            return "drop"
        return f"{self.action} {where}"


@dataclass(frozen=True, slots=True)
class Decision:
    """Every result, in tree order, each with the path of nodes that led to it."""

    results: tuple[Result, ...]

    @property
    def paths(self) -> tuple[tuple[Step, ...], ...]:
        return tuple(r.path for r in self.results)

    @property
    def pages(self) -> tuple[Result, ...]:
        return tuple(r for r in self.results if r.action == "page")


# --- compiled form -----------------------------------------------------------------------


class _Node:
    __slots__ = ("children", "cont", "eq", "index", "rest", "result")

    def __init__(
        self,
        eq: tuple[tuple[str, str], ...],
        rest: tuple[Matcher, ...],
        cont: bool,
        result: Result,
    ) -> None:
        self.eq = eq
        self.rest = rest
        self.cont = cont
        self.result = result
        self.children: tuple[_Node, ...] = ()
        self.index: _Index | None = None

    def matches(self, labels: Mapping[str, str]) -> bool:
        get = labels.get
        for name, value in self.eq:
            if get(name, "") != value:
                return False
        for m in self.rest:  # noqa: SIM110 - a plain loop: this is the hot path
            if not m.matches(labels):
                return False
        return True


class _Index:
    """Children keyed on one equality matcher each; the others are always candidates.

    Only children whose every equality matcher on the indexed name agrees with the event
    can match, so looking the event's value up loses nothing; candidates stay in order.
    """

    __slots__ = ("always", "by_name")

    def __init__(
        self, by_name: tuple[tuple[str, dict[str, tuple[int, ...]]], ...], always: tuple[int, ...]
    ) -> None:
        self.by_name = by_name
        self.always = always

    def candidates(self, labels: Mapping[str, str]) -> Sequence[int]:
        found: list[int] | None = None
        first: Sequence[int] = self.always
        for name, table in self.by_name:
            hit = table.get(labels.get(name, ""))
            if hit is None:
                continue
            if not first:
                first = hit
            elif found is None:
                found = [*first, *hit]
            else:
                found.extend(hit)
        if found is None:
            return first
        found.sort()
        return found


def _build_index(children: Sequence[_Node]) -> _Index | None:
    if len(children) < _INDEX_MIN:
        return None
    counts: dict[str, int] = {}
    for child in children:
        for name in {n for n, _ in child.eq}:
            counts[name] = counts.get(name, 0) + 1
    if not counts:
        return None
    tables: dict[str, dict[str, list[int]]] = {}
    always: list[int] = []
    for i, child in enumerate(children):
        if not child.eq:
            always.append(i)
            continue
        name, value = max(child.eq, key=lambda nv: (counts[nv[0]], nv[0]))
        tables.setdefault(name, {}).setdefault(value, []).append(i)
    if len(always) * 2 > len(children):
        return None  # mostly unindexable: a plain scan is as fast
    by_name = tuple(
        (name, {value: tuple(ids) for value, ids in table.items()})
        for name, table in sorted(tables.items(), key=lambda kv: -len(kv[1]))
    )
    return _Index(by_name, tuple(always))


@dataclass(frozen=True, slots=True)
class _State:
    service: str | None = None
    component: str | None = None
    action: RouteAction = "page"

    def then(self, target: RouteTarget | None) -> _State:
        if target is None:
            return self
        if target.service is not None:
            return _State(target.service)
        if target.component is not None:
            return _State(self.service, target.component)
        action: RouteAction = "drop" if target.action == "drop" else "suppress"
        return _State(self.service, self.component, action)


def _compile(node: Route, node_id: str, state: _State, path: tuple[Step, ...]) -> _Node:
    state = state.then(node.target)
    path = (*path, Step(node_id, tuple(str(m) for m in node.matchers)))
    eq = tuple((m.name, m.value) for m in node.matchers if m.op == "=")
    rest = tuple(m for m in node.matchers if m.op != "=")
    # Cheap negative equality first, regexes last.
    rest = tuple(sorted(rest, key=lambda m: m.op in ("=~", "!~")))
    compiled = _Node(eq, rest, node.continue_, Result(*_fields(state), path))
    prefix = "" if node_id == "route" else f"{node_id}."
    compiled.children = tuple(
        _compile(child, f"{prefix}routes[{i}]", state, path) for i, child in enumerate(node.routes)
    )
    compiled.index = _build_index(compiled.children)
    return compiled


def _fields(state: _State) -> tuple[str | None, str | None, RouteAction]:
    return state.service, state.component, state.action


class CompiledRouter:
    """A routing tree ready to route many events."""

    __slots__ = ("_root", "tree")

    def __init__(self, tree: Route) -> None:
        self.tree = tree
        # The root matches every event: its matchers are not consulted.
        root = Route((), tree.target, False, tree.routes)
        self._root = _compile(root, "route", _State(), ())

    def route(self, labels: Mapping[str, str]) -> Decision:
        out: list[Result] = []
        _walk(self._root, labels, out)
        return Decision(tuple(out))


def _walk(node: _Node, labels: Mapping[str, str], out: list[Result]) -> None:
    children = node.children
    if children:
        before = len(out)
        order: Sequence[int] | range = (
            node.index.candidates(labels) if node.index is not None else range(len(children))
        )
        for i in order:
            child = children[i]
            if child.matches(labels):
                _walk(child, labels, out)
                if not child.cont:
                    break
        if len(out) > before:
            return
    out.append(node.result)


def compile_route(tree: Route) -> CompiledRouter:
    return CompiledRouter(tree)


def route(tree: Route | CompiledRouter, labels: Mapping[str, str]) -> Decision:
    """Where an event with ``labels`` goes. Compile a tree once (:func:`compile_route`) to
    route many events; a :class:`Route` given here is compiled for this one call."""
    router = tree if isinstance(tree, CompiledRouter) else CompiledRouter(tree)
    return router.route(labels)


def route_naive(tree: Route, labels: Mapping[str, str]) -> list[Route]:
    """The nodes an event reaches, straight from the definition (no index, no targets):
    the reference the compiled router is tested against."""

    def visit(node: Route, is_root: bool) -> list[Route]:
        if not is_root and not matches_all(node.matchers, labels):
            return []
        found: list[Route] = []
        for child in node.routes:
            got = visit(child, False)
            found += got
            if got and not child.continue_:
                break
        return found or [node]

    return visit(tree, True)
