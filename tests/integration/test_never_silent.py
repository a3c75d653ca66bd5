"""Never silent: for every reason a page cannot go out, the incident says so (API, timeline,
metric) and a fallback page reaches the owning team's managers — then the org's admins —
within one worker cycle. Real events in, real webhooks out (loopback), a fake clock, both
databases."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db import tables as t
from ownit.adapters.db.account_store import SqlAccountStore
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.adapters.passwords import Argon2Hasher
from ownit.app import catalog
from ownit.app.accounts import OrgRole, create_login
from ownit.app.tokens import create_token
from ownit.bootstrap import build_app, build_worker
from ownit.domain.outbound import AllowList
from ownit.settings import Settings
from ownit.worker.loop import Worker
from tests.builders import FakeClock
from tests.integration.receivers import HttpReceiver, http_receiver
from tests.integration.web_helpers import PASSWORD, login

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
KEYS = {
    "no-policy": "nopolicy000000000000000000000001",
    "invalid": "invalid0000000000000000000000001",
    "gap": "gap00000000000000000000000000001",
    "no-contact": "nocontact00000000000000000000001",
    "broken": "broken0000000000000000000000001a",
    "mail-only": "mailonly000000000000000000000001",
    "refused": "refused0000000000000000000000001",
    "ok": "okokok00000000000000000000000001",
    "solo": "solo0000000000000000000000000001",
}


def _user(name: str, contacts: str = "") -> str:
    return f"""
apiVersion: ownit/v1
kind: User
metadata: {{name: {name}}}
spec:
  email: {name}@example.com
{contacts}---"""


def _service(name: str, policy: str | None, owner: str = "payments") -> str:
    line = f"  escalationPolicy: {policy}\n" if policy else ""
    return f"""
apiVersion: ownit/v1
kind: Service
metadata: {{name: {name}}}
spec:
  owner: {owner}
{line}  integrations: [{{name: events, type: events-v2, key: {KEYS[name]}}}]
---"""


def _policy(name: str, target: str) -> str:
    return f"""
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{name: {name}}}
spec:
  levels: [{{after: 5m, targets: [{target}]}}]
---"""


def catalog_text(hook: str, bad: str) -> str:
    def webhook(url: str) -> str:
        return f'  contacts: [{{name: hook, type: webhook, url: "{url}", secret: "{SECRET}"}}]\n'

    return "\n".join(
        [
            _user("mgr", webhook(f"{hook}/mgr")),
            _user("root", webhook(f"{hook}/root")),
            _user("alice", webhook(f"{hook}/alice")),
            _user("ghost"),  # no contact at all
            _user("broken", webhook(f"{bad}/broken")),  # the receiver answers 400
            _user("mailer", "  contacts: [{name: mail, type: email, address: m@example.com}]\n"),
            # A private address, not covered by OWNIT_OUTBOUND_ALLOW (loopback only here).
            _user("walled", webhook("http://10.255.255.1/walled")),
            """
apiVersion: ownit/v1
kind: Team
metadata: {name: payments}
spec:
  members: [{user: mgr, role: manager}, {user: alice}, {user: ghost}, {user: broken}]
---
apiVersion: ownit/v1
kind: Team
metadata: {name: solo}
spec:
  members: [{user: alice}]
---
apiVersion: ownit/v1
kind: Schedule
metadata: {name: weekend}
spec:
  timezone: UTC
  layers:
    - name: saturday-mornings
      start: "2026-01-05T09:00:00"
      rotation: 1w
      users: [alice]
      restrictions: [{days: [sat], from: "09:00", to: "10:00"}]
---""",
            _policy("to-alice", "{user: alice}"),
            _policy("to-weekend", "{schedule: weekend}"),
            _policy("to-ghost", "{user: ghost}"),
            _policy("to-broken", "{user: broken}"),
            _policy("to-mailer", "{user: mailer}"),
            _policy("to-walled", "{user: walled}"),
            _policy("soon-invalid", "{user: alice}"),
            _service("no-policy", None),
            _service("invalid", "soon-invalid"),
            _service("gap", "to-weekend"),
            _service("no-contact", "to-ghost"),
            _service("broken", "to-broken"),
            _service("mail-only", "to-mailer"),
            _service("refused", "to-walled"),
            _service("ok", "to-alice"),
            _service("solo", None, owner="solo"),
        ]
    )


@dataclass
class World:
    client: TestClient
    clock: FakeClock
    work: Worker
    hook: HttpReceiver
    engine: Engine
    token: str

    def trigger(self, service: str) -> int:
        body = {
            "routing_key": KEYS[service],
            "event_action": "trigger",
            "dedup_key": f"{service}-1",
            "payload": {"summary": f"{service} is down", "source": "db-1", "severity": "critical"},
        }
        assert self.client.post("/v2/enqueue", json=body).status_code == 202
        found = self.get("/api/v1/incidents")["incidents"]
        assert isinstance(found, list)
        return int(next(i["number"] for i in found if i["title"] == f"{service} is down"))

    def get(self, path: str) -> dict[str, object]:
        r = self.client.get(path, headers={"Authorization": f"Bearer {self.token}"})
        assert r.status_code == 200, r.text
        result: dict[str, object] = r.json()
        return result

    def incident(self, number: int) -> dict[str, object]:
        found = self.get(f"/api/v1/incidents/{number}")["incident"]
        assert isinstance(found, dict)
        return found

    def timeline(self, number: int) -> list[tuple[str, str]]:
        entries = self.get(f"/api/v1/incidents/{number}/timeline")["timeline"]
        assert isinstance(entries, list)
        return [(e["kind"], e["message"]) for e in entries]

    def pages_to(self, who: str) -> list[tuple[str, str]]:
        out = []
        for r in self.hook.requests:
            if r.path == f"/{who}":
                body = orjson.loads(r.body)
                out.append((body["type"], body["data"]["title"]))
        return out


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    with http_receiver() as hook, http_receiver() as bad:
        bad.status = 400
        path = tmp_path / "catalog.yaml"
        path.write_text(catalog_text(hook.url, bad.url))
        clock = FakeClock()
        loaded = load_files([str(path)])
        assert loaded.problems == ()
        catalog.apply(store=SqlCatalogStore(engine), documents=loaded.documents, clock=clock)
        # A policy that an older ownit accepted: the engine refuses it (lint now would too).
        with engine.begin() as conn:
            conn.execute(
                update(t.escalation_policies)
                .where(t.escalation_policies.c.name == "soon-invalid")
                .values(spec={"levels": [{"after": "15s", "targets": [{"user": "alice"}]}]})
            )
            root = conn.execute(select(t.users.c.id).where(t.users.c.name == "root")).scalar_one()
        SqlAccountStore(engine).save_credentials(
            user_id=root, password_hash="!", org_role="admin", at=clock.now()
        )
        # No SMTP settings: e-mail has no notifier.
        settings = Settings(
            database_url=str(engine.url),
            events_rate_limit=0,
            outbound_allow=AllowList.parse("127.0.0.0/8"),  # the receivers are on loopback
        )
        work = build_worker(settings, engine, clock=clock)
        token = create_token(store=SqlTokenStore(engine), clock=clock, name="ops", role="admin")
        with TestClient(build_app(settings, engine, clock=clock)) as client:
            yield World(client, clock, work, hook, engine, token)
        work.stop()


CAUSES = [
    # service, paging, reason, words on the timeline
    ("no-policy", "nobody", "no-policy", "not paged: the service has no escalation policy"),
    ("invalid", "failed", "invalid-policy", "levels[0].after: must be at least 1m (got 15s)"),
    ("gap", "nobody", "nobody-on-call", "not paged: every level of the escalation policy is"),
    ("no-contact", "nobody", "no-contact", "not paged: the people paged have no contact methods"),
    ("broken", "failed", "all-contacts-failed", "not paged: every contact of the people paged"),
    ("mail-only", "failed", "no-notifier", "not paged: the contacts' channels have no notifier"),
    ("refused", "failed", "refused-address", "not paged: the address of every contact was refused"),
]


@pytest.mark.parametrize(("service", "paging", "reason", "words"), CAUSES)
def test_every_cause_is_visible_and_pages_the_fallback(
    world: World, service: str, paging: str, reason: str, words: str
) -> None:
    number = world.trigger(service)
    world.work.run_once()  # one worker cycle

    incident = world.incident(number)
    assert (incident["paging"], incident["paging_reason"]) == (paging, reason)
    listed = world.get("/api/v1/incidents")["incidents"]
    assert isinstance(listed, list)
    assert [(i["paging"], i["paging_reason"]) for i in listed if i["number"] == number] == [
        (paging, reason)
    ]
    timeline = world.timeline(number)
    assert any(kind == "not paged" and words in message for kind, message in timeline), timeline
    assert any(
        kind == "fallback" and "the owning team's managers" in message and "mgr (hook)" in message
        for kind, message in timeline
    )
    # The fallback page itself, delivered in the same cycle, with its own key.
    assert world.pages_to("mgr") == [("incident.fallback", f"{service} is down")]
    assert any(kind == "notified" and "mgr by webhook" in message for kind, message in timeline)
    metrics = world.client.get("/metrics").text
    assert f'ownit_paging_failures_total{{reason="{reason}"}} 1.0' in metrics

    world.work.run_once()  # nothing more: said once, paged once
    assert world.pages_to("mgr") == [("incident.fallback", f"{service} is down")]
    assert sum(1 for kind, _ in world.timeline(number) if kind == "not paged") == 1


def test_a_page_that_goes_out_is_ok_and_no_fallback(world: World) -> None:
    number = world.trigger("ok")
    world.work.run_once()
    assert (world.incident(number)["paging"], world.incident(number)["paging_reason"]) == (
        "ok",
        None,
    )
    assert world.pages_to("alice") == [("incident.triggered", "ok is down")]
    assert world.pages_to("mgr") == []
    assert all(kind not in ("not paged", "fallback") for kind, _ in world.timeline(number))


def test_a_team_without_managers_falls_back_to_the_admins(world: World) -> None:
    number = world.trigger("solo")
    world.work.run_once()
    assert world.incident(number)["paging"] == "nobody"
    assert world.pages_to("root") == [("incident.fallback", "solo is down")]
    assert any(
        kind == "fallback" and "the organisation's admins" in message
        for kind, message in world.timeline(number)
    )


def test_when_the_managers_fallback_fails_the_admins_are_paged(world: World) -> None:
    hook = {"name": "hook", "type": "webhook", "url": "http://127.0.0.1:1/x", "secret": SECRET}
    with world.engine.begin() as conn:  # the manager's only contact now fails too
        spec = {"email": "mgr@example.com", "contacts": [hook]}
        conn.execute(update(t.users).where(t.users.c.name == "mgr").values(spec=spec))
    number = world.trigger("broken")
    world.work.run_once()
    timeline = world.timeline(number)
    assert any(kind == "not paged" for kind, _ in timeline)
    assert world.pages_to("root") == [], "port 1 refuses connections: a temporary failure first"
    # The manager's page keeps failing (temporary: retried); give up after the retries.
    for _ in range(12):
        world.work.run_once()
        world.clock.advance(minutes=10)
    world.work.run_once()
    assert world.pages_to("root") == [("incident.fallback", "broken is down")]
    assert any(
        kind == "fallback" and "every fallback page to the managers failed" in message
        for kind, message in world.timeline(number)
    )


def test_an_acknowledged_incident_gets_no_fallback_page(world: World) -> None:
    number = world.trigger("no-policy")
    r = world.client.post(
        f"/api/v1/incidents/{number}/acknowledge",
        headers={"Authorization": f"Bearer {world.token}"},
    )
    assert r.status_code == 200, r.text
    world.work.run_once()
    assert world.pages_to("mgr") == []  # the fallback page was cancelled: someone is on it


def test_the_incident_page_and_list_show_not_paged(world: World) -> None:
    create_login(
        store=SqlAccountStore(world.engine),
        hasher=Argon2Hasher(),
        clock=world.clock,
        email="root@example.com",
        password=PASSWORD,
        org_role=OrgRole.ADMIN,
        replace=True,
    )
    number = world.trigger("gap")
    ok = world.trigger("ok")
    world.work.run_once()
    world.client.headers.pop("Authorization", None)
    assert login(world.client, "root@example.com", PASSWORD).status_code == 303
    page = world.client.get(f"/incidents/{number}").text
    assert 'id="not-paged"' in page
    assert "Not paged (nobody):</strong> every level of the escalation policy is empty" in page
    assert "fill the schedule gap" in page
    assert 'id="not-paged"' not in world.client.get(f"/incidents/{ok}").text
    listing = world.client.get("/incidents").text
    assert listing.count(">not paged</span>") == 1


def test_an_incident_split_off_a_service_without_policy_is_not_silent(world: World) -> None:
    first = world.trigger("no-policy")
    body = {
        "routing_key": KEYS["no-policy"],
        "event_action": "trigger",
        "dedup_key": "no-policy-2",
        "payload": {"summary": "db-2 is down", "source": "db-2", "severity": "critical"},
    }
    assert world.client.post("/v2/enqueue", json=body).status_code == 202
    auth = {"Authorization": f"Bearer {world.token}"}
    merged = world.client.post(
        f"/api/v1/incidents/{first}/merge", json={"incidents": [first + 1]}, headers=auth
    )
    assert merged.status_code == 200, merged.text
    world.work.run_once()
    alerts = world.incident(first)["alerts"]
    assert isinstance(alerts, list)
    second = next(a["id"] for a in alerts if a["dedup_key"] == "no-policy-2")
    split = world.client.post(
        f"/api/v1/incidents/{first}/split", json={"alerts": [second]}, headers=auth
    )
    assert split.status_code == 201, split.text
    new = split.json()["incident"]["number"]
    world.work.run_once()
    assert (world.incident(new)["paging"], world.incident(new)["paging_reason"]) == (
        "nobody",
        "no-policy",
    )
    assert world.pages_to("mgr")[-1] == ("incident.fallback", "db-2 is down")


def test_a_later_page_of_the_policy_puts_paging_back_to_ok(world: World) -> None:
    """Nobody on call: not paged, fallback. An override puts alice on call; the engine tries
    the level again after its ``after`` (5m), pages her, and the state is ok again."""
    number = world.trigger("gap")
    world.work.run_once()
    assert world.incident(number)["paging"] == "nobody"
    now = world.clock.now()
    override = world.client.post(
        "/api/v1/schedules/weekend/overrides",
        json={
            "user": "alice",
            "start": now.isoformat(),
            "end": (now + timedelta(hours=2)).isoformat(),
        },
        headers={"Authorization": f"Bearer {world.token}"},
    )
    assert override.status_code == 201, override.text
    world.clock.advance(minutes=4)
    world.work.run_once()
    assert world.pages_to("alice") == []  # not yet: the level is tried again after 5m
    world.clock.advance(minutes=1)
    world.work.run_once()
    assert world.pages_to("alice") == [("incident.triggered", "gap is down")]
    assert (world.incident(number)["paging"], world.incident(number)["paging_reason"]) == (
        "ok",
        None,
    )
    assert world.pages_to("mgr") == [("incident.fallback", "gap is down")]  # just the once
