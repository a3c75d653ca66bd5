"""Roles × actions over the REST API, against a hand-written table (decision 0011).

Personal tokens act as their user (org role + team roles); a read-only one only reads;
tokens made for nobody keep their role's meaning.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from ownit.adapters.db import tables as t
from ownit.adapters.db.account_store import SqlAccountStore
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.app.tokens import create_token
from tests.integration import oncall_catalog
from tests.integration.conftest import Ctx
from tests.integration.web_helpers import trigger

MEMBERS = "spec: {members: [{user: alice}, {user: bob}, {user: carol}, {user: dave}]}"
ROLES = (
    "spec: {members: [{user: alice}, {user: bob, role: manager}, {user: carol, role: responder},"
    " {user: dave, role: observer}]}"
)
EXTRA = """
---
apiVersion: ownit/v1
kind: User
metadata: {name: erin}
spec: {email: erin@example.com}
---
apiVersion: ownit/v1
kind: User
metadata: {name: frank}
spec: {email: frank@example.com}
---
apiVersion: ownit/v1
kind: Team
metadata: {name: search}
spec: {members: [{user: erin, role: manager}]}
"""
ORG = oncall_catalog.ORG.replace(MEMBERS, ROLES) + EXTRA

ACTIONS = [
    "list incidents",
    "view incident",
    "on call",
    "add note",
    "acknowledge",
    "resolve",
    "create override",
    "delete override",
    "rotate integration key",
]
# Y: allowed (2xx), -: refused (403). Written by hand, not computed from the rule book.
EXPECTED = {
    "org admin (alice)": "YYYYYYYYY",
    "manager of the schedule's team (bob)": "YYYYYYYY-",
    "manager of another team (erin)": "YYYYYY---",
    "team responder (carol)": "YYYYYY---",
    "observer only (dave)": "YYY------",
    "member without a team (frank)": "YYYYYY---",
    "admin's read-only token": "YYY------",
    "viewer token": "YYY------",
    "responder token": "YYYYYY---",
    "admin token": "YYYYYYYYY",
}
PERSONAL = {
    "org admin (alice)": ("alice", "admin", "responder"),
    "manager of the schedule's team (bob)": ("bob", "member", "responder"),
    "manager of another team (erin)": ("erin", "member", "responder"),
    "team responder (carol)": ("carol", "member", "responder"),
    "observer only (dave)": ("dave", "member", "responder"),
    "member without a team (frank)": ("frank", "member", "responder"),
    "admin's read-only token": ("alice", "admin", "viewer"),
}


def _bearer(ctx: Ctx, who: str) -> dict[str, str]:
    if who in PERSONAL:
        user, org_role, role = PERSONAL[who]
        with ctx.engine.connect() as conn:
            user_id = conn.execute(select(t.users.c.id).where(t.users.c.name == user)).scalar_one()
        SqlAccountStore(ctx.engine).save_credentials(
            user_id=user_id, password_hash="!", org_role=org_role, at=ctx.clock.now()
        )
        token = create_token(
            store=SqlTokenStore(ctx.engine),
            clock=ctx.clock,
            name="mine",
            role=role,
            user_id=user_id,
        )
        return {"Authorization": f"Bearer {token}"}
    return {"viewer token": ctx.viewer, "responder token": ctx.responder}.get(who, ctx.admin)


@pytest.mark.parametrize("who", list(EXPECTED))
def test_api_roles_matrix(ctx: Ctx, who: str) -> None:
    oncall_catalog.apply(ctx.engine, ORG)
    trigger(ctx.client, "matrix")
    override = {"user": "dave", "start": "2026-11-27T08:00Z", "end": "2026-11-27T09:00Z"}
    made = ctx.client.post("/api/v1/schedules/primary/overrides", json=override, headers=ctx.admin)
    assert made.status_code == 201, made.text
    listed = ctx.client.get("/api/v1/integrations", headers=ctx.admin).json()["integrations"]
    key_id = listed[0]["id"]
    headers = _bearer(ctx, who)
    requests: dict[str, tuple[str, str, Any]] = {
        "list incidents": ("GET", "/api/v1/incidents", None),
        "view incident": ("GET", "/api/v1/incidents/1", None),
        "on call": ("GET", "/api/v1/oncall", None),
        "add note": ("POST", "/api/v1/incidents/1/notes", {"text": "looking"}),
        "acknowledge": ("POST", "/api/v1/incidents/1/acknowledge", None),
        "resolve": ("POST", "/api/v1/incidents/1/resolve", None),
        "create override": ("POST", "/api/v1/schedules/primary/overrides", override),
        "delete override": (
            "DELETE",
            f"/api/v1/schedules/primary/overrides/{made.json()['override']['id']}",
            None,
        ),
        "rotate integration key": ("POST", f"/api/v1/integrations/{key_id}/rotate", None),
    }
    got = ""
    for action in ACTIONS:
        method, path, body = requests[action]
        response = ctx.client.request(method, path, headers=headers, json=body)
        assert response.status_code < 300 or response.status_code == 403, (action, response.text)
        got += "Y" if response.status_code < 300 else "-"
        if response.status_code == 403:
            assert response.json()["detail"].endswith(")") or "needs" in response.json()["detail"]
    assert dict(zip(ACTIONS, got, strict=True)) == dict(zip(ACTIONS, EXPECTED[who], strict=True))


def test_a_refused_override_names_the_team_and_role(ctx: Ctx) -> None:
    oncall_catalog.apply(ctx.engine, ORG)
    body = {"user": "dave", "start": "2026-11-27T08:00Z", "end": "2026-11-27T09:00Z"}
    response = ctx.client.post(
        "/api/v1/schedules/primary/overrides",
        json=body,
        headers=_bearer(ctx, "manager of another team (erin)"),
    )
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "erin's token 'mine' cannot do this; it needs the manager role in team 'payments' "
        "(or admin)"
    )
    weekend = ctx.client.post(
        "/api/v1/schedules/weekend/overrides",
        json=body,
        headers=_bearer(ctx, "team responder (carol)"),
    )
    assert weekend.status_code == 403
    assert weekend.json()["detail"].endswith("it needs the admin role")


def test_a_personal_token_writes_as_its_user_and_dies_with_the_login(ctx: Ctx) -> None:
    oncall_catalog.apply(ctx.engine, ORG)
    trigger(ctx.client, "mine")
    headers = _bearer(ctx, "team responder (carol)")
    note = ctx.client.post("/api/v1/incidents/1/notes", json={"text": "on it"}, headers=headers)
    assert note.status_code == 201, note.text
    timeline = ctx.client.get("/api/v1/incidents/1/timeline", headers=headers).text
    assert '"carol"' in timeline
    with ctx.engine.begin() as conn:
        conn.execute(t.user_credentials.delete())
    assert ctx.client.get("/api/v1/incidents", headers=headers).status_code == 401
