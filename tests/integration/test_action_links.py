"""One-click action links and Slack buttons (decision 0030): the MAC before anything is read,
one use per link, the person's rights as they are now, strict headers on the pages; Slack
replays refused, Slack users mapped to ownit users, malformed payloads answered 400."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.secrets import shared_secret
from ownit.adapters.notifiers.signing import make_action_token, slack_signature
from ownit.bootstrap import ACTION_SECRET, build_app
from ownit.settings import Settings
from tests.builders import FakeClock, add_service
from tests.integration import oncall_catalog
from tests.integration.conftest import PAY_KEY
from tests.integration.test_roles_api import ORG
from tests.integration.web_helpers import trigger

SLACK = "8f742231b10e8888abcd99yyyzzz85a5"
# alice links her Slack member id; dave is an observer in his only team (see ORG).
LINKED = ORG.replace(
    "spec: {displayName: Alice Liddell, email: alice@example.com}",
    "spec: {displayName: Alice Liddell, email: alice@example.com, contacts: "
    "[{name: chat, type: slack, webhookUrl: 'https://hooks.slack.com/services/T/B/x', "
    "userId: U0ALICE1}]}",
).replace(
    "spec: {displayName: Dave Bowman, email: dave@example.com}",
    "spec: {displayName: Dave Bowman, email: dave@example.com, contacts: "
    "[{name: chat, type: slack, webhookUrl: 'https://hooks.slack.com/services/T/B/y', "
    "userId: U0DAVE22}]}",
)


@dataclass
class Links:
    client: TestClient
    engine: Engine
    clock: FakeClock

    def token(self, user: str, action: str = "acknowledge") -> str:
        secret = shared_secret(self.engine, ACTION_SECRET, self.clock.now())
        with self.engine.connect() as conn:
            incident_id = conn.execute(select(t.incidents.c.id)).scalar_one()
        expires = self.clock.now() + timedelta(hours=24)
        return make_action_token(secret, incident_id, action, user, expires)

    def status(self) -> str:
        with self.engine.connect() as conn:
            return str(conn.execute(select(t.incidents.c.status)).scalar_one())

    def slack(self, payload: object, *, signature: str | None = None) -> tuple[int, str]:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        stamp = str(int(self.clock.now().timestamp()))
        headers = {
            "x-slack-request-timestamp": stamp,
            "x-slack-signature": signature or slack_signature(SLACK, stamp, body),
            "content-type": "application/x-www-form-urlencoded",
        }
        r = self.client.post("/integrations/slack/actions", content=body, headers=headers)
        return r.status_code, r.text


@pytest.fixture
def links(engine: Engine) -> Iterator[Links]:
    add_service(engine, "checkout-api", keys={"events": PAY_KEY})
    oncall_catalog.apply(engine, LINKED)
    clock = FakeClock()
    settings = Settings(
        database_url=str(engine.url), events_rate_limit=0, slack_signing_secret=SLACK
    )
    with TestClient(build_app(settings, engine, clock=clock)) as client:
        trigger(client, "links")
        yield Links(client, engine, clock)


def test_the_confirm_page_forbids_framing_caching_and_referrers(links: Links) -> None:
    page = links.client.get(f"/actions/{links.token('alice')}")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    bad = links.client.get("/actions/a1.xyz.abc")
    assert bad.status_code == 400
    assert bad.headers["x-frame-options"] == "DENY"


def test_a_link_works_once(links: Links) -> None:
    path = f"/actions/{links.token('alice')}"
    first = links.client.post(path)
    assert first.status_code == 200
    assert links.status() == "acknowledged"
    again = links.client.post(path)
    assert again.status_code == 409
    assert "used already" in again.text
    # The same link spelled otherwise: spaces around it, or its signature's last base64
    # character changed in bits that decode to nothing.
    token = path.removeprefix("/actions/")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(token[-1])
    twin = alphabet[(last & ~3) | ((last + 1) & 3)]  # the 2 bits a 32-byte MAC leaves unused
    for spelling in (f"{token}%20", f"%20{token}", token[:-1] + twin):
        assert links.client.post(f"/actions/{spelling}").status_code == 409, spelling
    with links.engine.connect() as conn:
        entry = conn.execute(
            select(t.audit_log.c.actor, t.audit_log.c.action).where(
                t.audit_log.c.kind == "incident"
            )
        ).one()
    assert tuple(entry) == ("user/alice", "acknowledged")


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("alice", 200),  # org member, responder in payments
        ("dave", 403),  # an observer in every team he is in: may not respond
        ("zed", 403),  # no such user any more
        ("", 403),
    ],
)
def test_a_link_acts_only_while_its_person_may_respond(
    links: Links, user: str, status: int
) -> None:
    path = f"/actions/{links.token(user)}"
    assert links.client.get(path).status_code == status
    assert links.client.post(path).status_code == status
    assert links.status() == ("acknowledged" if status == 200 else "triggered")


def test_a_forged_deeply_nested_token_is_a_400_not_a_500(links: Links) -> None:
    body = base64.urlsafe_b64encode(b"[" * 1000 + b"]" * 1000).rstrip(b"=").decode()
    response = links.client.post(f"/actions/a1.{body}.{'A' * 43}")
    assert response.status_code == 400


def _click(links: Links, slack_id: object, action: str = "acknowledge") -> dict[str, object]:
    return {
        "type": "block_actions",
        "user": {"id": slack_id, "username": "someone"},
        "actions": [{"value": links.token("bob", action)}],
    }


def test_a_slack_click_acts_as_the_linked_user_once(links: Links) -> None:
    click = _click(links, "U0ALICE1")
    body = urlencode({"payload": json.dumps(click)}).encode()
    stamp = str(int(links.clock.now().timestamp()))
    signature = slack_signature(SLACK, stamp, body)
    status, text = links.slack(click, signature=signature)
    assert status == 200
    assert "acknowledged by alice" in text  # not Slack's unverified username
    assert links.status() == "acknowledged"
    replay, _ = links.slack(click, signature=signature)
    assert replay == 401


@pytest.mark.parametrize(
    ("payload", "status", "says"),
    [
        ({"user": {"id": "U0NOBODY"}, "actions": [{"value": "x"}]}, 200, "not linked"),
        ({"user": {"id": "U0DAVE22"}, "actions": [{"value": "TOKEN"}]}, 200, "may not respond"),
        ({"user": "U0ALICE1", "actions": [{"value": "x"}]}, 400, "unrecognised"),
        ({"user": {"id": ["U0ALICE1"]}, "actions": [{"value": "x"}]}, 400, "unrecognised"),
        ({"user": {"id": "U0ALICE1"}, "actions": "x"}, 400, "unrecognised"),
        ({"user": {"id": "U0ALICE1"}, "actions": [{"value": 7}]}, 400, "unrecognised"),
        ({"user": {"id": "U0ALICE1"}, "actions": []}, 400, "unrecognised"),
        ([1, 2], 400, "unrecognised"),
        ("just a string", 400, "unrecognised"),
    ],
)
def test_slack_clicks_are_parsed_defensively(
    links: Links, payload: object, status: int, says: str
) -> None:
    if isinstance(payload, dict) and payload["actions"] == [{"value": "TOKEN"}]:
        payload = payload | {"actions": [{"value": links.token("bob")}]}
    got, text = links.slack(payload)
    assert got == status
    assert says in text
    assert links.status() == "triggered"
