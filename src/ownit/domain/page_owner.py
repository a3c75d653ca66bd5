"""Which team a page was for: the owner of the part of the service that broke.

A monolith's component may have its own owner (``components[].owner`` in the catalog); an
incident on such a component belongs to that team, any other incident to the service's owner.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def owning_team(
    service_owner: str | None, component: str | None, components: Iterable[Mapping[str, Any]]
) -> str | None:
    """The team that owns an incident on ``component`` (or on the service when ``None``)."""
    if component is not None:
        for part in components:
            if part.get("name") == component and part.get("owner"):
                return str(part["owner"])
    return service_owner
