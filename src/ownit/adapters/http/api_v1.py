"""What the REST API ``/api/v1`` modules share: :class:`ApiDeps` (the deps of the incidents,
catalog and event-log endpoints: ``api_incidents``, ``api_catalog``, ``api_event_log``), the
JSON answer :func:`ok` and the largest ``limit`` a list takes.
"""

from dataclasses import dataclass
from typing import Any

import orjson
from starlette.responses import Response

from ownit.adapters.db.directory import SqlDirectory
from ownit.adapters.db.event_log import SqlEventLog
from ownit.adapters.db.incident_store import SqlIncidentStore
from ownit.adapters.db.work_store import SqlWorkStore
from ownit.app.escalations import OnCallLookup
from ownit.app.ports import Clock
from ownit.app.tokens import TokenStore

MAX_LIMIT = 1000


def ok(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


@dataclass
class ApiDeps:
    incidents: SqlIncidentStore
    directory: SqlDirectory
    events: SqlEventLog
    tokens: TokenStore
    clock: Clock
    escalations: SqlWorkStore
    on_call: OnCallLookup
