"""``/incidents/{ref}/postmortem`` (:class:`PostmortemPages`): write and review an incident's
postmortem — sections with wording hints beside them, status, owner and due date, the
timeline with hide and note, action items to add and tick; ``/postmortems``: the list, with
an overdue filter (``docs/postmortems.md``).

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from ownit.adapters.web.deps import Form, WebDeps, check_csrf, signed_in
from ownit.adapters.web.page_handlers import PageHandlers, PostedForm
from ownit.adapters.web.templating import Pages
from ownit.app import postmortems as uc
from ownit.app.accounts import Action, WebSession, may
from ownit.app.postmortem_export import markdown
from ownit.domain.errors import DomainError, FieldError, InvalidTransition, NotFound
from ownit.domain.postmortems import model as m
from ownit.domain.postmortems.timeline import Mark


def _date(field: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FieldError(field, f"{value!r} is not a date (YYYY-MM-DD)") from None


@dataclass
class PostmortemPages(PageHandlers):
    @property
    def _store(self) -> uc.PostmortemStore:
        assert self.deps.postmortems is not None
        return self.deps.postmortems

    def page(
        self, request: Request, session: WebSession, ref: str, error: str = "", status: int = 200
    ) -> Response:
        store, now = self._store, self.deps.clock.now()
        try:
            record = uc.of_incident(store=store, ref=ref)
        except NotFound:
            try:
                facts = uc.of_incident_facts(store=store, ref=ref)
            except NotFound:
                return self._error(request, session, 404, "No such incident", f"No incident {ref}.")
            context: dict[str, Any] = {"facts": facts, "pm": None, "error": error}
            return self.pages.render(
                "postmortem.html", self._context(request, session) | context, status=status
            )
        body = uc.answer(store, record, now)
        hints: dict[str, list[dict[str, str]]] = {}
        for hint in body["wording_hints"]:
            hints.setdefault(hint["section"], []).append(hint)
        full: dict[str, Any] = {
            "facts": record.incident,
            "pm": body,
            "sections": [(n, m.SECTION_TITLES[n], body["sections"][n]) for n in m.SECTIONS],
            "hints": hints,
            "statuses": [s.value for s in m.Status],
            "may_edit": may(session.account, Action.ANNOTATE),
            "closed": body["status"] == m.Status.CLOSED.value,
            "error": error,
        }
        return self.pages.render(
            "postmortem.html", self._context(request, session) | full, status=status
        )

    def _write(
        self, request: Request, session: WebSession, form: Form, ref: str, run: Callable[[], Any]
    ) -> Response:
        check_csrf(session, request, form)
        if not may(session.account, Action.ANNOTATE):
            return self.page(request, session, ref, "You may not change postmortems.", 403)
        try:
            run()
        except NotFound as exc:
            return self.page(request, session, ref, str(exc), 404)
        except FieldError as exc:
            return self.page(request, session, ref, f"{exc.field}: {exc.detail}", 422)
        except InvalidTransition as exc:
            return self.page(request, session, ref, str(exc), 409)
        except DomainError as exc:
            return self.page(request, session, ref, str(exc), 400)
        return RedirectResponse(f"/incidents/{ref}/postmortem", status_code=303)

    def create(self, request: Request, session: WebSession, form: Form, ref: str) -> Response:
        d = self.deps
        return self._write(
            request,
            session,
            form,
            ref,
            lambda: uc.create(
                store=self._store, clock=d.clock, ref=ref, owner=None, by=session.account.name
            ),
        )

    def edit(self, request: Request, session: WebSession, form: Form, ref: str) -> Response:
        def run() -> None:
            record = uc.of_incident(store=self._store, ref=ref)
            sections = {n: form.get(n) for n in m.SECTIONS if n in form.fields}
            change = uc.Edit(
                title=form.get("title") or None,
                status=form.get("status") or None,
                owner=form.get("owner") or None,
                due=_date("due", form.get("due")),
                sections=sections,
            )
            uc.edit(store=self._store, clock=self.deps.clock, record=record, change=change)

        return self._write(request, session, form, ref, run)

    def mark(self, request: Request, session: WebSession, form: Form, ref: str) -> Response:
        def run() -> None:
            record = uc.of_incident(store=self._store, ref=ref)
            key = form.get("key")
            mark = Mark(hidden=form.get("hidden") == "on", note=form.get("note").strip() or None)
            change = uc.Edit(timeline={key: mark})
            uc.edit(store=self._store, clock=self.deps.clock, record=record, change=change)

        return self._write(request, session, form, ref, run)

    def add_action(self, request: Request, session: WebSession, form: Form, ref: str) -> Response:
        def run() -> None:
            record = uc.of_incident(store=self._store, ref=ref)
            due = _date("due", form.get("due"))
            if due is None:
                raise FieldError("due", "give a date (YYYY-MM-DD)")
            uc.add_action(
                store=self._store,
                clock=self.deps.clock,
                record=record,
                title=form.get("title"),
                owner=form.get("owner"),
                due=due,
                link=form.get("link") or None,
            )

        return self._write(request, session, form, ref, run)

    def tick(
        self, request: Request, session: WebSession, form: Form, ref: str, number: int
    ) -> Response:
        def run() -> None:
            record = uc.of_incident(store=self._store, ref=ref)
            status = "done" if form.get("done") == "on" else "open"
            uc.edit_action(
                store=self._store,
                clock=self.deps.clock,
                record=record,
                number=number,
                status=status,
            )

        return self._write(request, session, form, ref, run)

    def markdown(self, request: Request, session: WebSession, ref: str) -> Response:
        try:
            record = uc.of_incident(store=self._store, ref=ref)
        except NotFound as exc:
            return self._error(request, session, 404, "No postmortem", str(exc))
        text = markdown(self._store, record, self.deps.clock.now())
        return Response(text, media_type="text/markdown; charset=utf-8")

    def list_page(
        self, request: Request, session: WebSession, status: str, overdue: str
    ) -> Response:
        store, clock = self._store, self.deps.clock
        try:
            found = uc.search(
                store=store, clock=clock, status=status or None, overdue=overdue == "1"
            )
        except FieldError as exc:
            return self._error(request, session, 400, "Cannot list these", exc.detail)
        now = clock.now()
        context = {
            "postmortems": [uc.answer(store, r, now, full=False) for r in found],
            "status": status,
            "overdue": overdue == "1",
            "statuses": [s.value for s in m.Status],
        }
        return self.pages.render("postmortems.html", self._context(request, session) | context)


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    handlers = PostmortemPages(deps, pages)
    me = Annotated[WebSession, Depends(signed_in(deps))]

    @web.get("/postmortems")
    def list_page(request: Request, session: me, status: str = "", overdue: str = "") -> Response:
        return handlers.list_page(request, session, status, overdue)

    @web.get("/incidents/{ref}/postmortem")
    def page(request: Request, session: me, ref: str) -> Response:
        return handlers.page(request, session, ref)

    @web.get("/incidents/{ref}/postmortem.md")
    def as_markdown(request: Request, session: me, ref: str) -> Response:
        return handlers.markdown(request, session, ref)

    @web.post("/incidents/{ref}/postmortem")
    def create(request: Request, session: me, form: PostedForm, ref: str) -> Response:
        return handlers.create(request, session, form, ref)

    @web.post("/incidents/{ref}/postmortem/edit")
    def edit(request: Request, session: me, form: PostedForm, ref: str) -> Response:
        return handlers.edit(request, session, form, ref)

    @web.post("/incidents/{ref}/postmortem/timeline")
    def mark(request: Request, session: me, form: PostedForm, ref: str) -> Response:
        return handlers.mark(request, session, form, ref)

    @web.post("/incidents/{ref}/postmortem/actions")
    def add_action(request: Request, session: me, form: PostedForm, ref: str) -> Response:
        return handlers.add_action(request, session, form, ref)

    @web.post("/incidents/{ref}/postmortem/actions/{number}")
    def tick(request: Request, session: me, form: PostedForm, ref: str, number: int) -> Response:
        return handlers.tick(request, session, form, ref, number)

    return web
