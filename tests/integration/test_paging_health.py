"""``ownit doctor``, ``GET /api/v1/health/paging`` and the admins' page: everything that would
stop a page now or within 7 days, on both databases."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from ownit.adapters.catalog.yaml_source import load_text
from ownit.adapters.db import tables as t
from ownit.adapters.db.account_store import SqlAccountStore
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.adapters.passwords import Argon2Hasher
from ownit.app import catalog
from ownit.app.accounts import OrgRole, create_login
from ownit.app.tokens import create_token
from ownit.bootstrap import build_app
from ownit.cli.main import main
from ownit.settings import Settings
from tests.builders import FakeClock
from tests.integration.web_helpers import PASSWORD, login

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

HEALTHY = f"""
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec:
  email: alice@example.com
  contacts: [{{name: hook, type: webhook, url: "https://hooks.example.com/a", secret: {SECRET}}}]
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: payments}}
spec: {{members: [{{user: alice, role: manager}}]}}
---
apiVersion: ownit/v1
kind: Schedule
metadata: {{name: always}}
spec:
  timezone: UTC
  layers: [{{name: all, start: "2026-01-05T09:00:00", rotation: 1w, users: [alice]}}]
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{name: payments}}
spec:
  levels: [{{after: 5m, targets: [{{schedule: always}}]}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: checkout}}
spec: {{owner: payments, escalationPolicy: payments}}
"""

BROKEN = """
---
apiVersion: ownit/v1
kind: User
metadata: {name: ghost}
spec: {email: ghost@example.com}
---
apiVersion: ownit/v1
kind: User
metadata: {name: mailer}
spec:
  email: mailer@example.com
  contacts: [{name: mail, type: email, address: mailer@example.com}]
---
apiVersion: ownit/v1
kind: Schedule
metadata: {name: weekdays}
spec:
  timezone: UTC
  layers:
    - name: office
      start: "2026-01-05T09:00:00"
      rotation: 1w
      users: [ghost]
      restrictions: [{days: [mon, tue, wed, thu, fri], from: "09:00", to: "17:00"}]
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {name: office-hours}
spec:
  levels:
    - {after: 5m, targets: [{schedule: weekdays}]}
    - {after: 5m, targets: [{user: mailer}]}
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {name: soon-invalid}
spec:
  levels: [{after: 5m, targets: [{user: alice}]}]
---
apiVersion: ownit/v1
kind: Service
metadata: {name: lonely}
spec: {owner: payments}
---
apiVersion: ownit/v1
kind: Service
metadata: {name: office}
spec: {owner: payments, escalationPolicy: office-hours}
---
apiVersion: ownit/v1
kind: Service
metadata: {name: invalid}
spec: {owner: payments, escalationPolicy: soon-invalid}
"""


def apply(engine: Engine, text: str, clock: FakeClock) -> None:
    loaded = load_text(text, "catalog.yaml")
    catalog.apply(store=SqlCatalogStore(engine), documents=loaded.documents, clock=clock)


def break_things(engine: Engine, clock: FakeClock) -> None:
    apply(engine, HEALTHY + BROKEN, clock)
    with engine.begin() as conn:
        # A policy an older ownit accepted (lint now refuses it).
        conn.execute(
            update(t.escalation_policies)
            .where(t.escalation_policies.c.name == "soon-invalid")
            .values(spec={"levels": [{"after": "15s", "targets": [{"user": "alice"}]}]})
        )
        # alice's last delivery failed.
        service = conn.execute(
            select(t.services.c.id).where(t.services.c.name == "checkout")
        ).scalar_one()
        conn.execute(
            t.incidents.insert().values(
                id="inc_x",
                org_id=1,
                number=1,
                title="x",
                status="resolved",
                urgency="high",
                severity="critical",
                service_id=service,
                dedup_key="x",
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )
        conn.execute(
            t.notifications.insert().values(
                incident_id="inc_x",
                user_name="alice",
                contact="hook",
                channel="webhook",
                event_type="incident.triggered",
                idempotency_key="k1",
                status="failed",
                due_at=clock.now(),
                attempts=1,
                last_error="webhook https://hooks.example.com/a answered 410",
                created_at=clock.now(),
            )
        )


@pytest.fixture
def env(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("OWNIT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    for name in [n for n in os.environ if n.startswith("OWNIT_SMTP")]:
        monkeypatch.delenv(name)
    return engine


def doctor(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["doctor", *argv])
    return code, capsys.readouterr().out


def test_a_healthy_catalog_passes(env: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    apply(env, HEALTHY, FakeClock())
    code, out = doctor(capsys)
    assert (code, out) == (0, "ok: nothing would stop a page now or within 7 days\n")
    code, out = doctor(capsys, "--format", "json")
    assert code == 0
    assert json.loads(out)["problems"] == []


EXPECTED = [
    ("no-policy", "service lonely", "has no escalation policy"),
    ("nobody-on-call", "service office", "level 1 of escalation policy office-hours reaches"),
    ("invalid-policy", "service invalid", "levels[0].after: must be at least 1m (got 15s)"),
    ("no-contact", "user ghost", "would be paged but has no contact method"),
    ("no-notifier", "channel email", "contacts of mailer use it, but email needs SMTP"),
    ("contact-failing", "user alice", "the last delivery to contact hook failed"),
]


def test_every_problem_is_found_and_exits_1(
    env: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    break_things(env, FakeClock())
    code, out = doctor(capsys, "--format", "json")
    assert code == 1
    found = json.loads(out)
    assert found["ok"] is False
    assert found["horizon"] == "1w"
    got = [(p["check"], p["subject"], p["message"]) for p in found["problems"]]
    assert len(got) == len(EXPECTED)
    for check, subject, words in EXPECTED:
        assert any(c == check and s == subject and words in m for c, s, m in got), (check, got)
    assert all(p["fix"] for p in found["problems"])
    code, out = doctor(capsys)
    assert code == 1
    assert "no-policy: service lonely: has no escalation policy\n  to fix: give the service" in out
    assert out.endswith("6 problem(s) would stop a page\n")


def test_the_gap_is_found_before_it_happens(
    env: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """T0 is a Thursday at noon, inside office hours: the gap starts at 17:00 today."""
    break_things(env, FakeClock())
    settings = Settings(database_url=str(env.url))
    clock = FakeClock()
    with TestClient(build_app(settings, env, clock=clock)) as client:
        token = create_token(store=SqlTokenStore(env), clock=clock, name="mon", role="viewer")
        body = client.get(
            "/api/v1/health/paging", headers={"Authorization": f"Bearer {token}"}
        ).json()
    [gap] = [p for p in body["problems"] if p["check"] == "nobody-on-call"]
    start = (clock.now().replace(hour=17)).isoformat()
    assert f"reaches nobody from {start} until " in gap["message"]
    assert "more gap(s) within 1w" in gap["message"]
    assert clock.now().replace(hour=17) - clock.now() == timedelta(hours=5)


def test_the_api_needs_a_token_and_admins_see_the_page(env: Engine) -> None:
    clock = FakeClock()
    break_things(env, clock)
    store = SqlAccountStore(env)
    create_login(
        store=store,
        hasher=Argon2Hasher(),
        clock=clock,
        email="alice@example.com",
        password=PASSWORD,
        org_role=OrgRole.ADMIN,
    )
    settings = Settings(database_url=str(env.url))
    with TestClient(build_app(settings, env, clock=clock)) as client:
        assert client.get("/api/v1/health/paging").status_code == 401
        assert login(client, "alice@example.com", PASSWORD).status_code == 303
        page = client.get("/admin/paging")
        assert page.status_code == 200
        assert 'id="paging-problems"' in page.text
        assert "6 problem(s) would stop a page." in page.text
        assert 'href="/admin/paging"' in page.text
