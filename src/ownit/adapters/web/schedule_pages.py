"""``/schedules`` and ``/schedules/{name}`` (:class:`SchedulePages`): the timeline picture, its
table, and overrides.

Creating and deleting overrides needs ``manage`` on the schedule's team (a schedule without a
team: admins only); everyone signed in sees the timeline.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from ownit.adapters.web.deps import Form, WebDeps, check_csrf, signed_in
from ownit.adapters.web.page_handlers import PageHandlers, PostedForm
from ownit.adapters.web.templating import Pages
from ownit.adapters.web.timeline_picture import Row, Segment, layout
from ownit.app import oncall
from ownit.app import schedule_view as views
from ownit.app.accounts import WebSession
from ownit.domain.catalog import Schedule
from ownit.domain.errors import NotFound
from ownit.domain.oncall.rotations import local_to_utc
from ownit.domain.permissions import Action as Permission

DEFAULT_DAYS = 14
FIELDS = ("user", "start", "end", "replacing")


def may_manage(session: WebSession, schedule: Schedule) -> bool:
    """Managers of the schedule's team and admins; admins only when it has no team."""
    return session.account.permissions.may(Permission.MANAGE, schedule.team)


def local(value: datetime, zone: str) -> str:
    return value.astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M")


def picture_rows(view: views.ScheduleView) -> list[Row]:
    rows = [
        Row(name, [Segment(s.user, s.start, s.end) for s in shifts], "layer")
        for name, shifts in view.layers
    ]
    rows.append(
        Row("Overrides", [Segment(o.user, o.start, o.end) for o in view.overrides], "overrides")
    )
    final = [Segment(s.user, s.start, s.end) for s in view.shifts]
    final += [Segment(None, a, b) for a, b in view.gaps]
    rows.append(Row("Final", final, "final"))
    return rows


def final_rows(view: views.ScheduleView) -> list[dict[str, Any]]:
    rows = [{"start": s.start, "end": s.end, "user": s.user, "gap": False} for s in view.shifts]
    rows += [{"start": a, "end": b, "user": None, "gap": True} for a, b in view.gaps]
    return sorted(rows, key=lambda r: r["start"])


@dataclass
class SchedulePages(PageHandlers):
    """The schedule list, one schedule's timeline, and its overrides."""

    def _not_found(self, request: Request, session: WebSession, name: str) -> Response:
        return self._error(request, session, 404, "Not found", f"There is no schedule {name}.")

    def schedule_list(self, request: Request, session: WebSession) -> Response:
        store = self.deps.schedules
        now = self.deps.clock.now()
        found = oncall.everyone(store=store, at=now)
        on_call = {s.schedule: s.people for s in found.schedules}
        rows = [
            {
                "name": s.name,
                "team": s.team,
                "timezone": s.timezone,
                "layers": len(s.layers),
                "people": on_call.get(s.name, ()),
            }
            for s in oncall.list_schedules(store=store)
        ]
        return self.pages.render("schedules.html", self._context(request, session) | {"rows": rows})

    def _show(
        self,
        request: Request,
        session: WebSession,
        name: str,
        *,
        days: int = DEFAULT_DAYS,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        done: str = "",
        status: int = 200,
    ) -> Response:
        store = self.deps.schedules
        now = self.deps.clock.now()
        try:
            schedule = oncall.get_schedule(store=store, name=name)
        except NotFound:
            return self._not_found(request, session, name)
        zone = ZoneInfo(schedule.timezone)
        today = now.astimezone(zone).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
        since = local_to_utc(today, zone)  # the picture starts at today's local midnight
        until = local_to_utc(today + timedelta(days=days), zone)
        view = views.schedule_view(store=store, name=name, since=since, until=until, now=now)
        picture = layout(picture_rows(view), since=since, until=until, zone=zone, now=now)
        users = self.deps.directory.users()
        names = {u["name"]: u.get("display_name") or u["name"] for u in users}
        in_zone = now.astimezone(zone).replace(second=0, microsecond=0, tzinfo=None)
        defaults = {
            "user": session.account.name,
            "start": in_zone.isoformat(timespec="minutes"),
            "end": (in_zone + timedelta(hours=8)).isoformat(timespec="minutes"),
            "replacing": "",
        }
        return self.pages.render(
            "schedule.html",
            self._context(request, session)
            | {
                "s": schedule,
                "view": view,
                "pic": picture,
                "days": days,
                "zone": schedule.timezone,
                "local": lambda value: local(value, schedule.timezone),
                "on_call_now": view.on_call_now,
                "names": names,
                "may_manage": may_manage(session, schedule),
                "choices": sorted(names),
                "values": defaults | (values or {}),
                "errors": errors or {},
                "done": done,
                "overrides": [o for o in view.overrides if o.end > now],
                "final_rows": final_rows(view),
            },
            status=status,
        )

    def schedule_page(
        self, request: Request, session: WebSession, name: str, days: str = "", done: str = ""
    ) -> Response:
        number = int(days) if days.isdigit() else DEFAULT_DAYS
        shown = {"created": "The override is saved.", "deleted": "The override is deleted."}
        return self._show(
            request,
            session,
            name,
            days=min(max(number, 1), views.MAX_DAYS),
            done=shown.get(done, ""),
        )

    def _refused(self, request: Request, session: WebSession, schedule: Schedule) -> Response:
        who = f"managers of team {schedule.team}" if schedule.team else "admins"
        message = f"Only {who} may change the overrides of {schedule.name}. Nothing was changed."
        return self._error(request, session, 403, "Not allowed", message)

    def add_override(
        self, request: Request, session: WebSession, form: Form, name: str
    ) -> Response:
        store = self.deps.schedules
        check_csrf(session, request, form)
        try:
            schedule = oncall.get_schedule(store=store, name=name)
        except NotFound:
            return self._not_found(request, session, name)
        if not may_manage(session, schedule):
            return self._refused(request, session, schedule)
        values = {f: form.get(f).strip()[:200] for f in FIELDS}
        errors: dict[str, str] = {}
        if not values["user"]:
            errors["user"] = "choose who is on call"
        instants: dict[str, datetime] = {}
        for field in ("start", "end"):
            try:
                instants[field] = views.local_instant(field, values[field], schedule.timezone)
            except oncall.InvalidOnCallRequest as exc:
                errors[field] = exc.detail
        if not errors:
            try:
                views.create_overrides(
                    store=store,
                    clock=self.deps.clock,
                    schedule=name,
                    user=values["user"],
                    start=instants["start"],
                    end=instants["end"],
                    by=session.account.actor,
                    replacing=values["replacing"] or None,
                )
            except oncall.InvalidOnCallRequest as exc:
                errors[exc.field if exc.field in FIELDS else "end"] = exc.detail
        if errors:
            return self._show(request, session, name, values=values, errors=errors, status=400)
        return RedirectResponse(f"/schedules/{name}?done=created", status_code=303)

    def delete_override(
        self, request: Request, session: WebSession, form: Form, name: str, override_id: int
    ) -> Response:
        store = self.deps.schedules
        check_csrf(session, request, form)
        try:
            schedule = oncall.get_schedule(store=store, name=name)
        except NotFound:
            return self._not_found(request, session, name)
        if not may_manage(session, schedule):
            return self._refused(request, session, schedule)
        try:
            oncall.delete_override(
                store=store, clock=self.deps.clock, schedule=name, override_id=override_id
            )
        except NotFound:
            return self._show(
                request,
                session,
                name,
                errors={"delete": f"override {override_id} is already gone"},
                status=404,
            )
        return RedirectResponse(f"/schedules/{name}?done=deleted", status_code=303)


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    handlers = SchedulePages(deps, pages)
    me = Annotated[WebSession, Depends(signed_in(deps))]

    @web.get("/schedules")
    def schedule_list(request: Request, session: me) -> Response:
        return handlers.schedule_list(request, session)

    @web.get("/schedules/{name}")
    def schedule_page(
        request: Request, session: me, name: str, days: str = "", done: str = ""
    ) -> Response:
        return handlers.schedule_page(request, session, name, days, done)

    @web.post("/schedules/{name}/overrides")
    def add_override(request: Request, session: me, form: PostedForm, name: str) -> Response:
        return handlers.add_override(request, session, form, name)

    @web.post("/schedules/{name}/overrides/{override_id}/delete")
    def delete_override(
        request: Request, session: me, form: PostedForm, name: str, override_id: int
    ) -> Response:
        return handlers.delete_override(request, session, form, name, override_id)

    return web
