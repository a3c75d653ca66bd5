"""Backstage ``metadata.tags`` / ``metadata.labels`` of a Component and ``metadata.description``
/ ``spec.parent`` of a Group, mapped onto ownit's service ``tags``/``labels`` and team
``description``/``parent``. A value ownit would refuse is a note, never imported silently."""

from __future__ import annotations

from ownit.domain.backstage.entities import Entity, child, parse_ref, string
from ownit.domain.catalog.fields import quote
from ownit.domain.catalog.model import JsonObject, JsonValue, Problem
from ownit.domain.catalog.tags import VALUE_MAX, label_key_problem, tag_problem


def service_tags(e: Entity, notes: list[Problem]) -> tuple[list[JsonValue], JsonObject]:
    """The component's tags and labels that ownit accepts; a note for each it does not."""
    tags: list[JsonValue] = []
    node = child(e.metadata, "tags")
    for item in (node.items if node is not None else None) or ():
        text = string(item)
        trouble = "is not a string" if text is None else tag_problem(text)
        if text is not None and text in tags:
            continue
        if trouble is not None:
            notes.append(Problem(e.file, item.line, f"{e.label()}: tag {quote(text)} {trouble}"))
            continue
        tags.append(text)
    labels: JsonObject = {}
    node = child(e.metadata, "labels")
    for entry in (node.entries if node is not None else None) or ():
        value = string(entry.value)
        trouble = label_key_problem(entry.key)
        if trouble is None and (value is None or len(value) > VALUE_MAX):
            trouble = f"has no string value of at most {VALUE_MAX} characters"
        if trouble is not None:
            notes.append(
                Problem(e.file, entry.line, f"{e.label()}: label {quote(entry.key)} {trouble}")
            )
            continue
        labels[entry.key] = value
    return tags, dict(sorted(labels.items()))


def team_parent(e: Entity, groups: set[str], notes: list[Problem]) -> str | None:
    """The Group's ``spec.parent`` as an ownit team name, when it is a Group of the files."""
    node = child(e.spec, "parent")
    text = string(node)
    if node is None or text is None:
        return None
    ref = parse_ref(text, "group")
    if ref.kind == "group" and ref.name in groups:
        return ref.name
    notes.append(
        Problem(
            e.file,
            node.line,
            f"{e.label()}: parent {quote(text)} is not a Group in these files; not imported",
        )
    )
    return None
