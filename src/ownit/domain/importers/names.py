"""Catalog names (slugs) for source objects: unique per kind, the same for the same input."""

from __future__ import annotations

import re
from collections.abc import Iterable

_MAX = 100


def slugify(text: str, fallback: str) -> str:
    """``Payments Team (EU)`` → ``payments-team-eu``; ``fallback`` when nothing is left."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:_MAX].rstrip("-")
    return slug or fallback


class Names:
    """Source id → slug for one kind; clashes get ``-2``, ``-3`` in the order ids are given
    (callers give them sorted, so the result does not depend on the API's order)."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self._by_id: dict[str, str] = {}
        self._used: set[str] = set(taken)

    def add(self, source_id: str, wanted: str) -> str:
        if source_id in self._by_id:
            return self._by_id[source_id]
        name, n = wanted, 1
        while name in self._used:
            n += 1
            suffix = f"-{n}"
            name = wanted[: _MAX - len(suffix)] + suffix
        self._used.add(name)
        self._by_id[source_id] = name
        return name

    def keep(self, source_id: str, name: str) -> None:
        """``source_id`` is an object the catalog already has under ``name``."""
        self._by_id[source_id] = name
        self._used.add(name)

    def get(self, source_id: str) -> str | None:
        return self._by_id.get(source_id)
