"""The postmortem pages with a signed-in browser session, on SQLite and PostgreSQL: forms
need the CSRF token, bad input and a closed postmortem are answered on the page."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Ctx
from tests.integration.web_helpers import login, page_token, setup_people, trigger

PAGE = "/incidents/1/postmortem"


@pytest.fixture
def alice(ctx: Ctx) -> Ctx:
    setup_people(ctx.engine, ctx.clock)
    assert login(ctx.client).status_code == 303
    trigger(ctx.client, "disk", "Disk full on db-1")
    return ctx


def send(ctx: Ctx, path: str, expect: int = 303, **fields: str) -> str:
    fields.setdefault("csrf", page_token(ctx.client, PAGE))
    response = ctx.client.post(path, data=fields, follow_redirects=False)
    assert response.status_code == expect, response.text
    return response.text


def test_write_review_close_on_the_page(alice: Ctx) -> None:
    page = alice.client.get(PAGE)
    assert "Start the postmortem" in page.text
    send(alice, PAGE)
    send(alice, PAGE + "/edit", summary="careless deploy", owner="bob")
    text = alice.client.get(PAGE).text
    assert 'id="hints-summary"' in text
    assert "careless" in text
    assert "owner bob" in text
    error = send(alice, PAGE + "/edit", expect=422, owner="nobody")
    assert "owner: no user is named &#39;nobody&#39;" in error
    error = send(alice, PAGE + "/actions", expect=422, title="x", owner="bob", due="later")
    assert "due: &#39;later&#39; is not a date" in error
    send(alice, PAGE + "/actions", title="Alert at 80%", owner="bob", due="2020-01-01")
    listed = alice.client.get("/postmortems", params={"overdue": "1"}).text
    assert 'href="/incidents/1/postmortem"' in listed
    send(alice, PAGE + "/actions/1", done="on")
    assert 'href="/incidents/1/postmortem"' not in alice.client.get("/postmortems?overdue=1").text
    send(alice, PAGE + "/edit", status="in_review")
    send(alice, PAGE + "/edit", status="closed")
    refused = send(alice, PAGE + "/edit", expect=409, title="rewritten")
    assert "is closed" in refused
    markdown = alice.client.get(PAGE + ".md")
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert "careless deploy" in markdown.text
    assert "- [x] 1. Alert at 80%" in markdown.text


def test_forms_need_the_csrf_token(alice: Ctx) -> None:
    send(alice, PAGE, expect=403, csrf="forged")
    assert "Start the postmortem" in alice.client.get(PAGE).text


def test_an_unknown_incident_is_a_404_page(alice: Ctx) -> None:
    assert alice.client.get("/incidents/99/postmortem").status_code == 404
