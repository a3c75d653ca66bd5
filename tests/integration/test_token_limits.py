"""API tokens that expire and tokens limited to scopes (decision 0031)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from ownit.adapters.db import tables as t
from ownit.adapters.db.account_store import SqlAccountStore
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.adapters.http.auth import scope_of
from ownit.adapters.passwords import Argon2Hasher
from ownit.app.accounts import OrgRole, create_login
from ownit.app.tokens import InvalidToken, create_token
from ownit.cli.main import main
from tests.integration import oncall_catalog
from tests.integration.conftest import Ctx
from tests.integration.web_helpers import PASSWORD, login, page_token, trigger

OVERRIDE = {"user": "dave", "start": "2026-11-27T08:00Z", "end": "2026-11-27T09:00Z"}
WINDOW = {"services": ["checkout-api"], "duration": "1h"}
REQUESTS: dict[str, tuple[str, str, Any]] = {
    "list": ("GET", "/api/v1/incidents", None),
    "note": ("POST", "/api/v1/incidents/1/notes", {"text": "x"}),
    "override": ("POST", "/api/v1/schedules/primary/overrides", OVERRIDE),
    "window": ("POST", "/api/v1/maintenance-windows", WINDOW),
    "rotate": ("POST", "/api/v1/integrations/{integration}/rotate", None),
}
# Y: allowed, -: 403, for an admin token limited to these scopes.
EXPECTED = {
    None: "YYYYY",
    "read": "Y----",
    "incidents": "-Y---",
    "read,incidents": "YY---",
    "schedules": "--Y--",
    "maintenance": "---Y-",
    "admin": "----Y",
}


@pytest.mark.parametrize("scopes", list(EXPECTED))
def test_a_token_does_only_what_its_scopes_allow(ctx: Ctx, scopes: str | None) -> None:
    oncall_catalog.apply(ctx.engine)
    trigger(ctx.client, "scopes")
    token = create_token(
        store=SqlTokenStore(ctx.engine), clock=ctx.clock, name="s", role="admin", scopes=scopes
    )
    with ctx.engine.connect() as conn:
        integration = conn.execute(select(t.integrations.c.id)).scalars().first()
    got = ""
    for method, path, body in REQUESTS.values():
        response = ctx.client.request(
            method,
            path.format(integration=integration),
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code < 300 or response.status_code == 403, response.text
        got += "Y" if response.status_code < 300 else "-"
        if response.status_code == 403:
            assert "scope" in response.json()["detail"]
    assert got == EXPECTED[scopes]


def test_a_token_stops_working_when_it_expires(ctx: Ctx) -> None:
    token = create_token(
        store=SqlTokenStore(ctx.engine),
        clock=ctx.clock,
        name="short",
        role="viewer",
        lifetime=timedelta(hours=1),
    )
    headers = {"Authorization": f"Bearer {token}"}
    assert ctx.client.get("/api/v1/incidents", headers=headers).status_code == 200
    ctx.clock.advance(minutes=59)
    assert ctx.client.get("/api/v1/incidents", headers=headers).status_code == 200
    ctx.clock.advance(minutes=1)
    gone = ctx.client.get("/api/v1/incidents", headers=headers)
    assert gone.status_code == 401


@pytest.mark.parametrize(
    ("lifetime", "scopes", "problem"),
    [
        (timedelta(0), None, "lifetime"),
        (timedelta(days=4000), None, "lifetime"),
        (None, "read,everything", "scope 'everything' is not one of"),
    ],
)
def test_bad_limits_are_refused(
    ctx: Ctx, lifetime: timedelta | None, scopes: str | None, problem: str
) -> None:
    with pytest.raises(InvalidToken, match=problem):
        create_token(
            store=SqlTokenStore(ctx.engine),
            clock=ctx.clock,
            name="x",
            role="viewer",
            lifetime=lifetime,
            scopes=scopes,
        )


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("GET", "/api/v1/audit", "read"),
        ("HEAD", "/api/v1/incidents", "read"),
        ("POST", "/api/v1/incidents/1/acknowledge", "incidents"),
        ("POST", "/api/v1/schedules/primary/overrides", "schedules"),
        ("DELETE", "/api/v1/schedules/primary/overrides/3", "schedules"),
        ("POST", "/api/v1/users/alice/calendar-token", "schedules"),
        ("DELETE", "/api/v1/maintenance-windows/2", "maintenance"),
        ("POST", "/api/v1/integrations/1/rotate", "admin"),
        ("POST", "/api/v1/something-new", "admin"),
        ("POST", "/api/v1/services/checkout-api/test-event", "incidents"),  # it opens one
        ("POST", "/api/v1/services/checkout-api/other", "admin"),
        ("POST", "/api/v1/services/a/b/test-event", "admin"),
    ],
)
def test_the_scope_a_request_needs(method: str, path: str, scope: str) -> None:
    assert scope_of(method, path) == scope


def test_the_cli_makes_and_lists_limited_tokens(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OWNIT_DATABASE_URL", database_url)
    assert main(["token", "create", "--name", "ci", "--expires", "30d", "--scopes", "read"]) == 0
    assert "scopes read, expires in 30d" in capsys.readouterr().out
    assert main(["token", "list"]) == 0
    header, _, row = capsys.readouterr().out.splitlines()
    assert header.split() == ["ID", "NAME", "ROLE", "SCOPES", "CREATED", "EXPIRES", "REVOKED"]
    assert row.split()[:4] == ["1", "ci", "responder", "read"]
    assert main(["token", "create", "--name", "x", "--scopes", "write"]) == 2
    assert "scope 'write' is not one of" in capsys.readouterr().err
    assert main(["token", "create", "--name", "x", "--expires", "soon"]) == 2
    assert "--expires" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("choice", "days"), [(None, 90), ("30 days", 30), ("1 year", 365), ("never", None)]
)
def test_a_token_made_on_the_web_expires_as_chosen(
    ctx: Ctx, choice: str | None, days: int | None
) -> None:
    oncall_catalog.apply(ctx.engine)
    create_login(
        store=SqlAccountStore(ctx.engine),
        hasher=Argon2Hasher(),
        clock=ctx.clock,
        email="bob@example.com",
        password=PASSWORD,
        org_role=OrgRole.MEMBER,
    )
    assert login(ctx.client, "bob@example.com").status_code == 303
    form = {"csrf": page_token(ctx.client, "/me/tokens"), "name": "laptop"}
    if choice is not None:
        form["expires"] = choice
    assert ctx.client.post("/me/tokens", data=form).status_code == 201
    with ctx.engine.connect() as conn:
        expires = conn.execute(
            select(t.api_tokens.c.expires_at).where(t.api_tokens.c.name == "laptop")
        ).scalar_one()
    assert expires == (ctx.clock.now() + timedelta(days=days) if days else None)
    form["expires"] = "forever"
    refused = ctx.client.post("/me/tokens", data=form)
    assert refused.status_code == 400
    assert 'id="expires-error">choose one of 30 days, 90 days, 1 year, never' in refused.text
