"""Helpers for the web UI tests: logins, form tokens, events."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ownit.adapters.db.account_store import SqlAccountStore
from ownit.adapters.passwords import Argon2Hasher
from ownit.app.accounts import OrgRole, create_login
from tests.builders import FakeClock
from tests.integration import oncall_catalog
from tests.integration.conftest import PAY_KEY

PASSWORD = "correct horse battery"
ALICE = "alice@example.com"
BOB = "bob@example.com"

_TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


def setup_people(engine: Engine, clock: FakeClock) -> None:
    """The on-call catalog (alice, bob, carol, dave); alice is an admin, bob a member."""
    oncall_catalog.apply(engine)
    add_logins(engine, clock, {ALICE: OrgRole.ADMIN, BOB: OrgRole.MEMBER})


def add_logins(engine: Engine, clock: FakeClock, roles: Mapping[str, OrgRole]) -> None:
    """A login with :data:`PASSWORD` for each email (a person of the applied catalog)."""
    store = SqlAccountStore(engine)
    for email, role in roles.items():
        create_login(
            store=store,
            hasher=Argon2Hasher(),
            clock=clock,
            email=email,
            password=PASSWORD,
            org_role=role,
        )


def csrf_of(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def login(
    client: TestClient, email: str = ALICE, password: str = PASSWORD, next_url: str = ""
) -> Any:
    client.cookies.delete("ownit_session")  # signed in, /login would send us on
    page = client.get("/login", params={"next": next_url} if next_url else None)
    assert page.status_code == 200
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf": csrf_of(page.text), "next": next_url},
        follow_redirects=False,
    )


def page_token(client: TestClient, path: str = "/incidents") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return csrf_of(response.text)


def trigger(client: TestClient, dedup: str, summary: str | None = None, **details: Any) -> None:
    body = {
        "routing_key": PAY_KEY,
        "event_action": "trigger",
        "dedup_key": dedup,
        "payload": {
            "summary": summary or f"problem {dedup}",
            "source": "host-1",
            "severity": "critical",
            "custom_details": details,
        },
    }
    assert client.post("/v2/enqueue", json=body).status_code == 202
