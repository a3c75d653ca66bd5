"""Backstage entities read from positioned documents: names, references, fields.

The first half of :mod:`ownit.domain.backstage.mapping`: which documents are entities (and the notes
for those that are not), how names become slugs and references resolve, and which fields
have no ownit equivalent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ownit.domain.catalog.fields import URL, quote
from ownit.domain.catalog.model import Node, Problem, RawDocument

_KINDS = ("Component", "Group", "User", "System", "API")
PAGERDUTY_KEY = "pagerduty.com/integration-key"
KEY = re.compile(r"^[0-9a-zA-Z]{32}$")
_NAME_MAX = 100
_DEFINITION_KEYS = ("$text", "$json", "$yaml", "$openapi", "$asyncapi")
_METADATA_IGNORED = ("name", "namespace", "uid", "etag", "generation")
# Fields Backstage defines that have no ownit equivalent, by kind (reported, not imported).
_UNMAPPED_SPEC = {
    "Component": ("type", "system", "consumesApis", "dependencyOf"),
    "Group": ("type", "children"),
    "User": (),
    "API": ("lifecycle", "owner", "system"),
}
_MAPPED_SPEC = {
    "Component": ("owner", "lifecycle", "dependsOn", "providesApis", "subcomponentOf"),
    "Group": ("profile", "members", "parent"),
    "User": ("profile", "memberOf"),
    "API": ("type", "definition"),
}
_MAPPED_METADATA = {
    "Component": ("description", "links", "annotations", "tags", "labels"),
    "Group": ("title", "description"),
    "User": ("title",),
    "API": ("links",),
}
_KNOWN_METADATA = ("title", "description", "labels", "annotations", "tags", "links")


def _note(notes: list[Problem], file: str, line: int, message: str) -> None:
    notes.append(Problem(file, line, message))


def slugify(name: str) -> str:
    """``Payments_Team`` → ``payments-team``; ``""`` when nothing of it is left."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:_NAME_MAX].rstrip("-")


@dataclass(frozen=True, slots=True)
class Ref:
    """An entity reference ``[kind:][namespace/]name``, kind lower-cased, name slugified."""

    kind: str
    name: str
    text: str


def parse_ref(text: str, default_kind: str) -> Ref:
    kind, sep, rest = text.partition(":")
    if not sep:
        kind, rest = default_kind, text
    name = rest.rpartition("/")[2]
    return Ref(kind.strip().lower(), slugify(name), text)


# --- positioned nodes --------------------------------------------------------------------


def child(node: Node | None, key: str) -> Node | None:
    if node is None or node.entries is None:
        return None
    return next((e.value for e in node.entries if e.key == key), None)


def string(node: Node | None) -> str | None:
    if node is None or not node.is_scalar or node.scalar is None:
        return None
    value = node.scalar if isinstance(node.scalar, str) else (node.text or str(node.scalar))
    return value.strip() or None


def line_of(node: Node | None, default: int) -> int:
    return node.line if node is not None else default


@dataclass
class Entity:
    file: str
    line: int
    kind: str
    raw_name: str
    name: str
    root: Node

    @property
    def metadata(self) -> Node | None:
        return child(self.root, "metadata")

    @property
    def spec(self) -> Node | None:
        return child(self.root, "spec")

    def label(self) -> str:
        return f"{self.kind} {quote(self.raw_name)}"

    def key_line(self, section: str, key: str) -> int:
        """The line of ``section.key`` (or of the section, or of the document)."""
        parent = child(self.root, section)
        if parent is not None and parent.entries is not None:
            for e in parent.entries:
                if e.key == key:
                    return e.line
        return line_of(parent, self.line)


# --- entities ----------------------------------------------------------------------------


def read_entity(
    doc: RawDocument, entities: dict[tuple[str, str], Entity], notes: list[Problem]
) -> Entity | None:
    """The document as an entity (recorded in ``entities``), or ``None`` with a note."""
    root = doc.root
    if root.entries is None:
        _note(notes, doc.file, doc.line, "a document must be a mapping; not imported")
        return None
    api = string(child(root, "apiVersion")) or ""
    kind = string(child(root, "kind")) or ""
    if not api.startswith("backstage.io/"):
        _note(
            notes,
            doc.file,
            doc.line,
            f"not a Backstage document (apiVersion {quote(api or None)}); not imported",
        )
        return None
    if kind not in _KINDS:
        where = line_of(child(root, "kind"), doc.line)
        _note(
            notes,
            doc.file,
            where,
            f"kind {quote(kind or None)} has no ownit equivalent; not imported",
        )
        return None
    name_node = child(child(root, "metadata"), "name")
    raw_name = string(name_node)
    if raw_name is None:
        _note(notes, doc.file, doc.line, f"{kind} without metadata.name; not imported")
        return None
    name = slugify(raw_name)
    entity = Entity(doc.file, doc.line, kind, raw_name, name, root)
    where = line_of(name_node, doc.line)
    if not name:
        _note(notes, doc.file, where, f"{entity.label()}: no usable name; not imported")
        return None
    if name != raw_name:
        _note(notes, doc.file, where, f"{entity.label()} is named {quote(name)} in ownit")
    first = entities.get((kind, name))
    if first is not None:
        _note(
            notes,
            doc.file,
            where,
            f"{entity.label()} has the same ownit name as the {kind} at "
            f"{first.file}:{first.line}; not imported",
        )
        return None
    namespace = string(child(child(root, "metadata"), "namespace"))
    if namespace not in (None, "default"):
        _note(notes, doc.file, where, f"{entity.label()}: namespace {quote(namespace)} is dropped")
    entities[(kind, name)] = entity
    return entity


def report_fields(e: Entity, notes: list[Problem]) -> None:
    """Report the fields that are not imported: Backstage's own without equivalent, unknown."""
    for e_root in e.root.entries or ():
        if e_root.key not in ("apiVersion", "kind", "metadata", "spec", "relations", "status"):
            _note(
                notes, e.file, e_root.line, f"{e.label()}: unknown field {e_root.key}; not imported"
            )
    if e.kind == "System":
        return
    mapped = _MAPPED_METADATA[e.kind]
    for entry in (e.metadata.entries if e.metadata else None) or ():
        key = entry.key
        if key in mapped or key in _METADATA_IGNORED or _is_empty(entry.value):
            continue
        if key in _KNOWN_METADATA:
            _note(
                notes,
                e.file,
                entry.line,
                f"{e.label()}: metadata.{key} has no ownit equivalent; not imported",
            )
        else:
            _note(
                notes,
                e.file,
                entry.line,
                f"{e.label()}: unknown field metadata.{key}; not imported",
            )
    for entry in (e.spec.entries if e.spec else None) or ():
        key = entry.key
        if key in _MAPPED_SPEC[e.kind] or _is_empty(entry.value):
            continue
        if key in _UNMAPPED_SPEC[e.kind]:
            shown = string(entry.value)
            what = f"spec.{key} {quote(shown)}" if shown else f"spec.{key}"
            _note(
                notes,
                e.file,
                entry.line,
                f"{e.label()}: {what} has no ownit equivalent; not imported",
            )
        else:
            _note(notes, e.file, entry.line, f"{e.label()}: unknown field spec.{key}; not imported")


def _is_empty(node: Node) -> bool:
    return node.items == () or node.entries == () or (node.is_scalar and node.scalar is None)


def display_name(e: Entity) -> str | None:
    profile = child(e.spec, "profile")
    return string(child(profile, "displayName")) or string(child(e.metadata, "title"))


def report_profile(e: Entity, notes: list[Problem], keep: Iterable[str]) -> None:
    profile = child(e.spec, "profile")
    for entry in (profile.entries if profile else None) or ():
        if entry.key not in keep:
            _note(
                notes,
                e.file,
                entry.line,
                f"{e.label()}: spec.profile.{entry.key} has no ownit equivalent; not imported",
            )


def refs(e: Entity, key: str) -> list[tuple[Node, str]]:
    """The strings of ``spec.key`` (a list, or one string), each with its node."""
    node = child(e.spec, key)
    if node is None:
        return []
    items = node.items if node.items is not None else (node,)
    return [(item, text) for item in items if (text := string(item)) is not None]


def links(e: Entity) -> list[dict[str, str]]:
    node = child(e.metadata, "links")
    out: list[dict[str, str]] = []
    for item in (node.items if node else None) or ():
        url = string(child(item, "url"))
        if url is not None and URL.match(url):
            link = {"url": url}
            title = string(child(item, "title"))
            if title:
                link = {"title": title, "url": url}
            out.append(link)
    return out


def api_contract(e: Entity) -> tuple[str, str | None] | None:
    """The API's definition URL and type, else its first http(s) link."""
    definition = child(e.spec, "definition")
    kind = string(child(e.spec, "type"))
    for key in _DEFINITION_KEYS:
        url = string(child(definition, key))
        if url is not None and URL.match(url):
            return url, kind
    for link in links(e):
        return link["url"], kind
    return None
