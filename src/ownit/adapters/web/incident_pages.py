"""Pages for incidents (:class:`IncidentPages`): the live list, one incident, and the actions
on them.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from ownit.adapters.web import incident_escalation as esc
from ownit.adapters.web.deps import Form, WebDeps, check_csrf, signed_in
from ownit.adapters.web.incident_context import responder_context, routed
from ownit.adapters.web.incident_list import STATUS_CHOICES, ListQuery, find, parse_query
from ownit.adapters.web.page_handlers import PageHandlers, PostedForm, is_htmx
from ownit.adapters.web.redirects import safe_next
from ownit.adapters.web.templating import Pages
from ownit.app import incidents as uc
from ownit.app.accounts import Action, WebSession, may
from ownit.domain.errors import DomainError, Forbidden, InvalidTransition, NotFound
from ownit.domain.paging import REASONS


@dataclass
class IncidentPages(PageHandlers):
    """The incident list and one incident's page, and what they post."""

    def _list_context(
        self, request: Request, session: WebSession, query: ListQuery
    ) -> dict[str, Any]:
        rows, has_next, error = find(self.deps, query)
        return self._context(request, session) | {
            "rows": rows,
            "query": query,
            "has_next": has_next,
            "filter_error": error,
            "here": query.url(),
            "poll": self.deps.poll_seconds,
            "statuses": STATUS_CHOICES[1:],
            "may_ack": may(session.account, Action.ACKNOWLEDGE),
            "may_resolve": may(session.account, Action.RESOLVE),
        }

    def home(self) -> Response:
        return RedirectResponse("/incidents", status_code=303)

    def incident_list(
        self,
        request: Request,
        session: WebSession,
        service: str = "",
        urgency: str = "",
        status: str = "",
        page: str = "1",
    ) -> Response:
        query = parse_query(service, urgency, status, page)
        ctx = self._list_context(request, session, query)
        if is_htmx(request) and request.headers.get("hx-target") == "incident-list":
            return self.pages.render("_incident_list.html", ctx)
        ctx["services"] = self.deps.directory.service_names()  # names only: no specs to parse
        return self.pages.render("incidents.html", ctx, status=400 if ctx["filter_error"] else 200)

    def _act(self, session: WebSession, ref: str, action: Action) -> dict[str, Any]:
        deps = self.deps
        incident = uc.get_incident(store=deps.incidents, ref=ref)
        if not may(session.account, action, incident=incident):
            raise PermissionError(f"you may not {action.value} incidents")
        self._check_team(session, incident)
        by = session.account.actor
        if action is Action.ACKNOWLEDGE:
            return uc.acknowledge(store=deps.incidents, clock=deps.clock, ref=ref, by=by, via="web")
        return uc.resolve(store=deps.incidents, clock=deps.clock, ref=ref, by=by)

    def _check_team(self, session: WebSession, incident: dict[str, Any]) -> None:
        """``PermissionError`` when the organisation responds by team and this person has no
        responding role in the incident's owner team."""
        try:
            uc.check_may_respond(
                store=self.deps.incidents,
                who=session.account.permissions,
                incident_id=incident["id"],
            )
        except Forbidden as exc:
            raise PermissionError(str(exc)) from exc

    def _status_change(
        self, request: Request, session: WebSession, form: Form, ref: str, action: Action
    ) -> Response:
        check_csrf(session, request, form)
        error, refused = "", False
        try:
            incident = self._act(session, ref, action)
        except NotFound:
            return self._not_found(request, session, ref)
        except (InvalidTransition, PermissionError) as exc:
            error = str(exc)
            refused = isinstance(exc, PermissionError)
            incident = uc.get_incident(store=self.deps.incidents, ref=ref)
        if is_htmx(request):  # the list's row, swapped in place
            row_ctx = self._context(request, session) | {
                "i": incident,
                "row_error": error,
                "here": safe_next(form.get("next")),
                "may_ack": may(session.account, Action.ACKNOWLEDGE),
                "may_resolve": may(session.account, Action.RESOLVE),
            }
            return self.pages.render("_incident_row.html", row_ctx)
        if error:
            status = 403 if refused else 409
            return self._detail(request, session, incident["id"], error=error, status=status)
        return RedirectResponse(
            safe_next(form.get("next"), f"/incidents/{incident['number']}"), status_code=303
        )

    def bulk_acknowledge(self, request: Request, session: WebSession, form: Form) -> Response:
        check_csrf(session, request, form)
        if not may(session.account, Action.ACKNOWLEDGE):
            return self._error(
                request, session, 403, "Not allowed", "You may not acknowledge incidents."
            )
        for ref in form.all("ids")[:200]:
            try:
                self._act(session, ref, Action.ACKNOWLEDGE)
            except (NotFound, InvalidTransition, PermissionError):
                continue  # gone or resolved meanwhile: the list shows where each one is
        return RedirectResponse(safe_next(form.get("next")), status_code=303)

    def acknowledge(self, request: Request, session: WebSession, form: Form, ref: str) -> Response:
        return self._status_change(request, session, form, ref, Action.ACKNOWLEDGE)

    def resolve(self, request: Request, session: WebSession, form: Form, ref: str) -> Response:
        return self._status_change(request, session, form, ref, Action.RESOLVE)

    def add_note(self, request: Request, session: WebSession, form: Form, ref: str) -> Response:
        check_csrf(session, request, form)
        text = form.get("text")
        if not may(session.account, Action.ANNOTATE):
            return self._detail(
                request, session, ref, note=text, note_error="you may not add notes", status=403
            )
        try:
            self._check_team(session, uc.get_incident(store=self.deps.incidents, ref=ref))
        except NotFound:
            return self._not_found(request, session, ref)
        except PermissionError as exc:
            return self._detail(request, session, ref, note=text, note_error=str(exc), status=403)
        try:
            uc.add_note(
                store=self.deps.incidents,
                clock=self.deps.clock,
                ref=ref,
                by=session.account.actor,
                text=text,
            )
        except NotFound:
            return self._not_found(request, session, ref)
        except DomainError as exc:
            return self._detail(request, session, ref, note=text, note_error=str(exc), status=400)
        return RedirectResponse(safe_next(f"/incidents/{ref}") + "#timeline-end", status_code=303)

    def _not_found(self, request: Request, session: WebSession, ref: str) -> Response:
        return self._error(request, session, 404, "Not found", f"There is no incident {ref}.")

    def _detail(
        self,
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
        deps = self.deps
        try:
            incident = uc.get_incident(store=deps.incidents, ref=ref)
        except NotFound:
            return self._not_found(request, session, ref)
        may_respond = may(session.account, Action.ACKNOWLEDGE, incident=incident)
        escalation = esc.escalation_context(deps, incident) if may_respond else {}
        return self.pages.render(
            "incident.html",
            self._context(request, session)
            | {
                "i": incident,
                # never silent: the banner's words and fix (None when paging is ok)
                "not_paged": REASONS.get(incident.get("paging_reason") or ""),
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

    def _escalation_action(
        self, request: Request, session: WebSession, form: Form, ref: str, action: str
    ) -> Response:
        check_csrf(session, request, form)
        try:
            incident = uc.get_incident(store=self.deps.incidents, ref=ref)
        except NotFound:
            return self._not_found(request, session, ref)
        if not may(session.account, Action.ACKNOWLEDGE, incident=incident):
            return self._detail(request, session, ref, error=f"you may not {action}", status=403)
        try:
            self._check_team(session, incident)
        except PermissionError as exc:
            return self._detail(request, session, ref, error=str(exc), status=403)
        try:
            (esc.escalate if action == "escalate" else esc.reassign)(self.deps, incident, form)
        except esc.EscalationFormError as exc:
            errors = {exc.field: exc.detail}
            return self._detail(request, session, ref, esc_errors=errors, status=400)
        return RedirectResponse(f"/incidents/{incident['number']}#timeline-end", status_code=303)

    def escalate(self, request: Request, session: WebSession, form: Form, ref: str) -> Response:
        return self._escalation_action(request, session, form, ref, "escalate")

    def reassign(self, request: Request, session: WebSession, form: Form, ref: str) -> Response:
        return self._escalation_action(request, session, form, ref, "reassign")

    def incident_page(self, request: Request, session: WebSession, ref: str) -> Response:
        return self._detail(request, session, ref)


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    handlers = IncidentPages(deps, pages)
    me = Annotated[WebSession, Depends(signed_in(deps))]

    @web.get("/")
    def home() -> Response:
        return handlers.home()

    @web.get("/incidents")
    def incident_list(
        request: Request,
        session: me,
        service: str = "",
        urgency: str = "",
        status: str = "",
        page: str = "1",
    ) -> Response:
        return handlers.incident_list(request, session, service, urgency, status, page)

    @web.post("/incidents/bulk-acknowledge")
    def bulk_acknowledge(request: Request, session: me, form: PostedForm) -> Response:
        return handlers.bulk_acknowledge(request, session, form)

    @web.post("/incidents/{ref}/acknowledge")
    def acknowledge(request: Request, session: me, form: PostedForm, ref: str) -> Response:
        return handlers.acknowledge(request, session, form, ref)

    @web.post("/incidents/{ref}/resolve")
    def resolve(request: Request, session: me, form: PostedForm, ref: str) -> Response:
        return handlers.resolve(request, session, form, ref)

    @web.post("/incidents/{ref}/notes")
    def add_note(request: Request, session: me, form: PostedForm, ref: str) -> Response:
        return handlers.add_note(request, session, form, ref)

    @web.post("/incidents/{ref}/escalate")
    def escalate(request: Request, session: me, form: PostedForm, ref: str) -> Response:
        return handlers.escalate(request, session, form, ref)

    @web.post("/incidents/{ref}/reassign")
    def reassign(request: Request, session: me, form: PostedForm, ref: str) -> Response:
        return handlers.reassign(request, session, form, ref)

    @web.get("/incidents/{ref}")
    def incident_page(request: Request, session: me, ref: str) -> Response:
        return handlers.incident_page(request, session, ref)

    return web
