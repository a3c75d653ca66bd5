"""One-click actions from notifications (:class:`ActionEndpoints`): signed links that expire,
and Slack's buttons.

A link opened in a browser (``GET``) shows a page with one button; the action happens on
``POST`` — mail scanners that open every link with ``GET`` must not acknowledge pages.
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
from ownit.app import incidents as uc
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


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{html.escape(title)} · ownit</title>"
        "<body style='font:16px system-ui,sans-serif;max-width:36rem;"
        "margin:3rem auto;padding:0 1rem'>"
        f"<h1 style='font-size:1.3rem'>{html.escape(title)}</h1>{body}</body></html>",
        status_code=status,
    )


def _act(
    deps: ActionDeps, incident_id: str, action: str, user: str, via: str = "link"
) -> dict[str, object]:
    by = f"user/{user}" if user else "link"
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
            return check_action_token(self.deps.secret(), token, self.deps.clock.now())
        except ActionTokenError as exc:
            return _page("This link does not work", f"<p>{html.escape(str(exc))}</p>", 400)

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
        try:
            payload = orjson.loads(parse_qs(body.decode()).get("payload", ["{}"])[0])
            value = payload["actions"][0]["value"]
        except (ValueError, KeyError, IndexError, TypeError):
            return Response("unrecognised payload", status_code=400)
        try:
            incident_id, action, user = check_action_token(deps.secret(), value, deps.clock.now())
            slack_user = payload.get("user", {}).get("username") or user
            incident = _act(deps, incident_id, action, slack_user, via="slack")
        except (ActionTokenError, DomainError) as exc:
            return _slack_reply(f":warning: {exc}")
        return _slack_reply(
            f"#{incident['number']} {incident['title']}: {incident['status']} by {slack_user}"
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


def _slack_reply(text: str) -> Response:
    return Response(
        orjson.dumps({"response_type": "in_channel", "replace_original": False, "text": text}),
        media_type="application/json",
    )
