"""Checks across documents: unique names, references, integration keys, dependency cycles."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from ownit.domain.catalog.drill_kind import check_drills
from ownit.domain.catalog.fields import quote, suggest
from ownit.domain.catalog.gameday_kind import check_gamedays, gameday_refs
from ownit.domain.catalog.model import (
    CatalogObject,
    Document,
    Drill,
    EscalationPolicy,
    GameDay,
    Heartbeat,
    MaintenanceWindow,
    Problem,
    Router,
    Schedule,
    Service,
    Snapshot,
    Team,
)
from ownit.domain.catalog.routers import check_components, service_refs
from ownit.domain.catalog.rule_model import Scorecard, Standard
from ownit.domain.catalog.standard_kinds import check_rules, rule_refs
from ownit.domain.key_digests import stored_key as digest_of

KIND_WORDS = {
    "User": "user",
    "Team": "team",
    "EscalationPolicy": "escalation policy",
    "Service": "service",
    "Schedule": "schedule",
    "Router": "router",
    "MaintenanceWindow": "maintenance window",
    "Heartbeat": "heartbeat",
    "Drill": "drill",
    "GameDay": "game day",
    "Standard": "standard",
    "Scorecard": "scorecard",
}


@dataclass(frozen=True, slots=True)
class _Ref:
    """``path`` of an object names the ``kind`` object ``name``."""

    path: str
    kind: str
    name: str


def references(obj: CatalogObject) -> list[_Ref]:
    refs: list[_Ref] = []
    if isinstance(obj, Team):
        refs += [_Ref(f"members[{i}].user", "User", m.user) for i, m in enumerate(obj.members)]
        if obj.parent is not None:
            refs.append(_Ref("parent", "Team", obj.parent))
    elif isinstance(obj, EscalationPolicy | Schedule) and obj.team is not None:
        refs.append(_Ref("team", "Team", obj.team))
    if isinstance(obj, Schedule):
        for i, layer in enumerate(obj.layers):
            refs += [_Ref(f"layers[{i}].users[{j}]", "User", u) for j, u in enumerate(layer.users)]
        refs += [_Ref(f"overrides[{k}].user", "User", o.user) for k, o in enumerate(obj.overrides)]
    elif isinstance(obj, EscalationPolicy):
        for i, level in enumerate(obj.levels):
            for j, t in enumerate(level.targets):
                kind = "User" if t.type == "user" else "Schedule"
                refs.append(_Ref(f"levels[{i}].targets[{j}].{t.type}", kind, t.name))
    elif isinstance(obj, Service):
        if obj.owner is not None:
            refs.append(_Ref("owner", "Team", obj.owner))
        if obj.escalation_policy is not None:
            refs.append(_Ref("escalationPolicy", "EscalationPolicy", obj.escalation_policy))
        refs += [_Ref(f"dependsOn[{i}]", "Service", s) for i, s in enumerate(obj.depends_on)]
        for i, comp in enumerate(obj.components):
            if not isinstance(comp, dict):
                continue
            owner, policy = comp.get("owner"), comp.get("escalationPolicy")
            if isinstance(owner, str):
                refs.append(_Ref(f"components[{i}].owner", "Team", owner))
            if isinstance(policy, str):
                refs.append(_Ref(f"components[{i}].escalationPolicy", "EscalationPolicy", policy))
    elif isinstance(obj, Router):
        refs += [_Ref(path, "Service", name) for path, name in service_refs(obj)]
    elif isinstance(obj, MaintenanceWindow):
        refs += [_Ref(f"services[{i}]", "Service", name) for i, name in enumerate(obj.services)]
    elif isinstance(obj, Heartbeat) and obj.service:
        refs.append(_Ref("service", "Service", obj.service))
    elif isinstance(obj, GameDay):
        refs += [_Ref(path, kind, name) for path, kind, name in gameday_refs(obj)]
    elif isinstance(obj, Drill) and obj.service:
        refs.append(_Ref("component" if obj.component else "service", "Service", obj.service))
    elif isinstance(obj, Standard | Scorecard):
        refs += [_Ref(path, kind, name) for path, kind, name in rule_refs(obj)]
    return refs


Key = tuple[str, str]  # (kind, name)


def check_references(
    documents: Sequence[Document], existing: Snapshot, removed: Collection[Key] = ()
) -> list[Problem]:
    """Every cross-document problem; ``removed`` are stored objects a prune would delete."""
    problems: list[Problem] = []
    first: dict[Key, Document] = {}
    for doc in documents:
        key = (doc.kind, doc.name)
        if key in first:
            seen = first[key]
            problems.append(
                doc.problem(
                    "metadata.name",
                    f"{doc.kind} {quote(doc.name)} is defined twice "
                    f"(also at {seen.file}:{seen.line_of('metadata.name')})",
                )
            )
        else:
            first[key] = doc
    names: dict[str, set[str]] = {}
    for kind in KIND_WORDS:
        stored = {n for n in existing.names(kind) if (kind, n) not in removed}
        names[kind] = stored | {n for (k, n) in first if k == kind}
    for doc in documents:
        for ref in references(doc.obj):
            if (ref.kind, ref.name) in removed and (ref.kind, ref.name) not in first:
                problems.append(
                    doc.problem(
                        ref.path,
                        f"{doc.where(ref.path)} {quote(ref.name)} would be deleted by the prune "
                        "(it is not in these files)",
                    )
                )
            elif ref.name not in names[ref.kind] and ref.kind != "Standard":  # check_rules
                problems.append(
                    doc.problem(
                        ref.path,
                        f"{doc.where(ref.path)} {quote(ref.name)} does not exist"
                        + suggest(ref.name, names[ref.kind]),
                    )
                )
    problems += _keys(documents, existing, removed)
    problems += check_components(documents, existing, removed)
    problems += check_drills(documents, existing, removed)
    problems += check_gamedays(documents, existing, removed)
    problems += check_rules(documents, existing, removed)
    problems += _cycles(documents, existing, removed)
    problems += _team_cycles(documents, existing, removed)
    problems += _dangling(documents, existing, removed)
    return problems


def stored_key(service: Service, name: str, existing: Snapshot) -> str | None:
    """The key the database holds for integration ``name`` of ``service``, if any."""
    stored = existing.services.get(service.name)
    if stored is None:
        return None
    return next((i.key for i in stored.integrations if i.name == name), None)


def _keys(
    documents: Sequence[Document], existing: Snapshot, removed: Collection[Key]
) -> list[Problem]:
    """Integration, router and heartbeat keys are unique across the files and the database."""
    named = {(d.kind, d.name) for d in documents}
    owners: dict[str, str] = {}  # key -> "integration "x" of service "y"" or "router "z""
    for service in existing.services.values():
        if ("Service", service.name) in named or ("Service", service.name) in removed:
            continue
        for i in service.integrations:
            if i.key is not None:
                owners[digest_of(i.key)] = (
                    f"integration {quote(i.name)} of service {quote(service.name)}"
                )
    for router in existing.routers.values():
        ident = ("Router", router.name)
        if ident not in named and ident not in removed and router.key is not None:
            owners[digest_of(router.key)] = f"router {quote(router.name)}"
    for beat in existing.heartbeats.values():
        ident = ("Heartbeat", beat.name)
        if ident not in named and ident not in removed and beat.key is not None:
            owners[digest_of(beat.key)] = f"heartbeat {quote(beat.name)}"
    problems: list[Problem] = []
    kept: list[tuple[str, str]] = []  # keys kept from the database for objects in the files
    given: list[tuple[Document, str, str, str]] = []  # doc, path, key, owner
    for doc in documents:
        obj = doc.obj
        if isinstance(obj, Heartbeat):
            me = f"heartbeat {quote(doc.name)}"
            if obj.key is not None:
                given.append((doc, "key", obj.key, me))
            else:
                had = existing.heartbeats.get(doc.name)
                if had is not None and had.key is not None:
                    kept.append((had.key, me))
            continue
        if isinstance(obj, Router):
            me = f"router {quote(doc.name)}"
            if obj.key is not None:
                given.append((doc, "key", obj.key, me))
            else:
                stored = existing.routers.get(doc.name)
                if stored is not None and stored.key is not None:
                    kept.append((stored.key, me))
            continue
        if not isinstance(obj, Service):
            continue
        for n, i in enumerate(obj.integrations):
            me = f"integration {quote(i.name)} of service {quote(doc.name)}"
            if i.key is not None:
                given.append((doc, f"integrations[{n}].key", i.key, me))
                continue
            key = stored_key(obj, i.name, existing)
            if key is not None:
                kept.append((key, me))
    # Keys are compared as the database keeps them (digests, decision 0035): a key in a
    # file is the same key as the digest it hashes to.
    for key, owner in kept:
        owners.setdefault(digest_of(key), owner)
    for doc, path, plain, me in given:
        key = digest_of(plain)
        if key in owners and owners[key] != me:
            problems.append(
                doc.problem(path, f"{doc.where(path)} is already used by {owners[key]}")
            )
        else:
            owners[key] = me
    return problems


def _cycles(
    documents: Sequence[Document], existing: Snapshot, removed: Collection[Key]
) -> list[Problem]:
    """``dependsOn`` forms no cycle; each cycle is reported once, at a service of the files."""
    graph: dict[str, tuple[str, ...]] = {
        name: s.depends_on
        for name, s in existing.services.items()
        if ("Service", name) not in removed
    }
    docs: dict[str, Document] = {}
    for doc in documents:
        if isinstance(doc.obj, Service) and doc.name not in docs:
            docs[doc.name] = doc
            graph[doc.name] = doc.obj.depends_on
    problems: list[Problem] = []
    reported: set[tuple[str, ...]] = set()
    for cycle in _find_cycles(graph, sorted(docs)):
        ring = cycle[:-1]
        start = ring.index(min(ring))
        canon = tuple(ring[start:] + ring[:start])
        if canon in reported:
            continue
        reported.add(canon)
        at = next((i for i, name in enumerate(cycle[:-1]) if name in docs), None)
        if at is None:
            continue
        doc = docs[cycle[at]]
        obj = doc.obj
        assert isinstance(obj, Service)
        index = obj.depends_on.index(cycle[at + 1])
        problems.append(
            doc.problem(
                f"dependsOn[{index}]",
                "dependsOn forms a cycle: " + " → ".join(cycle[at:] + cycle[1 : at + 1]),
            )
        )
    return problems


def _team_cycles(
    documents: Sequence[Document], existing: Snapshot, removed: Collection[Key]
) -> list[Problem]:
    """A team's ``parent`` chain never comes back to it; reported at each team in a cycle
    that the files define, on its ``parent`` line."""
    graph: dict[str, tuple[str, ...]] = {
        name: (team.parent,) if team.parent else ()
        for name, team in existing.teams.items()
        if ("Team", name) not in removed
    }
    docs: dict[str, Document] = {}
    for doc in documents:
        if isinstance(doc.obj, Team) and doc.name not in docs:
            docs[doc.name] = doc
            graph[doc.name] = (doc.obj.parent,) if doc.obj.parent else ()
    problems: list[Problem] = []
    for cycle in _find_cycles(graph, sorted(docs)):
        at = next((i for i, name in enumerate(cycle[:-1]) if name in docs), None)
        if at is None:
            continue
        ring = " → ".join(cycle[at:] + cycle[1 : at + 1])
        problems.append(docs[cycle[at]].problem("parent", f"parent forms a cycle: {ring}"))
    return problems


def _find_cycles(graph: dict[str, tuple[str, ...]], roots: Iterable[str]) -> list[list[str]]:
    """Cycles reachable from ``roots``, each as a path that ends where it starts."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    found: list[list[str]] = []
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state and nxt in graph:
                visit(nxt)
        path.pop()
        state[node] = 2

    for root in roots:
        if root not in state:
            visit(root)
    return found


def _dangling(
    documents: Sequence[Document], existing: Snapshot, removed: Collection[Key]
) -> list[Problem]:
    """A prune may not delete what a stored object outside the files still refers to."""
    if not removed:
        return []
    named = {(d.kind, d.name) for d in documents}
    problems: list[Problem] = []
    for obj in existing.objects():
        key = (obj.kind, obj.name)
        if key in named or key in removed:
            continue
        for ref in references(obj):
            if (ref.kind, ref.name) in removed:
                problems.append(
                    Problem(
                        "",
                        0,
                        f"cannot prune {KIND_WORDS[ref.kind]} {quote(ref.name)}: "
                        f"{KIND_WORDS[obj.kind]} {quote(obj.name)} (not in these files) "
                        f"refers to it in {ref.path}",
                    )
                )
    return problems
