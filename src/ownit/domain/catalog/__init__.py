"""The catalog as code (``ownit/v1``): documents, their validation and what applying changes.

Pure: positioned nodes come in (an adapter reads YAML), problems and plans go out. Every
problem is reported at once, each with its file, line and a plain message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ownit.domain.catalog.diff import Change, Diff, FieldChange, keep_keys, plan, prune_set
from ownit.domain.catalog.engine_rules import engine_problems
from ownit.domain.catalog.model import (
    API_VERSION,
    KINDS,
    PERSONAL_FIELDS,
    STORED_KINDS,
    CatalogObject,
    Contact,
    Contract,
    DocLink,
    Document,
    Drill,
    Entry,
    EscalationPolicy,
    GameDay,
    Grouping,
    Heartbeat,
    Integration,
    JsonObject,
    JsonValue,
    MaintenanceWindow,
    Member,
    Node,
    NotificationRule,
    PolicyLevel,
    PolicyTarget,
    Problem,
    RawDocument,
    Router,
    Schedule,
    Service,
    Snapshot,
    StoredObject,
    Team,
    User,
)
from ownit.domain.catalog.parse import parse_document
from ownit.domain.catalog.refs import KIND_WORDS, Key, check_references, references
from ownit.domain.catalog.rule_model import (
    BUILTIN_STANDARDS,
    Scorecard,
    ScorecardLevel,
    Standard,
    When,
)
from ownit.domain.catalog.spec import from_spec, to_document, to_spec

__all__ = [
    "API_VERSION",
    "BUILTIN_STANDARDS",
    "KINDS",
    "KIND_WORDS",
    "PERSONAL_FIELDS",
    "STORED_KINDS",
    "CatalogObject",
    "Change",
    "Contact",
    "Contract",
    "Diff",
    "DocLink",
    "Document",
    "Drill",
    "Entry",
    "EscalationPolicy",
    "FieldChange",
    "GameDay",
    "Grouping",
    "Heartbeat",
    "Integration",
    "JsonObject",
    "JsonValue",
    "Key",
    "MaintenanceWindow",
    "Member",
    "Node",
    "NotificationRule",
    "PolicyLevel",
    "PolicyTarget",
    "Problem",
    "RawDocument",
    "Router",
    "Schedule",
    "Scorecard",
    "ScorecardLevel",
    "Service",
    "Snapshot",
    "Standard",
    "StoredObject",
    "Team",
    "User",
    "Validated",
    "When",
    "from_spec",
    "keep_keys",
    "plan",
    "prune_set",
    "references",
    "sort_problems",
    "to_document",
    "to_spec",
    "validate",
]


@dataclass(frozen=True, slots=True)
class Validated:
    """The documents that parsed, every problem found, and what a prune would delete."""

    documents: tuple[Document, ...]
    problems: tuple[Problem, ...]
    removed: tuple[Key, ...] = ()


def validate(
    raw: Sequence[RawDocument],
    existing: Snapshot | None = None,
    *,
    prune_source: str | None = None,
) -> Validated:
    """Check ``raw`` against itself and ``existing``; with ``prune_source``, as for a prune."""
    existing = existing if existing is not None else Snapshot()
    problems: list[Problem] = []
    documents: list[Document] = []
    for doc in raw:
        parsed = parse_document(doc, problems)
        if parsed is not None:
            documents.append(parsed)
    removed = prune_set(documents, existing, prune_source) if prune_source is not None else []
    problems += engine_problems(documents)
    problems += check_references(documents, existing, removed)
    files = [doc.file for doc in raw]
    return Validated(tuple(documents), tuple(sort_problems(problems, files)), tuple(removed))


def sort_problems(problems: Sequence[Problem], files: Sequence[str] = ()) -> list[Problem]:
    """By file (in the order of ``files``, then of appearance), then line; no file last."""
    order: dict[str, int] = {}
    for file in files:
        order.setdefault(file, len(order))
    for p in problems:
        order.setdefault(p.file, len(order))
    return sorted(problems, key=lambda p: (p.file == "", order[p.file], p.line))
