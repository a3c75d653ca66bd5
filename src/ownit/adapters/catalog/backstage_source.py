"""Reading Backstage ``catalog-info.yaml`` files and mapping them to ``ownit/v1`` documents.

The files are read by the same loader as ``ownit/v1`` files, so every note has its line;
the mapping itself is :mod:`ownit.domain.backstage`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ownit.adapters.catalog.yaml_source import dump_documents, load_files
from ownit.domain.backstage import convert
from ownit.domain.catalog import JsonObject, Problem, sort_problems


@dataclass(frozen=True, slots=True)
class BackstageImport:
    """The ``ownit/v1`` documents, what was not imported (notes), and unreadable input."""

    documents: tuple[JsonObject, ...]
    notes: tuple[Problem, ...]
    errors: tuple[Problem, ...]
    files: int

    def yaml(self) -> str:
        return dump_documents(self.documents)


def import_files(paths: Iterable[str]) -> BackstageImport:
    """Every Backstage document of every file, mapped together; notes sorted by file and line."""
    names = list(paths)
    loaded = load_files(names)
    result = convert(loaded.documents)
    return BackstageImport(
        result.documents,
        tuple(sort_problems(result.notes, names)),
        tuple(sort_problems(loaded.problems, names)),
        loaded.files,
    )
