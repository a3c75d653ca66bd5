"""The organisation's settings through the API (``/api/v1/settings``) and the admin page
(``/admin/settings``): admins only, CSRF on the form, each change an audit-log row with its
actor (finding 13, decision 0031)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from ownit.adapters.db import tables as t
from ownit.adapters.db.org_settings_store import SqlOrgSettings
from tests.integration.conftest import Ctx
from tests.integration.web_helpers import BOB, csrf_of, login, setup_people


def _audit(ctx: Ctx) -> list[tuple[str, Any, Any]]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            select(t.audit_log).where(t.audit_log.c.kind == "settings").order_by(t.audit_log.c.id)
        ).all()
    return [(row.actor, row.before, row.after) for row in rows]


@pytest.mark.parametrize(
    ("who", "method", "body", "status", "answer"),
    [
        ("admin", "GET", None, 200, {"responding": "anyone"}),
        ("admin", "PUT", {"responding": "team"}, 200, {"responding": "team"}),
        ("responder", "GET", None, 403, None),
        ("responder", "PUT", {"responding": "team"}, 403, None),
        ("viewer", "PUT", {"responding": "team"}, 403, None),
        (None, "GET", None, 401, None),
        (None, "PUT", {"responding": "team"}, 401, None),
    ],
)
def test_settings_api_is_for_admins(
    ctx: Ctx, who: str | None, method: str, body: Any, status: int, answer: Any
) -> None:
    headers = getattr(ctx, who) if who else {}
    r = ctx.client.request(method, "/api/v1/settings", json=body, headers=headers)
    assert r.status_code == status, r.text
    if answer is not None:
        assert {k: v for k, v in r.json().items() if k != "was"} == answer
    changed = status == 200 and method == "PUT"
    assert SqlOrgSettings(ctx.engine).responding() == ("team" if changed else "anyone")
    assert _audit(ctx) == (
        [("token/t-admin", {"responding": "anyone"}, {"responding": "team"})] if changed else []
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"responding": "teams"}, "responding"),
        ({"responding": 3}, "responding"),
        ({}, "responding"),
        ({"responding": "team", "colour": "red"}, "colour"),  # no field without an effect
    ],
)
def test_a_bad_setting_names_the_field_and_changes_nothing(
    ctx: Ctx, body: dict[str, Any], field: str
) -> None:
    r = ctx.client.put("/api/v1/settings", json=body, headers=ctx.admin)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert field in [e["field"].split(".")[-1] for e in r.json()["errors"]]
    assert SqlOrgSettings(ctx.engine).responding() == "anyone"
    assert _audit(ctx) == []


def test_setting_the_same_value_again_is_no_change(ctx: Ctx) -> None:
    for _ in range(2):
        r = ctx.client.put("/api/v1/settings", json={"responding": "team"}, headers=ctx.admin)
        assert r.status_code == 200
    assert r.json()["was"] == {"responding": "team"}
    assert len(_audit(ctx)) == 1


@pytest.mark.parametrize(
    ("email", "csrf", "value", "status", "stored"),
    [
        ("alice@example.com", True, "team", 303, "team"),  # an admin
        ("alice@example.com", False, "team", 403, "anyone"),  # no CSRF token
        ("alice@example.com", True, "nobody", 400, "anyone"),  # not a choice
        (BOB, True, "team", 403, "anyone"),  # a member, not an admin
    ],
)
def test_settings_page(
    ctx: Ctx, email: str, csrf: bool, value: str, status: int, stored: str
) -> None:
    setup_people(ctx.engine, ctx.clock)
    assert login(ctx.client, email).status_code == 303
    page = ctx.client.get("/admin/settings")
    admin = email != BOB
    assert page.status_code == (200 if admin else 403)
    if admin:
        assert 'value="anyone" checked' in page.text
        token = csrf_of(page.text)
    else:
        token = csrf_of(ctx.client.get("/incidents").text)
    form = {"responding": value} | ({"csrf": token} if csrf else {})
    r = ctx.client.post("/admin/settings", data=form, follow_redirects=False)
    assert r.status_code == status, r.text
    assert SqlOrgSettings(ctx.engine).responding() == stored
    if status == 303:
        assert r.headers["location"] == "/admin/settings?changed=1"
        again = ctx.client.get(r.headers["location"])
        assert 'value="team" checked' in again.text
        assert "settings are saved" in again.text
        assert _audit(ctx) == [("alice", {"responding": "anyone"}, {"responding": "team"})]
    else:
        assert _audit(ctx) == []
    if status == 400:
        assert "must be one of anyone, team" in r.text
