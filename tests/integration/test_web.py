"""The web UI through its forms: sessions, CSRF, redirects, throttling, incident actions."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from ownit.adapters.db import tables as t
from ownit.bootstrap import build_app
from ownit.settings import Settings
from tests.builders import FakeClock
from tests.integration.conftest import Ctx
from tests.integration.web_helpers import (
    ALICE,
    BOB,
    PASSWORD,
    csrf_of,
    login,
    page_token,
    setup_people,
    trigger,
)

COOKIE = "ownit_session"


@pytest.fixture
def web(ctx: Ctx) -> Ctx:
    setup_people(ctx.engine, ctx.clock)
    return ctx


@pytest.fixture
def alice(web: Ctx) -> Ctx:
    assert login(web.client).status_code == 303
    return web


def put_cookie(ctx: Ctx, session_id: str) -> None:
    ctx.client.cookies.delete(COOKIE)
    ctx.client.cookies.set(COOKIE, session_id, domain="testserver.local")


def status_of(ctx: Ctx, number: int = 1) -> str:
    with ctx.engine.connect() as conn:
        found = conn.execute(select(t.incidents.c.status).where(t.incidents.c.number == number))
        return str(found.scalar_one())


def session_rows(ctx: Ctx) -> list[str]:
    with ctx.engine.connect() as conn:
        return list(conn.execute(select(t.web_sessions.c.id_hash)).scalars())


# --- accounts and sessions --------------------------------------------------------------------


def test_pages_need_a_login_and_come_back_after_it(web: Ctx) -> None:
    response = web.client.get("/incidents?status=open", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fincidents%3Fstatus%3Dopen"
    done = login(web.client, next_url="/incidents?status=open")
    assert done.status_code == 303
    assert done.headers["location"] == "/incidents?status=open"
    assert web.client.get("/", follow_redirects=False).headers["location"] == "/incidents"


def test_a_login_sets_a_safe_cookie_and_stores_only_a_hash(web: Ctx) -> None:
    response = login(web.client)
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(COOKIE))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # the base URL is http here
    session_id = web.client.cookies[COOKIE]
    assert session_rows(web) == [hashlib.sha256(session_id.encode()).hexdigest()]
    page = web.client.get("/incidents")
    assert page.status_code == 200
    assert "Alice Liddell" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_the_session_id_changes_at_every_login(web: Ctx) -> None:
    def login_over(session_id: str, email: str) -> str:
        web.client.cookies.delete(COOKIE)
        token = csrf_of(web.client.get("/login").text)  # a form loaded before, say
        put_cookie(web, session_id)
        form = {"email": email, "password": PASSWORD, "csrf": token}
        assert web.client.post("/login", data=form, follow_redirects=False).status_code == 303
        return web.client.cookies[COOKIE]

    first = login_over("fixated-by-someone-else", ALICE)
    assert first != "fixated-by-someone-else"
    second = login_over(first, BOB)
    assert second != first
    assert len(session_rows(web)) == 1  # the first session ended
    put_cookie(web, first)
    assert web.client.get("/incidents", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("email", "password"),
    [(ALICE, "wrong password!!"), ("nobody@example.com", PASSWORD), (ALICE, ""), ("", "")],
)
def test_bad_logins_are_refused_alike(web: Ctx, email: str, password: str) -> None:
    response = login(web.client, email, password)
    assert response.status_code == 400
    assert "The email or the password is wrong." in response.text
    assert COOKIE not in web.client.cookies
    assert session_rows(web) == []


def test_logins_are_throttled_per_email_then_allowed_again(web: Ctx) -> None:
    for _ in range(5):
        assert login(web.client, ALICE, "wrong password!!").status_code == 400
    refused = login(web.client, ALICE, PASSWORD)  # even the right password, for now
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "Too many failed logins" in refused.text
    assert login(web.client, BOB, PASSWORD).status_code == 303  # other emails are not held
    web.clock.advance(minutes=16)
    assert login(web.client, ALICE, PASSWORD).status_code == 303


def test_logins_are_throttled_per_client_address(web: Ctx) -> None:
    for n in range(30):
        assert login(web.client, f"guess{n}@example.com", "wrong password!!").status_code == 400
    assert login(web.client, BOB, PASSWORD).status_code == 429


def test_a_login_without_its_form_token_is_refused(web: Ctx) -> None:
    response = web.client.post(
        "/login", data={"email": ALICE, "password": PASSWORD, "csrf": "forged"}
    )
    assert response.status_code == 403
    assert session_rows(web) == []


@pytest.mark.parametrize(
    ("next_url", "location"),
    [
        ("/oncall", "/oncall"),
        ("/incidents/1?x=1", "/incidents/1?x=1"),
        ("https://evil.example/", "/incidents"),
        ("//evil.example/x", "/incidents"),
        ("/\\evil.example", "/incidents"),
        ("javascript:alert(1)", "/incidents"),
        ("http:/evil.example", "/incidents"),
        ("/\t/evil.example", "/incidents"),
    ],
)
def test_open_redirects_are_refused(web: Ctx, next_url: str, location: str) -> None:
    response = login(web.client, next_url=next_url)
    assert response.status_code == 303
    assert response.headers["location"] == location


def test_logout_ends_the_session(alice: Ctx) -> None:
    old = alice.client.cookies[COOKIE]
    token = page_token(alice.client, "/logout")
    response = alice.client.post("/logout", data={"csrf": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert session_rows(alice) == []
    put_cookie(alice, old)
    assert alice.client.get("/incidents", follow_redirects=False).status_code == 303


def test_logout_needs_the_form_token(alice: Ctx) -> None:
    response = alice.client.post("/logout", data={"csrf": "forged"})
    assert response.status_code == 403
    assert len(session_rows(alice)) == 1


def test_a_password_change_checks_and_signs_out_other_sessions(alice: Ctx) -> None:
    token = page_token(alice.client, "/me/password")
    form = {"csrf": token, "current": "not it at all", "new": "a new long secret", "new_again": ""}
    wrong = alice.client.post("/me/password", data=form)
    assert wrong.status_code == 400
    assert 'id="current-error"' in wrong.text
    short = alice.client.post("/me/password", data=form | {"current": PASSWORD, "new": "short"})
    assert short.status_code == 400
    assert "at least 12 characters" in short.text
    old = alice.client.cookies[COOKIE]
    done = alice.client.post(
        "/me/password",
        data=form | {"current": PASSWORD, "new_again": "a new long secret"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert alice.client.cookies[COOKIE] != old
    assert len(session_rows(alice)) == 1
    assert "Your password is changed" in alice.client.get("/me/password?changed=1").text
    alice.client.cookies.clear()
    assert login(alice.client, ALICE, PASSWORD).status_code == 400
    assert login(alice.client, ALICE, "a new long secret").status_code == 303


def test_sessions_expire_when_idle(alice: Ctx) -> None:
    alice.clock.advance(days=15)
    assert alice.client.get("/incidents", follow_redirects=False).status_code == 303
    assert session_rows(alice) == []


@pytest.mark.parametrize(
    ("idle", "away", "signed_in"),
    [
        (timedelta(hours=1), timedelta(minutes=50), True),
        (timedelta(hours=1), timedelta(minutes=70), False),
        (timedelta(days=14), timedelta(days=13), True),
    ],
)
def test_the_idle_lifetime_is_a_setting(
    engine: Engine, idle: timedelta, away: timedelta, signed_in: bool
) -> None:
    clock = FakeClock()
    setup_people(engine, clock)
    settings = Settings(database_url=str(engine.url), session_idle=idle)
    with TestClient(build_app(settings, engine, clock=clock)) as client:
        assert login(client).status_code == 303
        clock.advance(seconds=away.total_seconds())
        status = client.get("/incidents", follow_redirects=False).status_code
    assert status == (200 if signed_in else 303)


def test_htmx_requests_without_a_session_are_told_where_to_go(web: Ctx) -> None:
    response = web.client.get(
        "/incidents",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/incidents?page=2"},
    )
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/login?next=%2Fincidents%3Fpage%3D2"


# --- incidents --------------------------------------------------------------------------------


def test_posts_without_the_csrf_token_change_nothing(alice: Ctx) -> None:
    trigger(alice.client, "k1")
    for extra in ({}, {"data": {"csrf": "forged"}}, {"headers": {"X-CSRF-Token": "forged"}}):
        response = alice.client.post("/incidents/1/acknowledge", **extra)  # type: ignore[arg-type]
        assert response.status_code == 403
        assert "Nothing was changed" in response.text
    assert alice.client.post("/incidents/1/notes", data={"text": "hi"}).status_code == 403
    assert status_of(alice) == "triggered"


def test_acknowledge_resolve_and_note_through_the_forms(alice: Ctx) -> None:
    trigger(alice.client, "k1", "Disk full on db-1")
    token = page_token(alice.client, "/incidents/1")
    ack = alice.client.post(
        "/incidents/1/acknowledge",
        data={"csrf": token, "next": "/incidents/1"},
        follow_redirects=False,
    )
    assert ack.status_code == 303
    assert ack.headers["location"] == "/incidents/1"
    assert status_of(alice) == "acknowledged"
    note = alice.client.post(
        "/incidents/1/notes", data={"csrf": token, "text": "Freed 20 GB\nwatching"}
    )
    assert note.status_code == 200
    assert "Freed 20 GB\nwatching" in note.text
    resolved = alice.client.post("/incidents/1/resolve", data={"csrf": token})
    assert resolved.status_code == 200
    assert status_of(alice) == "resolved"
    page = alice.client.get("/incidents/1").text
    assert "acknowledged by alice" in page
    assert "resolved by alice" in page
    again = alice.client.post("/incidents/1/resolve", data={"csrf": token})
    assert again.status_code == 409
    assert 'role="alert"' in again.text


def test_a_member_acknowledges_from_the_list_with_htmx(web: Ctx) -> None:
    login(web.client, BOB)
    trigger(web.client, "k1")
    token = page_token(web.client)
    row = web.client.post(
        "/incidents/1/acknowledge",
        data={"csrf": token, "next": "/incidents"},
        headers={"HX-Request": "true"},
    )
    assert row.status_code == 200
    assert row.text.lstrip().startswith("<li ")
    assert "acknowledged" in row.text
    assert status_of(web) == "acknowledged"
    with web.engine.connect() as conn:
        actor = conn.execute(select(t.incidents.c.acknowledged_by)).scalar_one()
    assert actor == "bob"


def test_a_bad_note_is_shown_next_to_the_field_and_nothing_is_saved(alice: Ctx) -> None:
    trigger(alice.client, "k1")
    token = page_token(alice.client, "/incidents/1")
    with alice.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(t.log_entries)).scalar_one()
    response = alice.client.post("/incidents/1/notes", data={"csrf": token, "text": "   "})
    assert response.status_code == 400
    assert 'id="note-error"' in response.text
    assert 'aria-invalid="true"' in response.text
    too_long = "x" * 10_001
    response = alice.client.post("/incidents/1/notes", data={"csrf": token, "text": too_long})
    assert response.status_code == 400
    assert too_long in response.text  # what was typed is kept
    with alice.engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(t.log_entries)).scalar_one()
    assert after == before


def test_untrusted_text_is_rendered_inert(alice: Ctx) -> None:
    evil = '<script>alert("owned")</script><img src=x onerror=alert(1)>'
    trigger(alice.client, "k1", evil, note=evil)
    token = page_token(alice.client, "/incidents/1")
    alice.client.post("/incidents/1/notes", data={"csrf": token, "text": evil})
    for path in ("/incidents/1", "/incidents"):
        html = alice.client.get(path).text
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;" in html


def test_the_list_puts_open_incidents_first_filters_and_pages(alice: Ctx) -> None:
    for n in range(27):
        trigger(alice.client, f"k{n}")
    token = page_token(alice.client)
    alice.client.post("/incidents/27/resolve", data={"csrf": token})
    alice.client.post("/incidents/26/acknowledge", data={"csrf": token})
    first = alice.client.get("/incidents").text  # the 25 triggered, newest first
    assert first.index(">#25<") < first.index(">#1<")
    assert ">#26<" not in first
    assert 'rel="next"' in first
    second = alice.client.get("/incidents?page=2").text  # then acknowledged, then resolved
    assert second.index(">#26<") < second.index(">#27<")
    assert 'rel="prev"' in second
    resolved = alice.client.get("/incidents?status=resolved").text
    assert ">#27<" in resolved
    assert ">#1<" not in resolved
    assert "No incidents here" in alice.client.get("/incidents?urgency=low").text
    unknown = alice.client.get("/incidents?service=nope")
    assert unknown.status_code == 400
    assert "no service is named" in unknown.text


def test_the_list_partial_is_what_htmx_polls(alice: Ctx) -> None:
    trigger(alice.client, "k1", "first")
    headers = {"HX-Request": "true", "HX-Target": "incident-list"}
    partial = alice.client.get("/incidents", headers=headers)
    assert partial.status_code == 200
    assert partial.text.startswith('<section id="incident-list"')
    assert "<html" not in partial.text
    trigger(alice.client, "k2", "second")
    assert "second" in alice.client.get("/incidents", headers=headers).text


def test_bulk_acknowledge_of_selected_rows(alice: Ctx) -> None:
    for n in range(3):
        trigger(alice.client, f"k{n}")
    with alice.engine.connect() as conn:
        ids = dict(conn.execute(select(t.incidents.c.number, t.incidents.c.id)).all())
    token = page_token(alice.client)
    response = alice.client.post(
        "/incidents/bulk-acknowledge",
        data={"csrf": token, "ids": [ids[1], ids[3], "inc_gone"], "next": "//evil"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/incidents"
    assert [status_of(alice, n) for n in (1, 2, 3)] == ["acknowledged", "triggered", "acknowledged"]


def test_an_unknown_incident_is_a_page_not_found(alice: Ctx) -> None:
    response = alice.client.get("/incidents/999")
    assert response.status_code == 404
    assert "There is no incident 999." in response.text


def test_on_call_now(alice: Ctx) -> None:
    html = alice.client.get("/oncall").text
    assert "primary" in html
    assert "weekend" in html
    assert "payments-api" in html
    assert "Level 1:" in html
    assert "nobody" in html  # weekend has no one on a Thursday


def test_on_call_now_says_who_is_next_and_when(alice: Ctx) -> None:
    """Thursday 13:00 Berlin: carol's office hour in primary ends at 14:00 and bob (Thursday's
    daily turn) takes over; weekend's gap ends when dave comes on at Saturday 00:00."""
    html = alice.client.get("/oncall").text
    rows = {
        m.group(1): " ".join(re.sub(r"<[^>]+>", " ", m.group(2)).split())
        for m in re.finditer(r'<a href="/schedules/([a-z-]+)">.*?</th>(.*?)</tr>', html, re.S)
    }
    assert rows["primary"] == "Carol Danvers Bob Builder from 2026-11-26 13:00 UTC"
    assert rows["weekend"] == "nobody Dave Bowman from 2026-11-27 23:00 UTC"
