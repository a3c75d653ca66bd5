"""``/me`` (:class:`MePages`): your contacts and notification rules, a test notification, your
calendar feed link and your shifts.

Contacts and rules the catalog states are shown read-only; the others are yours to edit
(decision 0014). Every form re-renders the page with the error next to its field and saves
nothing when something is wrong.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from ownit.adapters.web.deps import Form, LoginRequired, WebDeps, check_csrf, signed_in
from ownit.adapters.web.page_handlers import PageHandlers, PostedForm
from ownit.adapters.web.templating import Pages
from ownit.app import calendar_feed as feeds
from ownit.app import personal as uc
from ownit.app.accounts import WebSession
from ownit.app.rate_limits import may_send_test
from ownit.app.schedule_view import user_shifts
from ownit.domain.durations import format_duration
from ownit.domain.errors import NotFound
from ownit.domain.oncall.notification_rules import CONTACT_TYPES

SHIFT_DAYS = 14
DONE = {
    "contact-added": "The contact is added.",
    "contact-removed": "The contact is removed.",
    "rule-added": "The rule is added.",
    "rule-removed": "The rule is removed.",
    "rule-moved": "The rules are reordered.",
    "updates-saved": "Your status updates are saved.",
}
VALUE_LABEL = {
    "email": "address",
    "webhook": "URL",
    "slack": "Slack incoming-webhook URL",
    "push": "push topic URL",
}


def in_zone(value: datetime, zone: str) -> str:
    try:
        local = value.astimezone(ZoneInfo(zone))
    except (ValueError, KeyError, OSError):
        local = value.astimezone(UTC)
    return local.strftime("%a %Y-%m-%d %H:%M %Z")


@dataclass
class MePages(PageHandlers):
    """One's own page: contacts, notification rules, a test notification, the calendar feed."""

    def _store(self) -> uc.PersonalSettingsStore:
        if self.deps.personal is None:  # pragma: no cover - bootstrap always gives one
            raise RuntimeError("the web UI has no personal settings store")
        return self.deps.personal

    def _show(
        self,
        request: Request,
        session: WebSession,
        *,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        results: list[uc.TestResult] | None = None,
        feed_url: str = "",
        done: str = "",
        warning: str = "",
        status: int = 200,
    ) -> Response:
        deps = self.deps
        now = deps.clock.now()
        name = session.account.name
        found = uc.settings(store=self._store(), user=name)
        shifts = user_shifts(
            store=deps.schedules, user=name, since=now, until=now + timedelta(days=SHIFT_DAYS)
        )
        return self.pages.render(
            "me.html",
            self._context(request, session)
            | {
                "settings": found,
                "u": found.user,
                "contact_types": CONTACT_TYPES,
                "value_label": VALUE_LABEL,
                "duration": format_duration,
                "mine": lambda value: in_zone(value, found.user.timezone),
                "errors": errors or {},
                "values": {"type": "email"} | (values or {}),
                "results": results,
                "feed_url": feed_url,
                "feed_made": self._store().calendar_link_made(name),
                "shifts": shifts,
                "on_call_now": [s for s in shifts if s.start <= now < s.end],
                "shift_days": SHIFT_DAYS,
                "done": done,
                "warning": warning,
            },
            status=status,
        )

    def _done(self, what: str) -> Response:
        return RedirectResponse(f"/me?done={what}", status_code=303)

    def me_page(self, request: Request, session: WebSession, done: str = "") -> Response:
        return self._show(request, session, done=DONE.get(done, ""))

    def _refused(
        self,
        request: Request,
        session: WebSession,
        exc: uc.SettingsError,
        values: dict[str, str],
    ) -> Response:
        return self._show(request, session, errors=exc.problems, values=values, status=400)

    def add_contact(self, request: Request, session: WebSession, form: Form) -> Response:
        check_csrf(session, request, form)
        values = {k: form.get(k)[:2000] for k in ("name", "type", "value", "secret")}
        try:
            uc.add_contact(
                store=self._store(),
                user=session.account.name,
                name=values["name"],
                type=values["type"],
                value=values["value"],
                secret=values["secret"],
                at=self.deps.clock.now(),
            )
        except uc.SettingsError as exc:
            values["secret"] = ""  # never echoed back
            return self._refused(request, session, exc, values)
        check = self.deps.outbound_warning
        warning = check(values["value"]) if check and values["type"] != "email" else None
        if warning:  # saved, and said at once rather than at the first page
            return self._show(request, session, done=DONE["contact-added"], warning=warning)
        return self._done("contact-added")

    def remove_contact(
        self, request: Request, session: WebSession, form: Form, name: str
    ) -> Response:
        check_csrf(session, request, form)
        try:
            uc.remove_contact(
                store=self._store(), user=session.account.name, name=name, at=self.deps.clock.now()
            )
        except uc.SettingsError as exc:
            return self._refused(request, session, exc, {})
        return self._done("contact-removed")

    def add_rule(self, request: Request, session: WebSession, form: Form) -> Response:
        check_csrf(session, request, form)
        values = {"rule_contact": form.get("contact")[:100], "after": form.get("after")[:20]}
        try:
            uc.add_rule(
                store=self._store(),
                user=session.account.name,
                contact=values["rule_contact"],
                after=values["after"],
                at=self.deps.clock.now(),
            )
        except uc.SettingsError as exc:
            problems = {
                ("rule_contact" if k == "contact" else k): v for k, v in exc.problems.items()
            }
            return self._show(request, session, errors=problems, values=values, status=400)
        return self._done("rule-added")

    def _rule_action(
        self, request: Request, session: WebSession, form: Form, index: int, action: str
    ) -> Response:
        check_csrf(session, request, form)
        args: dict[str, Any] = {
            "store": self._store(),
            "user": session.account.name,
            "index": index,
            "at": self.deps.clock.now(),
        }
        try:
            if action == "delete":
                uc.remove_rule(**args)
            else:
                uc.move_rule(**args, by=-1 if action == "up" else 1)
        except uc.SettingsError as exc:
            return self._refused(request, session, exc, {})
        return self._done("rule-removed" if action == "delete" else "rule-moved")

    def remove_rule(
        self, request: Request, session: WebSession, form: Form, index: int
    ) -> Response:
        return self._rule_action(request, session, form, index, "delete")

    def rule_up(self, request: Request, session: WebSession, form: Form, index: int) -> Response:
        return self._rule_action(request, session, form, index, "up")

    def rule_down(self, request: Request, session: WebSession, form: Form, index: int) -> Response:
        return self._rule_action(request, session, form, index, "down")

    def status_updates(self, request: Request, session: WebSession, form: Form) -> Response:
        check_csrf(session, request, form)
        try:
            uc.set_status_updates(
                store=self._store(),
                user=session.account.name,
                contacts=form.all("contact"),
                at=self.deps.clock.now(),
            )
        except uc.SettingsError as exc:
            return self._refused(request, session, exc, {})
        return self._done("updates-saved")

    def test_notification(self, request: Request, session: WebSession, form: Form) -> Response:
        deps = self.deps
        check_csrf(session, request, form)
        now = deps.clock.now()
        if not may_send_test(deps.rate_limits, session.account.name, now):
            tired = "too many test notifications: try again in a minute"
            return self._show(request, session, errors={"test": tired}, status=429)
        notifiers, unavailable = deps.notifiers() if deps.notifiers else ({}, {})
        try:
            results = uc.send_test(
                store=self._store(),
                notifiers=notifiers,
                unavailable=unavailable,
                user=session.account.name,
                contact=form.get("contact") or None,
                now=now,
                base_url=deps.base_url,
            )
        except uc.SettingsError as exc:
            return self._show(request, session, errors={"test": exc.detail}, status=400)
        return self._show(request, session, results=results)

    def rotate_calendar(self, request: Request, session: WebSession, form: Form) -> Response:
        deps = self.deps
        check_csrf(session, request, form)
        had = self._store().calendar_link_made(session.account.name) is not None
        if had and form.get("confirm") != "yes":
            return self._show(
                request,
                session,
                errors={"confirm": "tick the box: your old link will stop working"},
                status=400,
            )
        try:
            token = feeds.rotate_calendar_token(
                tokens=deps.schedules, clock=deps.clock, user=session.account.name
            )
        except NotFound:  # pragma: no cover - the signed-in user exists
            raise LoginRequired from None
        url = f"{deps.base_url.rstrip('/')}/calendar/{token}.ics"
        return self._show(request, session, feed_url=url)


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    handlers = MePages(deps, pages)
    me = Annotated[WebSession, Depends(signed_in(deps))]

    @web.get("/me")
    def me_page(request: Request, session: me, done: str = "") -> Response:
        return handlers.me_page(request, session, done)

    @web.post("/me/contacts")
    def add_contact(request: Request, session: me, form: PostedForm) -> Response:
        return handlers.add_contact(request, session, form)

    @web.post("/me/contacts/{name}/delete")
    def remove_contact(request: Request, session: me, form: PostedForm, name: str) -> Response:
        return handlers.remove_contact(request, session, form, name)

    @web.post("/me/rules")
    def add_rule(request: Request, session: me, form: PostedForm) -> Response:
        return handlers.add_rule(request, session, form)

    @web.post("/me/rules/{index}/delete")
    def remove_rule(request: Request, session: me, form: PostedForm, index: int) -> Response:
        return handlers.remove_rule(request, session, form, index)

    @web.post("/me/rules/{index}/up")
    def rule_up(request: Request, session: me, form: PostedForm, index: int) -> Response:
        return handlers.rule_up(request, session, form, index)

    @web.post("/me/rules/{index}/down")
    def rule_down(request: Request, session: me, form: PostedForm, index: int) -> Response:
        return handlers.rule_down(request, session, form, index)

    @web.post("/me/status-updates")
    def status_updates(request: Request, session: me, form: PostedForm) -> Response:
        return handlers.status_updates(request, session, form)

    @web.post("/me/test-notification")
    def test_notification(request: Request, session: me, form: PostedForm) -> Response:
        return handlers.test_notification(request, session, form)

    @web.post("/me/calendar")
    def rotate_calendar(request: Request, session: me, form: PostedForm) -> Response:
        return handlers.rotate_calendar(request, session, form)

    return web
