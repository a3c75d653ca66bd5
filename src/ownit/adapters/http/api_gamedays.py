"""REST API ``/api/v1/gamedays``: run a game day, its report (JSON or Markdown), findings
and action items. Semantics: ``docs/practice.md``.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path
from pydantic import BaseModel, Field
from starlette.responses import Response

from ownit.adapters.http.api_v1 import ok
from ownit.adapters.http.auth import requires
from ownit.adapters.http.problems import field_error
from ownit.app import gamedays as uc
from ownit.app.clock import Clock
from ownit.app.drills import DrillStore
from ownit.app.tokens import Principal, Role, TokenStore
from ownit.domain.errors import FieldError
from ownit.domain.gamedays import markdown
from ownit.domain.ids import MAX_ROW_ID


@dataclass
class GameDaysDeps:
    store: uc.GameDayStore
    drills: DrillStore
    tokens: TokenStore
    clock: Clock


class FindingIn(BaseModel):
    text: str = Field(min_length=1, max_length=5000)


class ActionIn(BaseModel):
    title: str = Field(min_length=1, max_length=500)
    owner: str = Field(min_length=1, max_length=200)
    due: date | None = None
    link: str | None = Field(None, max_length=2000)


class ActionPatch(BaseModel):
    status: str = Field(description="open or done")


def router(deps: GameDaysDeps) -> APIRouter:
    api = APIRouter(prefix="/api/v1/gamedays", tags=["game days"])
    viewer = Annotated[Principal, Depends(requires(deps.tokens, Role.VIEWER, deps.clock))]
    responder = Annotated[Principal, Depends(requires(deps.tokens, Role.RESPONDER, deps.clock))]
    Name = Annotated[str, Path(description="the game day's name (catalog kind GameDay)")]
    RunId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="the run's id")]

    def guard(error: FieldError) -> Exception:
        return field_error(error.field, error.detail, status=422)

    @api.post("/{name}/run", status_code=201, summary="Run the game day: its report so far")
    def run(who: responder, name: Name) -> Response:
        found = uc.start(
            store=deps.store, drills=deps.drills, clock=deps.clock, name=name, by=who.actor
        )
        return ok(found, status=201)

    @api.get("/{name}/runs/{run_id}.md", summary="The run's report as Markdown")
    def report_md(_: viewer, name: Name, run_id: RunId) -> Response:
        found = uc.report(store=deps.store, name=name, run_id=run_id, now=deps.clock.now())
        return Response(markdown(found), media_type="text/markdown; charset=utf-8")

    @api.get("/{name}/runs/{run_id}", summary="The run's report: expectations, timeline, notes")
    def report(_: viewer, name: Name, run_id: RunId) -> Response:
        return ok(uc.report(store=deps.store, name=name, run_id=run_id, now=deps.clock.now()))

    @api.post("/{name}/runs/{run_id}/findings", status_code=201, summary="Add a finding")
    def finding(
        _: responder, name: Name, run_id: RunId, body: Annotated[FindingIn, Body()]
    ) -> Response:
        try:
            found = uc.add_finding(store=deps.store, name=name, run_id=run_id, text=body.text)
        except FieldError as exc:
            raise guard(exc) from None
        return ok({"findings": found}, status=201)

    @api.post("/{name}/runs/{run_id}/actions", status_code=201, summary="Add an action item")
    def action(
        _: responder, name: Name, run_id: RunId, body: Annotated[ActionIn, Body()]
    ) -> Response:
        try:
            item = uc.add_action(
                store=deps.store,
                name=name,
                run_id=run_id,
                title=body.title,
                owner=body.owner,
                due=body.due,
                link=body.link,
            )
        except FieldError as exc:
            raise guard(exc) from None
        return ok({"action_item": item}, status=201)

    @api.patch("/{name}/runs/{run_id}/actions/{number}", summary="Tick an action item")
    def tick(
        _: responder,
        name: Name,
        run_id: RunId,
        number: Annotated[int, Path(ge=1, le=1000)],
        body: Annotated[ActionPatch, Body()],
    ) -> Response:
        try:
            item = uc.set_action_status(
                store=deps.store, name=name, run_id=run_id, number=number, status=body.status
            )
        except FieldError as exc:
            raise guard(exc) from None
        return ok({"action_item": item})

    return api
