"""``/me``: your contacts and notification rules, a test notification, your calendar feed
link and your shifts.

Contacts and rules the catalog states are shown read-only; the others are yours to edit
(decision 0014). Every form re-renders the page with the error next to its field and saves
nothing when something is wrong.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from ownit.adapters.web.account_pages import context
from ownit.adapters.web.deps import (
    Form,
    LoginRequired,
    WebDeps,
    check_csrf,
    read_form,
    signed_in,
)
from ownit.adapters.web.templating import Pages
from ownit.app import calendar_feed as feeds
from ownit.app import personal as uc
from ownit.app.accounts import WebSession
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


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    me = Annotated[WebSession, Depends(signed_in(deps))]
    posted_form = Annotated[Form, Depends(read_form)]

    def store() -> uc.PersonalSettingsStore:
        if deps.personal is None:  # pragma: no cover - bootstrap always gives one
            raise RuntimeError("the web UI has no personal settings store")
        return deps.personal

    def show(
        request: Request,
        session: WebSession,
        *,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        results: list[uc.TestResult] | None = None,
        feed_url: str = "",
        done: str = "",
        status: int = 200,
    ) -> Response:
        now = deps.clock.now()
        name = session.account.name
        found = uc.settings(store=store(), user=name)
        shifts = user_shifts(
            store=deps.schedules, user=name, since=now, until=now + timedelta(days=SHIFT_DAYS)
        )
        return pages.render(
            "me.html",
            context(deps, request, session)
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
                "feed_made": store().calendar_link_made(name),
                "shifts": shifts,
                "on_call_now": [s for s in shifts if s.start <= now < s.end],
                "shift_days": SHIFT_DAYS,
                "done": done,
            },
            status=status,
        )

    def done(what: str) -> Response:
        return RedirectResponse(f"/me?done={what}", status_code=303)

    @web.get("/me")
    def me_page(request: Request, session: me, done: str = "") -> Response:
        return show(request, session, done=DONE.get(done, ""))

    def refused(
        request: Request, session: WebSession, exc: uc.SettingsError, values: dict[str, str]
    ) -> Response:
        return show(request, session, errors=exc.problems, values=values, status=400)

    @web.post("/me/contacts")
    def add_contact(request: Request, session: me, form: posted_form) -> Response:
        check_csrf(session, request, form)
        values = {k: form.get(k)[:2000] for k in ("name", "type", "value", "secret")}
        try:
            uc.add_contact(
                store=store(),
                user=session.account.name,
                name=values["name"],
                type=values["type"],
                value=values["value"],
                secret=values["secret"],
                at=deps.clock.now(),
            )
        except uc.SettingsError as exc:
            values["secret"] = ""  # never echoed back
            return refused(request, session, exc, values)
        return done("contact-added")

    @web.post("/me/contacts/{name}/delete")
    def remove_contact(request: Request, session: me, form: posted_form, name: str) -> Response:
        check_csrf(session, request, form)
        try:
            uc.remove_contact(
                store=store(), user=session.account.name, name=name, at=deps.clock.now()
            )
        except uc.SettingsError as exc:
            return refused(request, session, exc, {})
        return done("contact-removed")

    @web.post("/me/rules")
    def add_rule(request: Request, session: me, form: posted_form) -> Response:
        check_csrf(session, request, form)
        values = {"rule_contact": form.get("contact")[:100], "after": form.get("after")[:20]}
        try:
            uc.add_rule(
                store=store(),
                user=session.account.name,
                contact=values["rule_contact"],
                after=values["after"],
                at=deps.clock.now(),
            )
        except uc.SettingsError as exc:
            problems = {
                ("rule_contact" if k == "contact" else k): v for k, v in exc.problems.items()
            }
            return show(request, session, errors=problems, values=values, status=400)
        return done("rule-added")

    def rule_action(
        request: Request, session: WebSession, form: Form, index: int, action: str
    ) -> Response:
        check_csrf(session, request, form)
        args: dict[str, Any] = {
            "store": store(),
            "user": session.account.name,
            "index": index,
            "at": deps.clock.now(),
        }
        try:
            if action == "delete":
                uc.remove_rule(**args)
            else:
                uc.move_rule(**args, by=-1 if action == "up" else 1)
        except uc.SettingsError as exc:
            return refused(request, session, exc, {})
        return done("rule-removed" if action == "delete" else "rule-moved")

    @web.post("/me/rules/{index}/delete")
    def remove_rule(request: Request, session: me, form: posted_form, index: int) -> Response:
        return rule_action(request, session, form, index, "delete")

    @web.post("/me/rules/{index}/up")
    def rule_up(request: Request, session: me, form: posted_form, index: int) -> Response:
        return rule_action(request, session, form, index, "up")

    @web.post("/me/rules/{index}/down")
    def rule_down(request: Request, session: me, form: posted_form, index: int) -> Response:
        return rule_action(request, session, form, index, "down")

    @web.post("/me/test-notification")
    def test_notification(request: Request, session: me, form: posted_form) -> Response:
        check_csrf(session, request, form)
        notifiers, unavailable = deps.notifiers() if deps.notifiers else ({}, {})
        try:
            results = uc.send_test(
                store=store(),
                notifiers=notifiers,
                unavailable=unavailable,
                user=session.account.name,
                contact=form.get("contact") or None,
                now=deps.clock.now(),
                base_url=deps.base_url,
            )
        except uc.SettingsError as exc:
            return show(request, session, errors={"test": exc.detail}, status=400)
        return show(request, session, results=results)

    @web.post("/me/calendar")
    def rotate_calendar(request: Request, session: me, form: posted_form) -> Response:
        check_csrf(session, request, form)
        had = store().calendar_link_made(session.account.name) is not None
        if had and form.get("confirm") != "yes":
            return show(
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
        return show(request, session, feed_url=url)

    return web
