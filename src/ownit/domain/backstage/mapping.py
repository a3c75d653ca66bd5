"""Backstage ``catalog-info.yaml`` documents mapped onto ``ownit/v1`` documents.

Pure: positioned documents come in (an adapter reads the YAML), ``ownit/v1`` documents and
notes go out. Every thing that has no ownit equivalent is a note with its file and line,
never dropped silently:

- ``Group`` → ``Team`` (``spec.members`` and the users' ``spec.memberOf``; display name
  from ``spec.profile.displayName``, else ``metadata.title``; ``metadata.description``;
  ``spec.parent`` when it is a Group of the files);
- ``User`` → ``User`` (``spec.profile.email``, which ownit needs, and the display name);
- ``Component`` → ``Service`` (owner, lifecycle, description, links as docs, ``dependsOn``
  on components of the files, the first provided API with a URL as the contract, the
  PagerDuty integration key as an ``events-v2`` integration, ``metadata.tags`` and
  ``metadata.labels``); a component with
  ``spec.subcomponentOf`` becomes a ``components`` entry of its parent's service;
- ``API`` documents only lend their definition URL (or first link) to a contract;
- ``System`` and every other kind have no equivalent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ownit.domain.backstage.entities import (
    KEY,
    PAGERDUTY_KEY,
    Entity,
    Ref,
    api_contract,
    child,
    display_name,
    line_of,
    links,
    parse_ref,
    read_entity,
    refs,
    report_fields,
    report_profile,
    slugify,
    string,
)
from ownit.domain.backstage.tags import service_tags, team_parent
from ownit.domain.catalog import sort_problems
from ownit.domain.catalog.fields import URL, quote
from ownit.domain.catalog.model import (
    API_VERSION,
    LIFECYCLES,
    JsonObject,
    JsonValue,
    Problem,
    RawDocument,
)

__all__ = ["Imported", "convert", "parse_ref", "slugify"]


@dataclass(frozen=True, slots=True)
class Imported:
    """The ``ownit/v1`` documents (users, teams, services) and every note on the way."""

    documents: tuple[JsonObject, ...]
    notes: tuple[Problem, ...]


@dataclass
class _Mapper:
    notes: list[Problem] = field(default_factory=list)
    entities: dict[tuple[str, str], Entity] = field(default_factory=dict)
    users: dict[str, JsonObject] = field(default_factory=dict)
    teams: dict[str, JsonObject] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    services: dict[str, JsonObject] = field(default_factory=dict)
    personal: dict[str, str] = field(default_factory=dict)  # user → team made for it

    def note(self, file: str, line: int, message: str) -> None:
        self.notes.append(Problem(file, line, message))

    def entity(self, kind: str, name: str) -> Entity | None:
        return self.entities.get((kind, name))

    def of_kind(self, kind: str) -> list[Entity]:
        return [e for (k, _), e in self.entities.items() if k == kind]


def convert(documents: Sequence[RawDocument]) -> Imported:
    """Map Backstage documents (of any number of files, read together) to ``ownit/v1``."""
    m = _Mapper()
    for doc in documents:
        entity = read_entity(doc, m.entities, m.notes)
        if entity is not None:
            report_fields(entity, m.notes)
    for user in m.of_kind("User"):
        _user(user, m)
    for group in m.of_kind("Group"):
        _team(group, m)
    for user in m.of_kind("User"):
        _member_of(user, m)
    for api in m.of_kind("API"):
        _check_api(api, m)
    for system in m.of_kind("System"):
        m.note(system.file, system.line, f"{system.label()} has no ownit equivalent; not imported")
    roots = _subcomponent_roots(m)
    for component in m.of_kind("Component"):
        if component.name not in roots:
            _service(component, m, roots)
    for component in m.of_kind("Component"):
        if component.name in roots:
            _subcomponent(component, roots[component.name], m)
    out: list[JsonObject] = list(m.users.values())
    for name, team in m.teams.items():
        if m.members.get(name):
            spec = team["spec"]
            assert isinstance(spec, dict)
            spec["members"] = [{"user": u} for u in m.members[name]]
        out.append(team)
    out += m.services.values()
    files = [doc.file for doc in documents]
    return Imported(tuple(out), tuple(sort_problems(m.notes, files)))


def _document(kind: str, name: str, spec: JsonObject, description: str | None = None) -> JsonObject:
    metadata: JsonObject = {"name": name}
    if description:
        metadata["description"] = description
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": spec}


# --- users and teams ---------------------------------------------------------------------


def _user(e: Entity, m: _Mapper) -> None:
    report_profile(e, m.notes, ("displayName", "email"))
    email = string(child(child(e.spec, "profile"), "email"))
    if email is None:
        m.note(
            e.file,
            e.key_line("spec", "profile"),
            f"{e.label()} has no spec.profile.email, which ownit needs to reach them; not imported",
        )
        return
    spec: JsonObject = {}
    display = display_name(e)
    if display:
        spec["displayName"] = display
    spec["email"] = email
    m.users[e.name] = _document("User", e.name, spec)


def _team(e: Entity, m: _Mapper) -> None:
    report_profile(e, m.notes, ("displayName",))
    spec: JsonObject = {}
    display = display_name(e)
    if display:
        spec["displayName"] = display
    parent = team_parent(e, {g.name for g in m.of_kind("Group")}, m.notes)
    if parent is not None:
        spec["parent"] = parent
    description = string(child(e.metadata, "description"))
    m.teams[e.name] = _document("Team", e.name, spec, description)
    members = m.members.setdefault(e.name, [])
    for node, text in refs(e, "members"):
        ref = parse_ref(text, "user")
        user = _resolve_user(e, node.line, ref, m, "member")
        if user is not None and user not in members:
            members.append(user)


def _member_of(e: Entity, m: _Mapper) -> None:
    if e.name not in m.users:
        return
    for node, text in refs(e, "memberOf"):
        ref = parse_ref(text, "group")
        if ref.kind != "group" or ref.name not in m.teams:
            m.note(
                e.file,
                node.line,
                f"{e.label()}: memberOf {quote(text)} is not a Group in these files; "
                "membership not imported",
            )
            continue
        members = m.members.setdefault(ref.name, [])
        if e.name not in members:
            members.append(e.name)


def _resolve_user(e: Entity, line: int, ref: Ref, m: _Mapper, what: str) -> str | None:
    if ref.kind == "user" and ref.name in m.users:
        return ref.name
    if ref.kind == "user" and m.entity("User", ref.name) is not None:
        why = "was not imported (no email)"
    else:
        why = "is not a User in these files"
    m.note(e.file, line, f"{e.label()}: {what} {quote(ref.text)} {why}; not imported")
    return None


# --- APIs --------------------------------------------------------------------------------


def _check_api(e: Entity, m: _Mapper) -> None:
    provided = any(
        parse_ref(t, "api").name == e.name
        for c in m.of_kind("Component")
        for _, t in refs(c, "providesApis")
    )
    if not provided:
        m.note(e.file, e.line, f"{e.label()} is provided by no Component; not imported")


# --- components --------------------------------------------------------------------------


def _subcomponent_roots(m: _Mapper) -> dict[str, str]:
    """Each subcomponent's top-level service (following ``subcomponentOf`` up, cycle-safe)."""
    parent: dict[str, tuple[str, int, Entity]] = {}
    for c in m.of_kind("Component"):
        for node, text in refs(c, "subcomponentOf")[:1]:
            ref = parse_ref(text, "component")
            if ref.kind == "component" and m.entity("Component", ref.name) is not None:
                parent[c.name] = (ref.name, node.line, c)
            else:
                m.note(
                    c.file,
                    node.line,
                    f"{c.label()}: subcomponentOf {quote(text)} is not a Component in these "
                    "files; imported as a service of its own",
                )
    roots: dict[str, str] = {}
    for name, (_, line, c) in parent.items():
        seen = [name]
        top = name
        while top in parent and parent[top][0] not in seen:
            top = parent[top][0]
            seen.append(top)
        if top in parent:  # a cycle: nothing to hang it on
            m.note(
                c.file,
                line,
                f"{c.label()}: subcomponentOf forms a cycle ({' → '.join(seen)}); "
                "imported as a service of its own",
            )
            continue
        roots[name] = top
    return roots


def _owner(e: Entity, m: _Mapper) -> str | None:
    found = refs(e, "owner")
    if not found:
        m.note(
            e.file,
            e.key_line("spec", "owner") if e.spec else e.line,
            f"{e.label()} has no spec.owner; ownit needs one (write owner: TEAM)",
        )
        return None
    node, text = found[0]
    ref = parse_ref(text, "group")
    if ref.kind == "group":
        if ref.name not in m.teams:
            m.note(
                e.file,
                node.line,
                f"{e.label()}: owner {quote(text)} is not a Group in these files "
                f"(it must exist in ownit already as team {quote(ref.name)})",
            )
        return ref.name
    if ref.kind == "user":
        user = _resolve_user(e, node.line, ref, m, "owner")
        if user is None:
            return None
        return _personal_team(e, node.line, user, m)
    m.note(e.file, node.line, f"{e.label()}: owner {quote(text)} is not a Group or a User")
    return None


def _personal_team(e: Entity, line: int, user: str, m: _Mapper) -> str:
    """ownit services are owned by teams: a user owner gets a team of their own."""
    if user in m.personal:
        return m.personal[user]
    name = user if user not in m.teams else slugify(f"{user}-team")
    m.personal[user] = name
    if name not in m.teams:
        m.teams[name] = _document("Team", name, {})
        m.members[name] = [user]
    m.note(
        e.file,
        line,
        f"{e.label()}: owner is the user {quote(user)}; ownit services are owned by teams, "
        f"so team {quote(name)} was made with them as its member",
    )
    return name


def _service(e: Entity, m: _Mapper, roots: dict[str, str]) -> None:
    spec: JsonObject = {}
    owner = _owner(e, m)
    if owner is not None:
        spec["owner"] = owner
    lifecycle = string(child(e.spec, "lifecycle"))
    if lifecycle in LIFECYCLES:
        spec["lifecycle"] = lifecycle
    elif lifecycle is not None:
        m.note(
            e.file,
            e.key_line("spec", "lifecycle"),
            f"{e.label()}: lifecycle {quote(lifecycle)} is not one of "
            f"{', '.join(LIFECYCLES)}; not imported",
        )
    docs: list[JsonValue] = [dict(link) for link in links(e)]
    _bad_links(e, m)
    contract = _contract(e, m, docs)
    if docs:
        spec["docs"] = docs
    if contract is not None:
        spec["contract"] = contract
    depends = _depends_on(e, m, roots)
    if depends:
        spec["dependsOn"] = list(depends)
    integration = _integration(e, m)
    if integration is not None:
        spec["integrations"] = [integration]
    tags, labels = service_tags(e, m.notes)
    if tags:
        spec["tags"] = tags
    if labels:
        spec["labels"] = labels
    description = string(child(e.metadata, "description"))
    m.services[e.name] = _document("Service", e.name, spec, description)


def _bad_links(e: Entity, m: _Mapper) -> None:
    node = child(e.metadata, "links")
    for item in (node.items if node else None) or ():
        url = string(child(item, "url"))
        if url is None or not URL.match(url):
            m.note(
                e.file,
                item.line,
                f"{e.label()}: link {quote(url)} is not an http(s) URL; not imported",
            )


def _contract(e: Entity, m: _Mapper, docs: list[JsonValue]) -> JsonObject | None:
    contract: JsonObject | None = None
    for node, text in refs(e, "providesApis"):
        ref = parse_ref(text, "api")
        api = m.entity("API", ref.name) if ref.kind == "api" else None
        if api is None:
            m.note(e.file, node.line, f"{e.label()}: API {quote(text)} is not in these files")
            continue
        found = api_contract(api)
        if found is None:
            m.note(
                e.file,
                node.line,
                f"{e.label()}: API {quote(text)} has no definition URL and no link; "
                "not imported as a contract",
            )
            continue
        url, kind = found
        if contract is None:
            contract = {"type": kind, "url": url} if kind else {"url": url}
            continue
        docs.append({"title": f"API {api.raw_name}", "url": url})
        m.note(
            e.file,
            node.line,
            f"{e.label()}: ownit has one contract per service; API {quote(text)} "
            "is imported as a docs link",
        )
    return contract


def _depends_on(e: Entity, m: _Mapper, roots: dict[str, str]) -> list[str]:
    out: list[str] = []
    for node, text in refs(e, "dependsOn"):
        ref = parse_ref(text, "component")
        target = ref.name if m.entity("Component", ref.name) is not None else None
        if ref.kind not in ("component", "resource") or target is None:
            why = " (a Resource has no ownit equivalent)" if ref.kind == "resource" else ""
            m.note(
                e.file,
                node.line,
                f"{e.label()}: dependsOn {quote(text)} is not a Component in these files"
                f"{why}; not imported",
            )
            continue
        if target in roots:
            m.note(
                e.file,
                node.line,
                f"{e.label()}: dependsOn {quote(text)} is a part of service "
                f"{quote(roots[target])}; imported as a dependency on that service",
            )
            target = roots[target]
        if target == e.name:
            m.note(e.file, node.line, f"{e.label()}: depends on itself; not imported")
        elif target not in out:
            out.append(target)
    return out


def _integration(e: Entity, m: _Mapper) -> JsonObject | None:
    node = child(e.metadata, "annotations")
    others: list[str] = []
    integration: JsonObject | None = None
    for entry in (node.entries if node else None) or ():
        if entry.key != PAGERDUTY_KEY:
            others.append(entry.key)
            continue
        key = string(entry.value)
        integration = {"name": "pagerduty", "type": "events-v2"}
        if key is not None and KEY.match(key):
            integration["key"] = key
        else:
            m.note(
                e.file,
                entry.line,
                f"{e.label()}: {PAGERDUTY_KEY} is not 32 letters and digits; "
                "the integration gets a new key on apply",
            )
    if others:
        m.note(
            e.file,
            line_of(node, e.line),
            f"{e.label()}: annotations with no ownit equivalent, not imported: "
            + ", ".join(others),
        )
    return integration


def _subcomponent(e: Entity, root: str, m: _Mapper) -> None:
    service = m.services.get(root)
    if service is None:
        return
    spec = service["spec"]
    assert isinstance(spec, dict)
    component: JsonObject = {"name": e.name}
    owner = _owner(e, m)
    if owner is not None:
        component["owner"] = owner
    components = spec.setdefault("components", [])
    assert isinstance(components, list)
    components.append(component)
    m.note(
        e.file,
        e.key_line("spec", "subcomponentOf"),
        f"{e.label()} is imported as component {quote(e.name)} of service {quote(root)}: "
        "add match (label matchers) so that events reach it",
    )
    for key in ("lifecycle", "dependsOn", "providesApis"):
        if child(e.spec, key) is not None:
            m.note(
                e.file,
                e.key_line("spec", key),
                f"{e.label()}: spec.{key} of a component is not imported "
                "(a component has a name, an owner and matchers)",
            )
    for key in ("description", "links", "annotations", "tags", "labels"):
        if child(e.metadata, key) is not None:
            m.note(
                e.file,
                e.key_line("metadata", key),
                f"{e.label()}: metadata.{key} of a component is not imported",
            )
