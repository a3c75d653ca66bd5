"""Pages for incidents: the live list, one incident, and the actions on them.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from ownit.adapters.web import incident_escalation as esc
from ownit.adapters.web.account_pages import context
from ownit.adapters.web.deps import (
    Form,
    WebDeps,
    check_csrf,
    read_form,
    signed_in,
)
from ownit.adapters.web.incident_context import responder_context, routed
from ownit.adapters.web.redirects import safe_next
from ownit.adapters.web.templating import Pages
from ownit.app import incidents as uc
from ownit.app.accounts import Action, WebSession, may
from ownit.domain.errors import DomainError, InvalidTransition, NotFound
from ownit.domain.incidents import Status, Urgency

PAGE_SIZE = 25
MAX_PAGE = 40
STATUS_CHOICES = ("", "open", "triggered", "acknowledged", "resolved")
ORDER = (Status.TRIGGERED, Status.ACKNOWLEDGED, Status.RESOLVED)


@dataclass(frozen=True, slots=True)
class ListQuery:
    service: str = ""
    urgency: str = ""
    status: str = ""
    page: int = 1

    def statuses(self) -> tuple[Status, ...]:
        if self.status == "open":
            return ORDER[:2]
        if self.status in ("triggered", "acknowledged", "resolved"):
            return (Status(self.status),)
        return ORDER

    def url(self, **changes: Any) -> str:
        values = {
            "service": self.service,
            "urgency": self.urgency,
            "status": self.status,
            "page": self.page,
        } | changes
        params = {k: v for k, v in values.items() if v and not (k == "page" and v == 1)}
        query = urlencode(params)
        return "/incidents" + (f"?{query}" if query else "")


def parse_query(service: str, urgency: str, status: str, page: str) -> ListQuery:
    number = int(page) if page.isdigit() else 1
    return ListQuery(
        service=service.strip()[:100],
        urgency=urgency if urgency in ("high", "low") else "",
        status=status if status in STATUS_CHOICES else "",
        page=min(max(number, 1), MAX_PAGE),
    )


def find(deps: WebDeps, query: ListQuery) -> tuple[list[dict[str, Any]], bool, str]:
    """One page of incidents, open ones first (triggered, then acknowledged), newest first
    within each status; whether there is a next page; an error for the filter, if any."""
    wanted = query.page * PAGE_SIZE + 1
    found: list[dict[str, Any]] = []
    for status in query.statuses():
        flt = uc.IncidentFilter(
            statuses=(status,),
            service=query.service or None,
            urgency=Urgency(query.urgency) if query.urgency else None,
            limit=wanted - len(found),
        )
        try:
            found += uc.list_incidents(store=deps.incidents, flt=flt)
        except NotFound:
            return [], False, f"no service is named {query.service!r}"
        if len(found) >= wanted:
            break
    start = (query.page - 1) * PAGE_SIZE
    return found[start : start + PAGE_SIZE], len(found) > start + PAGE_SIZE, ""


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    me = Annotated[WebSession, Depends(signed_in(deps))]
    posted_form = Annotated[Form, Depends(read_form)]

    def htmx(request: Request) -> bool:
        return request.headers.get("hx-request") == "true"

    def list_context(request: Request, session: WebSession, query: ListQuery) -> dict[str, Any]:
        rows, has_next, error = find(deps, query)
        return context(deps, request, session) | {
            "rows": rows,
            "query": query,
            "has_next": has_next,
            "filter_error": error,
            "here": query.url(),
            "poll": deps.poll_seconds,
            "statuses": STATUS_CHOICES[1:],
            "may_ack": may(session.account, Action.ACKNOWLEDGE),
            "may_resolve": may(session.account, Action.RESOLVE),
        }

    @web.get("/")
    def home() -> Response:
        return RedirectResponse("/incidents", status_code=303)

    @web.get("/incidents")
    def incident_list(
        request: Request,
        session: me,
        service: str = "",
        urgency: str = "",
        status: str = "",
        page: str = "1",
    ) -> Response:
        query = parse_query(service, urgency, status, page)
        ctx = list_context(request, session, query)
        if htmx(request) and request.headers.get("hx-target") == "incident-list":
            return pages.render("_incident_list.html", ctx)
        ctx["services"] = deps.directory.service_names()  # names only: no specs to parse
        return pages.render("incidents.html", ctx, status=400 if ctx["filter_error"] else 200)

    def act(session: WebSession, ref: str, action: Action) -> dict[str, Any]:
        incident = uc.get_incident(store=deps.incidents, ref=ref)
        if not may(session.account, action, incident=incident):
            raise PermissionError(f"you may not {action.value} incidents")
        by = session.account.actor
        if action is Action.ACKNOWLEDGE:
            return uc.acknowledge(store=deps.incidents, clock=deps.clock, ref=ref, by=by)
        return uc.resolve(store=deps.incidents, clock=deps.clock, ref=ref, by=by)

    def status_change(
        request: Request, session: WebSession, form: Form, ref: str, action: Action
    ) -> Response:
        check_csrf(session, request, form)
        error, refused = "", False
        try:
            incident = act(session, ref, action)
        except NotFound:
            return not_found(request, session, ref)
        except (InvalidTransition, PermissionError) as exc:
            error = str(exc)
            refused = isinstance(exc, PermissionError)
            incident = uc.get_incident(store=deps.incidents, ref=ref)
        if htmx(request):  # the list's row, swapped in place
            row_ctx = context(deps, request, session) | {
                "i": incident,
                "row_error": error,
                "here": safe_next(form.get("next")),
                "may_ack": may(session.account, Action.ACKNOWLEDGE),
                "may_resolve": may(session.account, Action.RESOLVE),
            }
            return pages.render("_incident_row.html", row_ctx)
        if error:
            status = 403 if refused else 409
            return detail(request, session, incident["id"], error=error, status=status)
        return RedirectResponse(
            safe_next(form.get("next"), f"/incidents/{incident['number']}"), status_code=303
        )

    @web.post("/incidents/bulk-acknowledge")
    def bulk_acknowledge(request: Request, session: me, form: posted_form) -> Response:
        check_csrf(session, request, form)
        if not may(session.account, Action.ACKNOWLEDGE):
            return pages.render(
                "error.html",
                context(deps, request, session)
                | {"title": "Not allowed", "message": "You may not acknowledge incidents."},
                status=403,
            )
        for ref in form.all("ids")[:200]:
            try:
                act(session, ref, Action.ACKNOWLEDGE)
            except (NotFound, InvalidTransition, PermissionError):
                continue  # gone or resolved meanwhile: the list shows where each one is
        return RedirectResponse(safe_next(form.get("next")), status_code=303)

    @web.post("/incidents/{ref}/acknowledge")
    def acknowledge(request: Request, session: me, form: posted_form, ref: str) -> Response:
        return status_change(request, session, form, ref, Action.ACKNOWLEDGE)

    @web.post("/incidents/{ref}/resolve")
    def resolve(request: Request, session: me, form: posted_form, ref: str) -> Response:
        return status_change(request, session, form, ref, Action.RESOLVE)

    @web.post("/incidents/{ref}/notes")
    def add_note(request: Request, session: me, form: posted_form, ref: str) -> Response:
        check_csrf(session, request, form)
        text = form.get("text")
        if not may(session.account, Action.ANNOTATE):
            return detail(
                request, session, ref, note=text, note_error="you may not add notes", status=403
            )
        try:
            uc.add_note(
                store=deps.incidents,
                clock=deps.clock,
                ref=ref,
                by=session.account.actor,
                text=text,
            )
        except NotFound:
            return not_found(request, session, ref)
        except DomainError as exc:
            return detail(request, session, ref, note=text, note_error=str(exc), status=400)
        return RedirectResponse(safe_next(f"/incidents/{ref}") + "#timeline-end", status_code=303)

    def not_found(request: Request, session: WebSession, ref: str) -> Response:
        return pages.render(
            "error.html",
            context(deps, request, session)
            | {"title": "Not found", "message": f"There is no incident {ref}."},
            status=404,
        )

    def detail(
        request: Request,
        session: WebSession,
        ref: str,
        *,
        error: str = "",
        note: str = "",
        note_error: str = "",
        esc_errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        try:
            incident = uc.get_incident(store=deps.incidents, ref=ref)
        except NotFound:
            return not_found(request, session, ref)
        may_respond = may(session.account, Action.ACKNOWLEDGE, incident=incident)
        escalation = esc.escalation_context(deps, incident) if may_respond else {}
        return pages.render(
            "incident.html",
            context(deps, request, session)
            | {
                "i": incident,
                "timeline": deps.incidents.timeline(incident["id"]),
                "alerts": deps.incidents.alerts(incident["id"]),
                "error": error,
                "note": note,
                "note_error": note_error,
                "may_ack": may(session.account, Action.ACKNOWLEDGE, incident=incident),
                "may_resolve": may(session.account, Action.RESOLVE, incident=incident),
                "may_annotate": may(session.account, Action.ANNOTATE, incident=incident),
                # reassign and escalate (incident_escalation.py)
                "may_escalate": may_respond and incident["status"] != "resolved",
                "esc": escalation,
                "esc_errors": esc_errors or {},
                # first-responder context and the router's decision path
                "ctx": responder_context(deps, incident),
                "routes": routed(deps, incident),
            },
            status=status,
        )

    def escalation_action(
        request: Request, session: WebSession, form: Form, ref: str, action: str
    ) -> Response:
        check_csrf(session, request, form)
        try:
            incident = uc.get_incident(store=deps.incidents, ref=ref)
        except NotFound:
            return not_found(request, session, ref)
        if not may(session.account, Action.ACKNOWLEDGE, incident=incident):
            return detail(request, session, ref, error=f"you may not {action}", status=403)
        try:
            (esc.escalate if action == "escalate" else esc.reassign)(deps, incident, form)
        except esc.EscalationFormError as exc:
            return detail(request, session, ref, esc_errors={exc.field: exc.detail}, status=400)
        return RedirectResponse(f"/incidents/{incident['number']}#timeline-end", status_code=303)

    @web.post("/incidents/{ref}/escalate")
    def escalate(request: Request, session: me, form: posted_form, ref: str) -> Response:
        return escalation_action(request, session, form, ref, "escalate")

    @web.post("/incidents/{ref}/reassign")
    def reassign(request: Request, session: me, form: posted_form, ref: str) -> Response:
        return escalation_action(request, session, form, ref, "reassign")

    @web.get("/incidents/{ref}")
    def incident_page(request: Request, session: me, ref: str) -> Response:
        return detail(request, session, ref)

    return web
