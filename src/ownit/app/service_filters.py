"""Use case: services, and their incidents, selected by tags and labels
(``GET /api/v1/services?tag=&label=key:value``, ``GET /api/v1/incidents?tag=``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from ownit.app.dependencies import ServiceDirectory
from ownit.app.incidents import IncidentFilter, IncidentStore, check_filter, list_incidents
from ownit.domain.catalog.tags import TagFilter


def selected(services: Sequence[dict[str, Any]], flt: TagFilter) -> list[dict[str, Any]]:
    """The directory rows (with ``tags`` and ``labels``) that the filter selects."""
    return [s for s in services if flt.selects(s.get("tags") or (), s.get("labels") or {})]


def service_names(directory: ServiceDirectory, flt: TagFilter) -> list[str]:
    """The names of the services the filter selects (all of them when it is empty)."""
    return [str(s["name"]) for s in selected(directory.services(), flt)]


def incidents_of_tagged(
    *,
    store: IncidentStore,
    directory: ServiceDirectory,
    flt: IncidentFilter,
    by_tag: TagFilter,
) -> list[dict[str, Any]]:
    """The incidents ``flt`` keeps among those of the services ``by_tag`` selects (no such
    service: none); an unknown ``service`` or ``team`` is still :class:`NotFound`."""
    if by_tag.empty:
        return list_incidents(store=store, flt=flt)
    check_filter(store, flt)
    names = service_names(directory, by_tag)
    if not names:
        return []
    return store.search(dataclasses.replace(flt, services=tuple(names)))
