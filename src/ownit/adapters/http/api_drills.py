"""REST API ``/api/v1/drills``: run a drill now, list drills (last run, hit rate), a drill's
runs (scored). Semantics: ``docs/practice.md``.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from starlette.responses import Response

from ownit.adapters.http.api_v1 import ok
from ownit.adapters.http.auth import requires
from ownit.adapters.http.problems import field_error
from ownit.app import drills as uc
from ownit.app.clock import Clock
from ownit.app.incidents import IncidentStore, get_incident
from ownit.app.tokens import Principal, Role, TokenStore


@dataclass
class DrillsDeps:
    store: uc.DrillStore
    incidents: IncidentStore
    tokens: TokenStore
    clock: Clock


def router(deps: DrillsDeps) -> APIRouter:
    api = APIRouter(prefix="/api/v1/drills", tags=["drills"])
    viewer = Annotated[Principal, Depends(requires(deps.tokens, Role.VIEWER, deps.clock))]
    responder = Annotated[Principal, Depends(requires(deps.tokens, Role.RESPONDER, deps.clock))]
    Name = Annotated[str, Path(description="the drill's name (catalog kind Drill)")]

    @api.get("", summary="Every drill with its last run and hit rate")
    def drills(
        _: viewer,
        team: Annotated[str | None, Query(description="only the drills of this team")] = None,
    ) -> Response:
        return ok(uc.overview(store=deps.store, clock=deps.clock, team=team))

    @api.post("/{name}/run", status_code=201, summary="Run the drill now: its incident")
    def run(who: responder, name: Name) -> Response:
        try:
            started = uc.run_now(store=deps.store, clock=deps.clock, name=name, by=who.actor)
        except uc.DrillRefused as exc:
            raise field_error(exc.field, exc.detail, status=422) from None
        incident = get_incident(store=deps.incidents, ref=started.incident_id or "")
        run_body = uc.run_answer(started, deps.clock.now())
        return ok({"incident": incident, "run": run_body}, status=201)

    @api.get("/{name}/runs", summary="The drill's runs, newest first, each scored")
    def runs(_: viewer, name: Name) -> Response:
        now = deps.clock.now()
        found = uc.runs(store=deps.store, name=name)
        return ok({"runs": [uc.run_answer(r, now) for r in found]})

    return api
