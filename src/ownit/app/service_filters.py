"""Use case: services, and their incidents, selected by tags and labels
(``GET /api/v1/services?tag=&label=key:value``, ``GET /api/v1/incidents?tag=``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ownit.app.dependencies import ServiceDirectory
from ownit.domain.catalog.tags import TagFilter


def selected(services: Sequence[dict[str, Any]], flt: TagFilter) -> list[dict[str, Any]]:
    """The directory rows (with ``tags`` and ``labels``) that the filter selects."""
    return [s for s in services if flt.selects(s.get("tags") or (), s.get("labels") or {})]


def service_names(directory: ServiceDirectory, flt: TagFilter) -> list[str]:
    """The names of the services the filter selects (all of them when it is empty)."""
    return [str(s["name"]) for s in selected(directory.services(), flt)]
