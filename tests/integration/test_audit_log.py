"""The audit log: every change by a person or token leaves one entry, written with the change,
append-only; ``GET /api/v1/audit`` filters and pages for admins only; ``ownit audit list``."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import DBAPIError

from ownit.adapters.db import tables as t
from ownit.adapters.db.account_store import SqlAccountStore
from ownit.adapters.db.audit_log import SqlAuditLog, record, redact
from ownit.adapters.db.people_store import SqlPeopleStore
from ownit.adapters.db.personal_store import SqlPersonalStore
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.adapters.passwords import Argon2Hasher
from ownit.app import audit
from ownit.app.accounts import OrgRole, create_login
from ownit.app.audit import AuditFilter
from ownit.cli.main import main
from ownit.domain.catalog import Contact
from tests.builders import T0
from tests.integration import oncall_catalog
from tests.integration.conftest import Ctx
from tests.integration.web_helpers import PASSWORD, add_logins, login, page_token, trigger

OVERRIDE = {"user": "dave", "start": "2026-11-27T08:00Z", "end": "2026-11-27T09:00Z"}
WINDOW = {
    "name": "db-upgrade",
    "services": ["checkout-api"],
    "start": "2026-12-01T10:00Z",
    "end": "2026-12-01T11:00Z",
}


def _entries(engine: Engine) -> list[dict[str, Any]]:
    return SqlAuditLog(engine).entries(AuditFilter(limit=1000))


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.audit_log)).scalar_one())


def _override_id(ctx: Ctx) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.max(t.schedule_overrides.c.id))).scalar_one())


def _window_id(ctx: Ctx) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.max(t.maintenance_windows.c.id))).scalar_one())


def _integration_id(ctx: Ctx) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.min(t.integrations.c.id))).scalar_one())


# (request, then the one entry it leaves: kind, name, action, before, after)
API_CHANGES: list[tuple[str, Any, tuple[str, str, str, Any, Any]]] = [
    (
        "POST /api/v1/incidents/1/notes",
        {"text": "looking"},
        ("incident", "#1", "noted", None, {"note": "looking"}),
    ),
    (
        "POST /api/v1/incidents/1/reassign",
        {"users": ["bob"]},
        ("incident", "#1", "reassigned", None, {"users": ["bob"]}),
    ),
    (
        "POST /api/v1/incidents/1/escalate",
        {"level": 1},
        ("incident", "#1", "escalated", None, {"level": 1}),
    ),
    (
        "POST /api/v1/incidents/1/acknowledge",
        None,
        ("incident", "#1", "acknowledged", {"status": "triggered"}, {"status": "acknowledged"}),
    ),
    (
        "POST /api/v1/incidents/1/resolve",
        None,
        ("incident", "#1", "resolved", {"status": "acknowledged"}, {"status": "resolved"}),
    ),
    (
        "POST /api/v1/schedules/primary/overrides",
        OVERRIDE,
        ("override", "primary/1", "created", None, {
            "user": "dave", "start": "2026-11-27T08:00:00+00:00", "end": "2026-11-27T09:00:00+00:00"
        }),
    ),
    (
        "DELETE /api/v1/schedules/primary/overrides/{override}",
        None,
        ("override", "primary/1", "deleted", {
            "user": "dave", "start": "2026-11-27T08:00:00+00:00", "end": "2026-11-27T09:00:00+00:00"
        }, None),
    ),
    (
        "POST /api/v1/integrations/{integration}/rotate",
        None,
        ("integration", "checkout-api/events", "key-rotated", {"key": "(secret)"}, {
            "key": "(secret)"
        }),
    ),
    (
        "POST /api/v1/maintenance-windows",
        WINDOW,
        ("maintenance", "db-upgrade", "created", None, {
            "start_at": "2026-12-01T10:00:00+00:00",
            "end_at": "2026-12-01T11:00:00+00:00",
            "services": ["checkout-api"],
        }),
    ),
    (
        "DELETE /api/v1/maintenance-windows/{window}",
        None,
        ("maintenance", "db-upgrade", "deleted", {
            "start_at": "2026-12-01T10:00:00+00:00", "end_at": "2026-12-01T11:00:00+00:00"
        }, None),
    ),
    (
        "POST /api/v1/users/alice/calendar-token",
        None,
        ("calendar-link", "alice", "made", None, None),
    ),
]  # fmt: skip


PAGED = oncall_catalog.ORG.replace(
    "spec: {owner: payments, escalationPolicy: payments}",
    "spec: {owner: payments, escalationPolicy: payments, integrations: "
    "[{name: events, type: events-v2, key: " + "c" * 32 + "}]}",
)


def test_every_api_change_leaves_one_entry_with_who_and_from_where(ctx: Ctx) -> None:
    oncall_catalog.apply(ctx.engine, PAGED)
    body = {
        "routing_key": "c" * 32,
        "event_action": "trigger",
        "dedup_key": "audit",
        "payload": {"summary": "disk full", "source": "db-1", "severity": "critical"},
    }
    assert ctx.client.post("/v2/enqueue", json=body).status_code == 202
    for request, body, (kind, name, action, before, after) in API_CHANGES:
        count = _count(ctx.engine)
        method, path = request.split(" ")
        path = path.format(
            override=_override_id(ctx) if "{override}" in path else 0,
            integration=_integration_id(ctx) if "{integration}" in path else 0,
            window=_window_id(ctx) if "{window}" in path else 0,
        )
        response = ctx.client.request(method, path, json=body, headers=ctx.admin)
        assert response.status_code < 300, (request, response.text)
        assert _count(ctx.engine) == count + 1, request
        entry = _entries(ctx.engine)[0]
        got = (entry["kind"], entry["name"], entry["action"], entry["before"], entry["after"])
        assert got == (kind, name, action, before, after), request
        assert entry["actor"] == "token/t-admin", request
        assert entry["address"] == "testclient", request
        assert entry["at"] == ctx.clock.now()


def test_a_refused_change_leaves_no_entry(ctx: Ctx) -> None:
    oncall_catalog.apply(ctx.engine)
    trigger(ctx.client, "audit")
    count = _count(ctx.engine)
    no = ctx.client.post("/api/v1/incidents/1/acknowledge", headers=ctx.viewer)
    assert no.status_code == 403
    again = ctx.client.post("/api/v1/incidents/1/resolve", headers=ctx.admin)
    assert again.status_code == 200
    twice = ctx.client.post("/api/v1/incidents/1/resolve", headers=ctx.admin)
    assert twice.status_code in (200, 409)
    assert _count(ctx.engine) == count + 1  # only the resolve that changed something


def test_a_rolled_back_change_leaves_no_entry(engine: Engine) -> None:
    """The last admin cannot be demoted: the change and its entry roll back together."""
    oncall_catalog.apply(engine)
    store = SqlAccountStore(engine)
    alice = create_login(
        store=store,
        hasher=Argon2Hasher(),
        clock=_Clock(),
        email="alice@example.com",
        password=PASSWORD,
        org_role=OrgRole.ADMIN,
    )
    count = _count(engine)
    demoted = SqlPeopleStore(engine).set_org_role(user_id=alice.user_id, org_role="member", at=T0)
    assert demoted is False
    assert _count(engine) == count


class _Clock:
    def now(self) -> Any:
        return T0


def test_catalog_apply_records_each_change_with_its_diff(engine: Engine) -> None:
    with audit.begin(actor="cli/ops", address=None):
        oncall_catalog.apply(engine)
        first = {(e["name"], e["action"]) for e in _entries(engine) if e["kind"] == "catalog"}
        assert ("User/alice", "created") in first
        assert ("Schedule/primary", "created") in first
        changed = oncall_catalog.ORG.replace("Alice Liddell", "Alice Pleasance")
        oncall_catalog.apply(engine, changed)
    latest = _entries(engine)[0]
    assert (latest["kind"], latest["name"], latest["action"]) == (
        "catalog",
        "User/alice",
        "updated",
    )
    assert latest["before"] == {"displayName": "Alice Liddell"}
    assert latest["after"] == {"displayName": "Alice Pleasance"}
    assert latest["actor"] == "cli/ops"


def test_web_changes_name_the_signed_in_person(ctx: Ctx) -> None:
    oncall_catalog.apply(ctx.engine)
    add_logins(
        ctx.engine,
        ctx.clock,
        {"alice@example.com": OrgRole.ADMIN, "bob@example.com": OrgRole.MEMBER},
    )
    assert login(ctx.client, "bob@example.com").status_code == 303
    signed_in = _entries(ctx.engine)[0]
    assert (signed_in["kind"], signed_in["name"], signed_in["action"]) == (
        "login",
        "bob",
        "signed-in",
    )
    assert (signed_in["actor"], signed_in["address"]) == ("bob", "testclient")
    csrf = page_token(ctx.client, "/me/tokens")
    made = ctx.client.post("/me/tokens", data={"csrf": csrf, "name": "laptop"})
    assert made.status_code == 201
    entry = _entries(ctx.engine)[0]
    assert (entry["actor"], entry["kind"], entry["name"], entry["action"]) == (
        "bob",
        "token",
        "laptop",
        "created",
    )
    assert login(ctx.client, "alice@example.com").status_code == 303
    csrf = page_token(ctx.client, "/people")
    role = ctx.client.post(
        "/people/bob/role", data={"csrf": csrf, "role": "admin"}, follow_redirects=False
    )
    assert role.status_code < 400, role.text
    entry = _entries(ctx.engine)[0]
    assert (entry["actor"], entry["kind"], entry["name"], entry["action"]) == (
        "alice",
        "user",
        "bob",
        "role-changed",
    )
    assert (entry["before"], entry["after"]) == ({"org_role": "member"}, {"org_role": "admin"})


@pytest.mark.parametrize("statement", ["update", "delete"])
def test_the_log_is_append_only(engine: Engine, statement: str) -> None:
    with engine.begin() as conn:
        record(conn, at=T0, kind="token", name="x", action="created")
    change = (
        update(t.audit_log).values(actor="someone-else")
        if statement == "update"
        else delete(t.audit_log)
    )
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(change)
    assert [e["actor"] for e in _entries(engine)] == [audit.SYSTEM]


def _seed(engine: Engine) -> None:
    rows = [
        ("alice", "token", "a", 0),
        ("bob", "incident", "#1", 1),
        ("alice", "incident", "#2", 2),
        ("token/ci", "catalog", "Service/x", 3),
        ("alice", "token", "b", 4),
    ]
    with engine.begin() as conn:
        for actor, kind, name, minutes in rows:
            record(
                conn,
                at=T0.replace(hour=13, minute=minutes),
                kind=kind,
                name=name,
                action="created",
                actor=actor,
            )


FILTERS: list[tuple[dict[str, Any], list[str]]] = [
    ({}, ["b", "Service/x", "#2", "#1", "a"]),
    ({"actor": "alice"}, ["b", "#2", "a"]),
    ({"kind": "incident"}, ["#2", "#1"]),
    ({"actor": "alice", "kind": "token"}, ["b", "a"]),
    ({"since": T0.replace(hour=13, minute=2).isoformat()}, ["b", "Service/x", "#2"]),
    ({"since": "2026-11-26T13:03:00Z"}, ["b", "Service/x"]),
    ({"since": "2026-11-26T14:00:00+01:00"}, ["b", "Service/x", "#2", "#1", "a"]),
    ({"actor": "nobody"}, []),
]


@pytest.mark.parametrize(("query", "names"), FILTERS)
def test_the_api_filters(ctx: Ctx, query: dict[str, Any], names: list[str]) -> None:
    _seed(ctx.engine)  # after the fixture's tokens (at 12:00): the seeded entries are 13:0x
    query = {"since": "2026-11-26T13:00:00Z", **query}
    response = ctx.client.get("/api/v1/audit", params=query, headers=ctx.admin)
    assert response.status_code == 200, response.text
    assert [e["name"] for e in response.json()["entries"]] == names


def test_the_api_pages_newest_first(ctx: Ctx) -> None:
    _seed(ctx.engine)
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2, "since": "2026-11-26T13:00:00Z"}
    for _ in range(5):
        body = ctx.client.get("/api/v1/audit", params=params, headers=ctx.admin).json()
        seen += [e["name"] for e in body["entries"]]
        if body["next_before"] is None:
            break
        params["before"] = body["next_before"]
    assert seen == ["b", "Service/x", "#2", "#1", "a"]


@pytest.mark.parametrize(
    ("who", "query", "status"),
    [
        ("viewer", {}, 403),
        ("responder", {}, 403),
        ("nobody", {}, 401),
        ("admin", {"since": "yesterday"}, 400),
        ("admin", {"limit": 0}, 422),
        ("admin", {"before": 2**70}, 422),
        ("admin", {"actor": "a\x00b"}, 400),
        ("admin", {"kind": "\x1b[2J"}, 400),
    ],
)
def test_the_api_refuses(ctx: Ctx, who: str, query: dict[str, Any], status: int) -> None:
    headers = {"viewer": ctx.viewer, "responder": ctx.responder, "admin": ctx.admin}.get(who, {})
    response = ctx.client.get("/api/v1/audit", params=query, headers=headers)
    assert response.status_code == status, response.text


def test_the_cli_records_its_user_and_lists(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OWNIT_DATABASE_URL", database_url)
    monkeypatch.setattr("getpass.getuser", lambda: "ops")
    assert main(["token", "create", "--name", "ci", "--role", "viewer"]) == 0
    assert main(["token", "revoke", "1"]) == 0
    capsys.readouterr()
    assert main(["audit", "list", "--kind", "token"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["ID", "WHEN", "ACTOR", "FROM", "KIND", "NAME", "ACTION", "CHANGE"]
    assert out[2].split()[4:8] == ["cli/ops", "token", "ci", "revoked"]
    assert out[3].split()[4:8] == ["cli/ops", "token", "ci", "created"]
    assert main(["audit", "list", "--actor", "someone"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2  # the header and its rule
    assert main(["audit", "list", "--since", "never"]) == 2
    assert "--since 'never' is not an ISO 8601 date-time" in capsys.readouterr().err
    assert main(["audit", "list", "--before", str(2**70)]) == 2
    assert "--before must be an entry id" in capsys.readouterr().err


def test_the_cli_makes_control_characters_visible(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OWNIT_DATABASE_URL", str(engine.url.render_as_string(False)))
    with engine.begin() as conn:
        record(conn, at=T0, kind="token", name="\x1b[31mred", action="created")
    assert main(["audit", "list"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "?[31mred" in out


def test_tokens_made_directly_are_the_system_s(engine: Engine) -> None:
    from ownit.app.tokens import create_token

    create_token(store=SqlTokenStore(engine), clock=_Clock(), name="x", role="viewer")
    assert _entries(engine)[0]["actor"] == audit.SYSTEM


def test_the_admin_page_lists_filters_and_refuses_members(ctx: Ctx) -> None:
    oncall_catalog.apply(ctx.engine)
    add_logins(
        ctx.engine,
        ctx.clock,
        {"alice@example.com": OrgRole.ADMIN, "bob@example.com": OrgRole.MEMBER},
    )
    with ctx.engine.begin() as conn:
        record(conn, at=T0, kind="token", name="<script>x</script>", action="created")
    assert login(ctx.client, "bob@example.com").status_code == 303
    refused = ctx.client.get("/admin/audit")
    assert refused.status_code == 403
    assert "Audit log" not in refused.text  # no link in the member's navigation either
    assert login(ctx.client, "alice@example.com").status_code == 303
    page = ctx.client.get("/admin/audit")
    assert page.status_code == 200
    assert "&lt;script&gt;x&lt;/script&gt;" in page.text
    assert "<script>x</script>" not in page.text
    assert "signed-in" in page.text
    only_tokens = ctx.client.get("/admin/audit", params={"kind": "token"}).text
    assert "&lt;script&gt;" in only_tokens
    assert "signed-in" not in only_tokens


def test_secrets_never_reach_the_log(engine: Engine) -> None:
    """A webhook contact's signing secret, in a created user and in a changed one."""
    hooked = oncall_catalog.ORG.replace(
        "spec: {displayName: Alice Liddell, email: alice@example.com}",
        "spec: {displayName: Alice Liddell, email: alice@example.com, contacts: "
        "[{name: hook, type: webhook, url: 'https://h.example.com', "
        "secret: whsec_Zmlyc3Qtc2VjcmV0LW9mLTE2LWJ5}]}",
    )
    oncall_catalog.apply(engine, hooked)
    oncall_catalog.apply(
        engine,
        hooked.replace("whsec_Zmlyc3Qtc2VjcmV0LW9mLTE2LWJ5", "whsec_c2Vjb25kLXNlY3JldC1vZi0xNi1i"),
    )
    text = str(_entries(engine))
    assert "whsec_" not in text
    changed = next(e for e in _entries(engine) if e["action"] == "updated")
    assert changed["after"] == {
        "contacts": [
            {
                "name": "hook",
                "type": "webhook",
                "url": "https://h.example.com",
                "secret": "(secret)",
            }
        ]
    }


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ({"secret": "s"}, {"secret": "(secret)"}),
        ({"contacts.secret": "s", "name": "x"}, {"contacts.secret": "(secret)", "name": "x"}),
        (
            {"a": [{"key": "k", "b": {"password": "p"}}]},
            {"a": [{"key": "(secret)", "b": {"password": "(secret)"}}]},
        ),
        ({"secret": None, "token": ""}, {"secret": None, "token": "(secret)"}),
        ({"keys": 1, "monkey": 2}, {"keys": 1, "monkey": 2}),
    ],
)
def test_redact(given: dict[str, Any], kept: dict[str, Any]) -> None:
    assert redact(given) == kept


def test_a_persons_own_settings_leave_one_entry(engine: Engine) -> None:
    oncall_catalog.apply(engine)  # alice's contacts and rules are hers
    store = SqlPersonalStore(engine)
    found = store.user_settings("alice")
    assert found is not None
    hook = Contact(
        "hook", "webhook", url="https://h.example.com", secret="whsec_bWluZS1zZWNyZXQtb2YtMTYtYnl0"
    )
    count = _count(engine)
    with audit.begin(actor="alice", address="192.0.2.7"):
        assert store.save_personal(dataclasses.replace(found.user, contacts=(hook,)), at=T0)
    assert _count(engine) == count + 1
    entry = _entries(engine)[0]
    assert (entry["actor"], entry["address"], entry["kind"], entry["name"]) == (
        "alice",
        "192.0.2.7",
        "settings",
        "alice",
    )
    assert entry["before"] == {"contacts": None}
    assert entry["after"] == {
        "contacts": [
            {
                "name": "hook",
                "type": "webhook",
                "url": "https://h.example.com",
                "secret": "(secret)",
            }
        ]
    }
