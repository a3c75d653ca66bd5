"""The ``Router`` kind and a service's ``components``: reading, normal form, cross-checks.

A router's spec is ``key`` (optional) and ``route``, a tree of nodes with ``matchers``,
at most one of ``service`` / ``component`` / ``action``, ``continue`` and ``routes``.
Matchers are kept in their canonical written form (``team="payments"``), so export is
stable. The key is stored apart from the spec (the ``routers.key`` column).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass

from ownit.domain.catalog.fields import Fields, quote, suggest
from ownit.domain.catalog.model import (
    Document,
    JsonObject,
    JsonValue,
    Node,
    Problem,
    Router,
    Service,
    Snapshot,
)
from ownit.domain.matchers import Matcher, parse_matcher
from ownit.domain.routing import ACTIONS, Route, RouteTarget

ROUTER_FIELDS = ("key", "route")
_NODE_FIELDS = ("matchers", "service", "component", "action", "continue", "routes")
_COMPONENT_FIELDS = ("name", "owner", "escalationPolicy", "match")
_TARGET_FIELDS = ("service", "component", "action")
_MAX_DEPTH = 16
_KEY = re.compile(r"^[0-9a-zA-Z]{32}$")


# --- reading -----------------------------------------------------------------------------


def parse_router(name: str, spec: Fields) -> Router:
    key = spec.text(
        "key",
        check=lambda v: None if _KEY.match(v) else "must be exactly 32 letters and digits",
    )
    root = spec.sub("route", _NODE_FIELDS)
    if root is None:
        spec.node("route", required=True)
        return Router(name, key)
    tree = _node(root, depth=0)
    return Router(name, key, tree if tree is not None else Route())


def _node(f: Fields, depth: int) -> Route | None:
    r = f.r
    if not f.ok:
        return None
    is_root = depth == 0
    matchers: list[Matcher] = []
    for path, item in f.seq("matchers"):
        r.lines[path] = item.line
        if not item.is_scalar or not isinstance(item.scalar, str):
            r.problem(item.line, f'{path} must be a string like team="payments"')
            continue
        try:
            matchers.append(parse_matcher(item.scalar))
        except ValueError as exc:
            r.problem(item.line, f"{path}: {exc}")
    if is_root and f.has("matchers"):
        r.problem(
            f.line_of("matchers"),
            f"{f.where('matchers')}: the root route matches every event and takes no matchers "
            "(put them on its routes)",
        )
    given = [k for k in _TARGET_FIELDS if f.has(k)]
    if len(given) > 1:
        r.problem(
            f.line_of(given[1]),
            f"{f.path} sets {' and '.join(given)}: a route sets at most one of "
            "service, component and action",
        )
    target: RouteTarget | None = None
    service = f.slug("service")
    component = f.slug("component")
    action = f.choice("action", ACTIONS)
    if is_root and f.has("component"):
        r.problem(
            f.line_of("component"),
            f"{f.where('component')}: the root route has no service above it; "
            "name a service (or an action) instead",
        )
    elif len(given) == 1 and (service or component or action):
        target = RouteTarget(service, component, action)
    if is_root and not given:
        r.problem(
            f.line,
            "route needs a service (or an action) for the events that no route below matches",
        )
    cont = _flag(f, "continue")
    if is_root and cont:
        r.problem(
            f.line_of("continue"), "route: the root route cannot continue (it has no siblings)"
        )
    children: list[Route] = []
    items = f.seq("routes")
    if items and depth >= _MAX_DEPTH:
        r.problem(f.line_of("routes"), f"{f.where('routes')} nests deeper than {_MAX_DEPTH} levels")
        items = []
    for path, item in items:
        child = _node(f.item(path, item, _NODE_FIELDS), depth + 1)
        if child is not None:
            r.alias(path, f"{f.where('routes')}[{len(children)}]")
            children.append(child)
    return Route(tuple(matchers), target, cont and not is_root, tuple(children))


def _flag(f: Fields, key: str) -> bool:
    node = f.node(key)
    if node is None:
        return False
    if not node.is_scalar or not isinstance(node.scalar, bool):
        f.r.problem(node.line, f"{f.where(key)} must be true or false, not {_shown(node)}")
        return False
    return node.scalar


def _shown(node: Node) -> str:
    if node.text is not None:
        return node.text
    return quote(node.scalar) if node.is_scalar else "a list or mapping"


def parse_components(spec: Fields) -> tuple[JsonValue, ...]:
    """A service's components, each normalised to ``{name, owner?, escalationPolicy?, match?}``."""
    r = spec.r
    out: list[JsonValue] = []
    names: dict[str, str] = {}
    matchsets: dict[frozenset[Matcher], str] = {}
    for path, node in spec.seq("components"):
        r.lines[path] = node.line
        if node.entries is None:
            r.problem(node.line, f"{path} must be a mapping with a name")
            continue
        f = spec.item(path, node, _COMPONENT_FIELDS)
        name = f.slug("name", required=True)
        owner = f.slug("owner")
        policy = f.slug("escalationPolicy")
        match: list[str] = []
        parsed: list[Matcher] = []
        bad = False
        for mpath, item in f.seq("match"):
            r.lines[mpath] = item.line
            if not item.is_scalar or not isinstance(item.scalar, str):
                r.problem(item.line, f'{mpath} must be a string like module="refunds"')
                bad = True
                continue
            try:
                parsed.append(parse_matcher(item.scalar))
            except ValueError as exc:
                r.problem(item.line, f"{mpath}: {exc}")
                bad = True
                continue
            match.append(item.scalar)
        if name is None:
            continue
        if name in names:
            r.problem(
                f.line_of("name"), f"{path}.name {quote(name)} is already used by {names[name]}"
            )
            continue
        names[name] = path
        if parsed and not bad:
            key = frozenset(parsed)
            if key in matchsets:
                r.problem(
                    f.line_of("match"),
                    f"{path}.match is the same as {matchsets[key]}.match: the components "
                    "are ambiguous (an event would match both)",
                )
            else:
                matchsets[key] = path
        item_json: JsonObject = {"name": name}
        if owner is not None:
            item_json["owner"] = owner
        if policy is not None:
            item_json["escalationPolicy"] = policy
        if match:
            match_json: list[JsonValue] = list(match)
            item_json["match"] = match_json
        r.alias(path, f"components[{len(out)}]")
        out.append(item_json)
    return tuple(out)


# --- views over components ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Component:
    """A typed view of one entry of a service's ``components``."""

    name: str
    owner: str | None = None
    escalation_policy: str | None = None
    match: tuple[Matcher, ...] = ()


def components_of(service: Service) -> tuple[Component, ...]:
    """The service's components; entries that do not fit (only possible in old rows) skipped."""
    return components_from(service.components)


def components_from(items: object) -> tuple[Component, ...]:
    """Components from a stored ``spec.components`` list; entries that do not fit skipped."""
    out: list[Component] = []
    for item in items if isinstance(items, list | tuple) else ():
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        owner, policy, match = item.get("owner"), item.get("escalationPolicy"), item.get("match")
        matchers: list[Matcher] = []
        for text in match if isinstance(match, list) else []:
            try:
                matchers.append(parse_matcher(str(text)))
            except ValueError:
                continue
        out.append(
            Component(
                str(item["name"]),
                owner if isinstance(owner, str) else None,
                policy if isinstance(policy, str) else None,
                tuple(matchers),
            )
        )
    return tuple(out)


def component_for(components: Sequence[Component], labels: Mapping[str, str]) -> Component | None:
    """The first component whose matchers (at least one) all meet ``labels``."""
    for component in components:
        if component.match and all(m.matches(labels) for m in component.match):
            return component
    return None


# --- normal form -------------------------------------------------------------------------


def node_json(node: Route) -> JsonObject:
    out: JsonObject = {}
    if node.matchers:
        matchers: list[JsonValue] = [str(m) for m in node.matchers]
        out["matchers"] = matchers
    if node.target is not None:
        for key in _TARGET_FIELDS:
            value = getattr(node.target, key)
            if value is not None:
                out[key] = value
    if node.continue_:
        out["continue"] = True
    if node.routes:
        routes: list[JsonValue] = [node_json(child) for child in node.routes]
        out["routes"] = routes
    return out


def router_spec(router: Router, *, keys: bool) -> JsonObject:
    out: JsonObject = {}
    if keys and router.key is not None:
        out["key"] = router.key
    out["route"] = node_json(router.route)
    return out


# --- cross-document checks ---------------------------------------------------------------


def _walk(tree: Route, path: str = "route") -> Iterator[tuple[str, Route, str | None]]:
    """Every node with its path and the service it inherits from above (``None``: none)."""

    def visit(node: Route, at: str, above: str | None) -> Iterator[tuple[str, Route, str | None]]:
        yield at, node, above
        own = node.target.service if node.target is not None else None
        for i, child in enumerate(node.routes):
            yield from visit(child, f"{at}.routes[{i}]", own or above)

    yield from visit(tree, path, None)


def service_refs(router: Router) -> list[tuple[str, str]]:
    """``(path, service)`` for every node that names a service."""
    return [
        (f"{path}.service", node.target.service)
        for path, node, _ in _walk(router.route)
        if node.target is not None and node.target.service is not None
    ]


def check_components(
    documents: Sequence[Document],
    existing: Snapshot,
    removed: Collection[tuple[str, str]] = (),
) -> list[Problem]:
    """A ``component`` node names a component of the service it inherits from above."""
    services: dict[str, Service] = {
        name: s for name, s in existing.services.items() if ("Service", name) not in removed
    }
    seen: set[str] = set()
    for doc in documents:  # the files win over the database; the first definition counts
        if isinstance(doc.obj, Service) and doc.name not in seen:
            seen.add(doc.name)
            services[doc.name] = doc.obj
    problems: list[Problem] = []
    for doc in documents:
        if not isinstance(doc.obj, Router):
            continue
        for path, node, above in _walk(doc.obj.route):
            if node.target is None or node.target.component is None:
                continue
            name = node.target.component
            at = f"{path}.component"
            if above is None:
                problems.append(
                    doc.problem(
                        at,
                        f"{doc.where(at)} {quote(name)} has no service above it "
                        "(set service on this route or one above)",
                    )
                )
                continue
            service = services.get(above)
            if service is None:
                continue  # reported as a missing service
            known = [c.name for c in components_of(service)]
            if name not in known:
                problems.append(
                    doc.problem(
                        at,
                        f"{doc.where(at)} {quote(name)} is not a component of service "
                        f"{quote(above)}" + suggest(name, known),
                    )
                )
    return problems
