"""What the REST API ``/api/v1`` modules share: :class:`ApiDeps` (the deps of the incidents,
catalog and event-log endpoints: ``api_incidents``, ``api_catalog``, ``api_event_log``), the
JSON answer :func:`ok` and the largest ``limit`` a list takes.
"""

from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Path
from starlette.responses import Response

from ownit.app import incidents as uc
from ownit.app.clock import Clock
from ownit.app.directory import Directory
from ownit.app.escalations import ManualEscalations, OnCallLookup
from ownit.app.event_log import EventLog
from ownit.app.tokens import TokenStore
from ownit.domain.ids import MAX_ROW_ID

MAX_LIMIT = 1000
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="a numeric id")]
"""A numeric id in a path: bounded, so that no number reaches the database as an overflow."""


def ok(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


@dataclass
class ApiDeps:
    incidents: uc.IncidentStore
    directory: Directory
    events: EventLog
    tokens: TokenStore
    clock: Clock
    escalations: ManualEscalations
    on_call: OnCallLookup
