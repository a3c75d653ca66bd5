"""One-click actions from notifications (:class:`ActionEndpoints`): signed links that expire,
and Slack's buttons.

A link opened in a browser (``GET``) shows a page with one button; the action happens on
``POST`` — mail scanners that open every link with ``GET`` must not acknowledge pages. A link
works once, and only while the person it was made for may still respond; its pages forbid
framing, caching and referrers (decision 0030).

A Slack click is believed when Slack's signature is right and has not been seen before (a
replay inside Slack's five-minute window is refused); it acts as the ownit user whose Slack
contact names the clicking Slack user id (``userId``), if that user may respond.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

import orjson
from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from ownit.adapters.notifiers.signing import ActionTokenError, check_action_token, verify_slack
from ownit.app import audit
from ownit.app import incidents as uc
from ownit.app.action_links import (
    ResponderRights,
    UsedLinks,
    digest,
    link_digest,
    may_respond,
)
from ownit.app.clock import Clock
from ownit.app.incidents import IncidentStore
from ownit.domain.errors import DomainError

log = logging.getLogger("ownit.http.actions")

_VERBS = {"acknowledge": "Acknowledge", "resolve": "Resolve"}


@dataclass
class ActionDeps:
    incidents: IncidentStore
    clock: Clock
    secret: Callable[[], bytes]
    slack_signing_secret: str | None
    used: UsedLinks
    rights: ResponderRights


# The one-click pages: nothing loads from anywhere, no framing, no caching, and the token in
# the address never leaves in a Referer header.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{html.escape(title)} · ownit</title>"
        "<body style='font:16px system-ui,sans-serif;max-width:36rem;"
        "margin:3rem auto;padding:0 1rem'>"
        f"<h1 style='font-size:1.3rem'>{html.escape(title)}</h1>{body}</body></html>",
        status_code=status,
        headers=_PAGE_HEADERS,
    )


def _act(
    deps: ActionDeps, incident_id: str, action: str, user: str, via: str = "link"
) -> dict[str, object]:
    by = f"user/{user}"
    audit.acting_as(user)
    if action == "acknowledge":
        return uc.acknowledge(
            store=deps.incidents, clock=deps.clock, ref=incident_id, by=by, via=via
        )
    if action == "resolve":
        return uc.resolve(store=deps.incidents, clock=deps.clock, ref=incident_id, by=by)
    raise DomainError(f"unknown action {action!r}")


@dataclass
class ActionEndpoints:
    """The one-click action link (its confirm page and the action) and Slack's buttons."""

    deps: ActionDeps

    def _check(self, token: str) -> tuple[str, str, str] | HTMLResponse:
        try:
            checked = check_action_token(self.deps.secret(), token, self.deps.clock.now())
        except ActionTokenError as exc:
            return _page("This link does not work", f"<p>{html.escape(str(exc))}</p>", 400)
        if not may_respond(self.deps.rights, checked[2], checked[0], self.deps.incidents):
            return _page(
                "This link does not work any more",
                "<p>The person it was sent to may not respond to incidents now. "
                "Open the incident in ownit instead.</p>",
                403,
            )
        return checked

    def confirm(self, token: str) -> Response:
        checked = self._check(token)
        if isinstance(checked, HTMLResponse):
            return checked
        incident_id, action, _ = checked
        incident = self.deps.incidents.get(incident_id)
        if incident is None:
            return _page("Incident not found", "<p>It may have been deleted.</p>", 404)
        verb = _VERBS.get(action, action)
        return _page(
            f"{verb} incident #{incident['number']}?",
            f"<p><strong>{html.escape(incident['title'])}</strong><br>"
            f"{html.escape(incident['service'])} · {html.escape(incident['urgency'])} urgency · "
            f"now {html.escape(incident['status'])}</p>"
            f"<form method=post><button style='font-size:1.1rem;padding:.6rem 1.2rem'>"
            f"{html.escape(verb)}</button></form>",
        )

    def perform(self, token: str) -> Response:
        checked = self._check(token)
        if isinstance(checked, HTMLResponse):
            return checked
        incident_id, action, user = checked
        if not self.deps.used.use(link_digest(token), self.deps.clock.now()):
            return _page(
                "This link was used already",
                "<p>Each link works once. Open the incident in ownit to see where it is.</p>",
                409,
            )
        try:
            incident = _act(self.deps, incident_id, action, user)
        except DomainError as exc:
            return _page("Nothing to do", f"<p>{html.escape(str(exc))}</p>", 409)
        return _page(
            f"Incident #{incident['number']} is {incident['status']}",
            f"<p>{html.escape(str(incident['title']))}</p>",
        )

    async def slack_actions(self, request: Request) -> Response:
        deps = self.deps
        body = await request.body()
        if not deps.slack_signing_secret:
            return Response(status_code=404)
        ok = verify_slack(
            deps.slack_signing_secret,
            request.headers.get("x-slack-request-timestamp", ""),
            body,
            request.headers.get("x-slack-signature", ""),
            deps.clock.now().timestamp(),
        )
        if not ok:
            return Response("invalid signature", status_code=401)
        signature = request.headers.get("x-slack-signature", "")
        if not deps.used.use(digest("slack:" + signature), deps.clock.now()):
            return Response("this request was seen before", status_code=401)
        clicked = _slack_click(body)
        if clicked is None:
            return Response("unrecognised payload", status_code=400)
        slack_id, value = clicked
        user = deps.rights.user_for_slack(slack_id)
        if user is None:
            return _slack_reply(
                ":warning: your Slack account is not linked to an ownit user: add your Slack "
                "member id as `userId` to your slack contact in ownit"
            )
        try:
            incident_id, action, _ = check_action_token(deps.secret(), value, deps.clock.now())
            if not may_respond(deps.rights, user, incident_id, deps.incidents):
                return _slack_reply(f":warning: {user} may not respond to this incident")
            incident = _act(deps, incident_id, action, user, via="slack")
        except (ActionTokenError, DomainError) as exc:
            return _slack_reply(f":warning: {exc}")
        return _slack_reply(
            f"#{incident['number']} {incident['title']}: {incident['status']} by {user}"
        )


def router(deps: ActionDeps) -> APIRouter:
    api = APIRouter(tags=["actions"])
    handlers = ActionEndpoints(deps)

    @api.get("/actions/{token}", summary="Confirm page of a one-click action link")
    def confirm(token: str) -> Response:
        return handlers.confirm(token)

    @api.post("/actions/{token}", summary="Carry out a one-click action")
    def perform(token: str) -> Response:
        return handlers.perform(token)

    @api.post("/integrations/slack/actions", summary="Slack interactivity: button clicks")
    async def slack_actions(request: Request) -> Response:
        return await handlers.slack_actions(request)

    return api


def _slack_click(body: bytes) -> tuple[str, str] | None:
    """The clicking Slack user's id and the button's value, or ``None`` when the payload is
    not the shape Slack sends (whatever its signature, nothing in it is trusted further)."""
    try:
        payload = orjson.loads(parse_qs(body.decode()).get("payload", ["{}"])[0])
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict):
        return None
    user, actions = payload.get("user"), payload.get("actions")
    if not isinstance(user, dict) or not isinstance(actions, list) or not actions:
        return None
    slack_id, first = user.get("id"), actions[0]
    if not isinstance(slack_id, str) or not slack_id or len(slack_id) > 40:
        return None
    value = first.get("value") if isinstance(first, dict) else None
    if not isinstance(value, str):
        return None
    return slack_id, value


def _slack_reply(text: str) -> Response:
    return Response(
        orjson.dumps({"response_type": "in_channel", "replace_original": False, "text": text}),
        media_type="application/json",
    )
