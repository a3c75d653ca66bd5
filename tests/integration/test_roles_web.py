"""Roles × actions in the web UI, against a hand-written table (decision 0011); API tokens
and invitations through their pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from ownit.adapters.db import tables as t
from ownit.adapters.db.account_store import SqlAccountStore
from ownit.adapters.passwords import Argon2Hasher
from ownit.app.accounts import OrgRole, create_login
from tests.integration import oncall_catalog
from tests.integration.conftest import Ctx
from tests.integration.test_roles_api import ORG
from tests.integration.web_helpers import PASSWORD, csrf_of, login, page_token, trigger

GINA = """
---
apiVersion: ownit/v1
kind: User
metadata: {name: gina}
spec: {displayName: Gina, email: gina@example.com}
"""
ACTIONS = [
    "list incidents",
    "view incident",
    "on call",
    "add note",
    "acknowledge selected",
    "acknowledge",
    "resolve",
    "create override",
    "delete override",
    "create own API token",
    "revoke own API token",
    "see all API tokens",
    "invite user",
    "change org role",
]
# Y: allowed (2xx or a redirect after success), -: refused (403). Written by hand.
EXPECTED = {
    "alice": "YYYYYYYYYYYYYY",  # org admin
    "bob": "YYYYYYYYYYY---",  # manager of payments, the schedule's team
    "erin": "YYYYYYY--YY---",  # manager of search
    "carol": "YYYYYYY--YY---",  # responder in payments
    "dave": "YYY------YY---",  # observer only
    "frank": "YYYYYYY--YY---",  # member without a team
}


@pytest.fixture
def org(ctx: Ctx) -> Ctx:
    oncall_catalog.apply(ctx.engine, ORG + GINA)
    for name in EXPECTED:
        create_login(
            store=SqlAccountStore(ctx.engine),
            hasher=Argon2Hasher(),
            clock=ctx.clock,
            email=f"{name}@example.com",
            password=PASSWORD,
            org_role=OrgRole.ADMIN if name == "alice" else OrgRole.MEMBER,
        )
    return ctx


def _token_id(ctx: Ctx, name: str) -> int:
    with ctx.engine.connect() as conn:
        return int(
            conn.execute(select(t.api_tokens.c.id).where(t.api_tokens.c.name == name)).scalar_one()
        )


@pytest.mark.parametrize("who", list(EXPECTED))
def test_web_roles_matrix(org: Ctx, who: str) -> None:
    client = org.client
    trigger(client, "matrix")
    trigger(client, "matrix-2")
    body = {"user": "dave", "start": "2026-11-27T08:00Z", "end": "2026-11-27T09:00Z"}
    made = client.post("/api/v1/schedules/primary/overrides", json=body, headers=org.admin)
    override_id = made.json()["override"]["id"]
    assert login(client, f"{who}@example.com").status_code == 303
    csrf = page_token(client)
    override = {"user": "dave", "start": "2026-11-30T10:00", "end": "2026-11-30T11:00"}
    requests: dict[str, tuple[str, str, dict[str, str]]] = {
        "list incidents": ("GET", "/incidents", {}),
        "view incident": ("GET", "/incidents/1", {}),
        "on call": ("GET", "/oncall", {}),
        "add note": ("POST", "/incidents/1/notes", {"text": "looking"}),
        "acknowledge selected": ("POST", "/incidents/bulk-acknowledge", {"ids": "2"}),
        "acknowledge": ("POST", "/incidents/1/acknowledge", {}),
        "resolve": ("POST", "/incidents/1/resolve", {}),
        "create override": ("POST", "/schedules/primary/overrides", override),
        "delete override": ("POST", f"/schedules/primary/overrides/{override_id}/delete", {}),
        "create own API token": ("POST", "/me/tokens", {"name": "laptop"}),
        "revoke own API token": ("POST", "/me/tokens/{laptop}/revoke", {"confirm": "yes"}),
        "see all API tokens": ("GET", "/admin/tokens", {}),
        "invite user": ("POST", "/people/frank/invite", {}),
        "change org role": ("POST", "/people/carol/role", {"role": "member"}),
    }
    got = ""
    for action in ACTIONS:
        method, path, data = requests[action]
        if "{laptop}" in path:
            path = path.replace("{laptop}", str(_token_id(org, "laptop")))
        response = client.request(
            method,
            path,
            data=data | {"csrf": csrf} if method == "POST" else None,
            follow_redirects=False,
        )
        assert response.status_code in (200, 201, 303, 403), (action, response.text)
        got += "-" if response.status_code == 403 else "Y"
    assert dict(zip(ACTIONS, got, strict=True)) == dict(zip(ACTIONS, EXPECTED[who], strict=True))


@pytest.mark.parametrize(
    ("who", "controls"),
    [
        ("alice", {"respond": True, "manage": True, "people": True}),
        ("bob", {"respond": True, "manage": True, "people": False}),
        ("erin", {"respond": True, "manage": False, "people": False}),
        ("dave", {"respond": False, "manage": False, "people": False}),
    ],
)
def test_pages_show_only_the_controls_a_role_may_use(
    org: Ctx, who: str, controls: dict[str, bool]
) -> None:
    trigger(org.client, "controls")
    assert login(org.client, f"{who}@example.com").status_code == 303
    incident = org.client.get("/incidents/1").text
    assert (
        bool(re.search(r'action="/incidents/[^"]+/acknowledge"', incident)) is controls["respond"]
    )
    assert bool(re.search(r'action="/incidents/[^"]+/resolve"', incident)) is controls["respond"]
    assert bool(re.search(r'action="/incidents/[^"]+/notes"', incident)) is controls["respond"]
    schedule = org.client.get("/schedules/primary").text
    assert ('action="/schedules/primary/overrides"' in schedule) is controls["manage"]
    assert ('href="/people"' in incident) is controls["people"]
    assert 'href="/me/tokens"' in incident


def _new_token(html: str) -> str:
    found = re.search(r'value="(ownit_[^"]+)" aria-label="Your new API token"', html)
    assert found, html
    return found.group(1)


def test_a_token_made_in_the_ui_acts_as_its_maker_until_revoked(org: Ctx) -> None:
    trigger(org.client, "tokens")
    assert login(org.client, "bob@example.com").status_code == 303
    csrf = page_token(org.client, "/me/tokens")
    empty = org.client.post("/me/tokens", data={"csrf": csrf, "name": "  "})
    assert empty.status_code == 400
    assert 'id="name-error">a token needs a name of 1 to 100 characters' in empty.text
    made = org.client.post("/me/tokens", data={"csrf": csrf, "name": "laptop"})
    assert made.status_code == 201
    assert made.headers["cache-control"] == "no-store"
    token = _new_token(made.text)
    ro = _new_token(
        org.client.post("/me/tokens", data={"csrf": csrf, "name": "ro", "read_only": "yes"}).text
    )
    listing = org.client.get("/me/tokens").text
    assert token not in listing
    assert "read-only" in listing
    assert "acts as bob" in listing
    bearer = {"Authorization": f"Bearer {token}"}
    body = {"user": "dave", "start": "2026-11-27T08:00Z", "end": "2026-11-27T09:00Z"}
    ok = org.client.post("/api/v1/schedules/primary/overrides", json=body, headers=bearer)
    assert ok.status_code == 201
    assert ok.json()["override"]["created_by"] == "bob"
    read_only = {"Authorization": f"Bearer {ro}"}
    assert org.client.get("/api/v1/incidents", headers=read_only).status_code == 200
    no = org.client.post("/api/v1/incidents/1/acknowledge", headers=read_only)
    assert no.status_code == 403
    assert "bob's read-only token 'ro'" in no.json()["detail"]
    laptop = _token_id(org, "laptop")
    unconfirmed = org.client.post(f"/me/tokens/{laptop}/revoke", data={"csrf": csrf})
    assert unconfirmed.status_code == 400
    assert f'id="confirm-{laptop}-error"' in unconfirmed.text
    assert org.client.get("/api/v1/incidents", headers=bearer).status_code == 200
    # someone else's token cannot be revoked from /me/tokens
    assert login(org.client, "carol@example.com").status_code == 303
    carol_csrf = page_token(org.client, "/me/tokens")
    theirs = org.client.post(
        f"/me/tokens/{laptop}/revoke", data={"csrf": carol_csrf, "confirm": "yes"}
    )
    assert theirs.status_code == 404
    assert org.client.get("/api/v1/incidents", headers=bearer).status_code == 200
    # an admin sees every token and may revoke it
    assert login(org.client, "alice@example.com").status_code == 303
    everyone = org.client.get("/admin/tokens")
    assert everyone.status_code == 200
    assert "laptop" in everyone.text
    assert "t-admin" in everyone.text
    gone = org.client.post(
        f"/admin/tokens/{laptop}/revoke",
        data={"csrf": csrf_of(everyone.text), "confirm": "yes"},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    assert org.client.get("/api/v1/incidents", headers=bearer).status_code == 401


def _invite_link(html: str) -> str:
    found = re.search(r'value="https?://[^"]+(/invite/[^"]+)"', html)
    assert found, html
    return found.group(1)


def test_an_invitation_sets_a_password_once_and_signs_in(org: Ctx) -> None:
    assert login(org.client, "alice@example.com").status_code == 303
    people = org.client.get("/people")
    assert people.status_code == 200
    assert "Gina" in people.text
    invited = org.client.post(
        "/people/gina/invite", data={"csrf": csrf_of(people.text)}, follow_redirects=False
    )
    assert invited.status_code == 201
    path = _invite_link(invited.text)
    token = path.rsplit("/", 1)[1]
    with org.engine.connect() as conn:
        stored = conn.execute(select(t.user_credentials.c.invite_hash)).scalars().all()
    assert token not in stored
    assert "invited (expires" in org.client.get("/people").text
    org.client.cookies.clear()
    page = org.client.get(path)
    assert page.status_code == 200
    assert "Welcome, Gina" in page.text
    forged = org.client.post(path, data={"password": PASSWORD, "password_again": PASSWORD})
    assert forged.status_code == 403  # no form cookie: nothing is set
    form = {"csrf": csrf_of(org.client.get(path).text)}
    short = org.client.post(path, data=form | {"password": "short", "password_again": "short"})
    assert short.status_code == 400
    assert 'id="password-error">use at least 12 characters' in short.text
    form = {"csrf": csrf_of(short.text)}  # each page of the form carries a fresh token
    differ = org.client.post(
        path, data=form | {"password": PASSWORD, "password_again": PASSWORD + "!"}
    )
    assert 'id="password_again-error">the two passwords differ' in differ.text
    form = {"csrf": csrf_of(differ.text)}
    done = org.client.post(
        path, data=form | {"password": PASSWORD, "password_again": PASSWORD}, follow_redirects=False
    )
    assert done.status_code == 303
    assert org.client.get("/incidents").status_code == 200
    used = org.client.get(path)
    assert used.status_code == 410
    assert "has been used already" in used.text
    org.client.cookies.clear()
    assert login(org.client, "gina@example.com").status_code == 303


def test_an_expired_invitation_is_refused(org: Ctx) -> None:
    assert login(org.client, "alice@example.com").status_code == 303
    people = org.client.get("/people")
    invited = org.client.post("/people/frank/invite", data={"csrf": csrf_of(people.text)})
    path = _invite_link(invited.text)
    org.clock.advance(seconds=7 * 24 * 3600 + 1)
    org.client.cookies.clear()
    expired = org.client.get(path)
    assert expired.status_code == 410
    assert "expired" in expired.text


def test_the_last_admin_cannot_be_demoted(org: Ctx) -> None:
    assert login(org.client, "alice@example.com").status_code == 303
    csrf = page_token(org.client, "/people")
    refused = org.client.post("/people/alice/role", data={"csrf": csrf, "role": "member"})
    assert refused.status_code == 400
    assert 'id="role-alice-error">the organisation needs at least one admin' in refused.text
    bad = org.client.post("/people/bob/role", data={"csrf": csrf, "role": "owner"})
    assert "&#39;owner&#39; is not one of admin, member" in bad.text
    promoted = org.client.post(
        "/people/bob/role", data={"csrf": csrf, "role": "admin"}, follow_redirects=False
    )
    assert promoted.status_code == 303
    demoted = org.client.post(
        "/people/alice/role", data={"csrf": csrf, "role": "member"}, follow_redirects=False
    )
    assert demoted.status_code == 303
    assert org.client.get("/people").status_code == 403
