"""The ingest pipeline's router port for events ownit sends itself (a drill's run, a problem
raised before it bites): one routing key goes to one service (or one of its components)."""

from __future__ import annotations

from collections.abc import Mapping

from ownit.domain.catalog import Router
from ownit.domain.routing import Decision, Result


class OneRoute:
    """``key`` is routed, paging, to ``service`` (its ``component``); no other key is."""

    def __init__(self, key: str, service: str, component: str | None = None) -> None:
        self._key = key
        self._target = Result(service, component, "page", ())

    def decide(self, key: str, labels: Mapping[str, str]) -> Decision | None:
        return Decision((self._target,)) if key == self._key else None

    def router(self, key: str) -> Router | None:
        return Router(self._key) if key == self._key else None
