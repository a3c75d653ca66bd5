"""REST API for postmortems (:class:`PostmortemApi`): one per incident at
``/api/v1/incidents/{ref}/postmortem`` (POST idempotent, GET, PATCH), the list at
``/api/v1/postmortems``, action items and the Markdown export. ``docs/postmortems.md``.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, TypeVar

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from ownit.adapters.http.api_v1 import RowId, ok
from ownit.adapters.http.auth import requires
from ownit.adapters.http.problems import field_error
from ownit.app import postmortems as uc
from ownit.app.clock import Clock
from ownit.app.postmortem_export import markdown
from ownit.app.tokens import Principal, Role, TokenStore
from ownit.domain.errors import FieldError
from ownit.domain.postmortems.timeline import Mark

T = TypeVar("T")


@dataclass
class PostmortemDeps:
    store: uc.PostmortemStore
    tokens: TokenStore
    clock: Clock


class CreateIn(BaseModel):
    owner: str | None = Field(None, max_length=100, description="a user; default: you")


NO_BODY = CreateIn(owner=None)  # a POST without a body: the defaults


class MarkIn(BaseModel):
    hidden: bool = Field(False, description="leave the entry out of the timeline")
    note: str | None = Field(None, max_length=2000, description="a note beside the entry")


class PatchIn(BaseModel):
    title: str | None = Field(None, max_length=300)
    status: str | None = Field(None, description="draft, in_review or closed")
    owner: str | None = Field(None, max_length=100, description="a user")
    due: date | None = None
    sections: dict[str, str] | None = Field(None, description="section name → Markdown")
    timeline: dict[str, MarkIn] | None = Field(None, description="entry key → hidden, note")


class ActionIn(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    owner: str = Field(min_length=1, max_length=100, description="a user")
    due: date = Field(description="a date; one already past is allowed (overdue at once)")
    link: str | None = Field(None, max_length=2000, description="an http(s) URL")


class ActionPatch(BaseModel):
    title: str | None = Field(None, max_length=300)
    owner: str | None = Field(None, max_length=100)
    due: date | None = None
    status: str | None = Field(None, description="open or done")
    link: str | None = Field(None, max_length=2000)


@dataclass
class PostmortemApi:
    deps: PostmortemDeps

    @staticmethod
    def _guard(run: Callable[[], T]) -> T:
        try:
            return run()
        except FieldError as exc:
            raise field_error(exc.field, exc.detail, status=422) from None

    def _answer(self, record: uc.Record, status: int = 200) -> Response:
        return ok(uc.answer(self.deps.store, record, self.deps.clock.now()), status)

    def create(self, who: Principal, ref: str, body: CreateIn) -> Response:
        d = self.deps
        record, created = self._guard(
            lambda: uc.create(store=d.store, clock=d.clock, ref=ref, owner=body.owner, by=who.user)
        )
        return self._answer(record, 201 if created else 200)

    def of_incident(self, ref: str) -> Response:
        return self._answer(uc.of_incident(store=self.deps.store, ref=ref))

    def edit(self, ref: str, body: PatchIn) -> Response:
        d = self.deps
        record = uc.of_incident(store=d.store, ref=ref)
        marks = None
        if body.timeline is not None:
            marks = {k: Mark(v.hidden, v.note or None) for k, v in body.timeline.items()}
        change = uc.Edit(body.title, body.status, body.owner, body.due, body.sections, marks)
        saved = self._guard(
            lambda: uc.edit(store=d.store, clock=d.clock, record=record, change=change)
        )
        return self._answer(saved)

    def search(self, status: str | None, team: str | None, overdue: bool) -> Response:
        d = self.deps
        found = self._guard(
            lambda: uc.search(
                store=d.store, clock=d.clock, status=status, team=team, overdue=overdue
            )
        )
        now = d.clock.now()
        return ok({"postmortems": [uc.answer(d.store, r, now, full=False) for r in found]})

    def get(self, postmortem_id: int) -> Response:
        return self._answer(uc.get(store=self.deps.store, postmortem_id=postmortem_id))

    def export(self, postmortem_id: int) -> Response:
        record = uc.get(store=self.deps.store, postmortem_id=postmortem_id)
        text = markdown(self.deps.store, record, self.deps.clock.now())
        name = f"postmortem-{record.incident.number}.md"
        return Response(
            text,
            media_type="text/markdown; charset=utf-8",
            headers={"Content-Disposition": f'inline; filename="{name}"'},
        )

    def add_action(self, postmortem_id: int, body: ActionIn) -> Response:
        d = self.deps
        record = uc.get(store=d.store, postmortem_id=postmortem_id)
        item = self._guard(
            lambda: uc.add_action(
                store=d.store,
                clock=d.clock,
                record=record,
                title=body.title,
                owner=body.owner,
                due=body.due,
                link=body.link,
            )
        )
        return ok({"action": uc.action_answer(item, d.clock.now().date())}, 201)

    def edit_action(self, postmortem_id: int, number: int, body: ActionPatch) -> Response:
        d = self.deps
        record = uc.get(store=d.store, postmortem_id=postmortem_id)
        item = self._guard(
            lambda: uc.edit_action(
                store=d.store,
                clock=d.clock,
                record=record,
                number=number,
                title=body.title,
                owner=body.owner,
                due=body.due,
                status=body.status,
                link=body.link,
            )
        )
        return ok({"action": uc.action_answer(item, d.clock.now().date())})


def router(deps: PostmortemDeps) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["postmortems"])
    handlers = PostmortemApi(deps)
    viewer = Annotated[Principal, Depends(requires(deps.tokens, Role.VIEWER))]
    responder = Annotated[Principal, Depends(requires(deps.tokens, Role.RESPONDER))]
    Ref = Annotated[str, Path(max_length=40, description="an incident's id or number")]
    Number = Annotated[int, Path(ge=1, le=10_000, description="an action item's number")]

    @api.post(
        "/incidents/{ref}/postmortem",
        summary="The incident's postmortem, created if it has none (merged incidents share one)",
    )
    def create(who: responder, ref: Ref, body: Annotated[CreateIn, Body()] = NO_BODY) -> Response:
        return handlers.create(who, ref, body)

    @api.get("/incidents/{ref}/postmortem", summary="The incident's postmortem")
    def of_incident(_: viewer, ref: Ref) -> Response:
        return handlers.of_incident(ref)

    @api.patch(
        "/incidents/{ref}/postmortem",
        summary="Edit title, status, owner, due date, sections and timeline marks",
    )
    def edit(_: responder, ref: Ref, body: Annotated[PatchIn, Body()]) -> Response:
        return handlers.edit(ref, body)

    @api.get("/postmortems", summary="Postmortems by status and team; overdue ones")
    def search(
        _: viewer,
        status: Annotated[str | None, Query(description="draft, in_review or closed")] = None,
        team: Annotated[str | None, Query(description="the owning team of the service")] = None,
        overdue: Annotated[
            bool, Query(description="only those past due, or with an overdue action item")
        ] = False,
    ) -> Response:
        return handlers.search(status, team, overdue)

    @api.get("/postmortems/{postmortem_id}.md", summary="The postmortem as Markdown")
    def export(_: viewer, postmortem_id: RowId) -> Response:
        return handlers.export(postmortem_id)

    @api.get("/postmortems/{postmortem_id}", summary="A postmortem by its id")
    def get(_: viewer, postmortem_id: RowId) -> Response:
        return handlers.get(postmortem_id)

    @api.post("/postmortems/{postmortem_id}/actions", status_code=201, summary="Add an action item")
    def add_action(
        _: responder, postmortem_id: RowId, body: Annotated[ActionIn, Body()]
    ) -> Response:
        return handlers.add_action(postmortem_id, body)

    @api.patch(
        "/postmortems/{postmortem_id}/actions/{number}", summary="Edit or tick an action item"
    )
    def edit_action(
        _: responder, postmortem_id: RowId, number: Number, body: Annotated[ActionPatch, Body()]
    ) -> Response:
        return handlers.edit_action(postmortem_id, number, body)

    return api
