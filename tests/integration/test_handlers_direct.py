"""Handlers called as plain methods, without HTTP: a page and an API endpoint each take the
values their route would have resolved (the session, the form, the principal) as arguments."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from sqlalchemy import Engine
from starlette.requests import Request

from ownit.adapters.db.account_store import SqlAccountStore
from ownit.adapters.db.directory import SqlDirectory
from ownit.adapters.db.event_log import SqlEventLog
from ownit.adapters.db.incident_store import SqlIncidentStore
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.adapters.db.login_throttle_store import SqlLoginThrottle
from ownit.adapters.db.oncall_store import SqlScheduleStore
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.adapters.db.work_store import SqlWorkStore
from ownit.adapters.http.api_incidents import IncidentApi
from ownit.adapters.http.api_v1 import ApiDeps
from ownit.adapters.http.problems import Problem
from ownit.adapters.passwords import Argon2Hasher
from ownit.adapters.web.deps import CsrfRefused, Form, WebDeps
from ownit.adapters.web.incident_pages import IncidentPages
from ownit.adapters.web.oncall_pages import OnCallPages
from ownit.adapters.web.templating import Pages
from ownit.adapters.web.token_pages import TokenPages
from ownit.app.accounts import Account, WebSession
from ownit.app.incidents import get_incident
from ownit.app.tokens import Principal, Role
from ownit.domain.events import Action, Event, Severity
from ownit.domain.permissions import OrgRole
from tests.builders import T0, FakeClock, add_service
from tests.integration import oncall_catalog

KEY = "direct00000000000000000000000001"


def web_deps(engine: Engine) -> WebDeps:
    return WebDeps(
        accounts=SqlAccountStore(engine),
        hasher=Argon2Hasher(),
        incidents=SqlIncidentStore(engine),
        directory=SqlDirectory(engine),
        schedules=SqlScheduleStore(engine),
        clock=FakeClock(),
        throttle=SqlLoginThrottle(engine),
        tokens=SqlTokenStore(engine),
    )


def api_deps(engine: Engine) -> ApiDeps:
    return ApiDeps(
        incidents=SqlIncidentStore(engine),
        directory=SqlDirectory(engine),
        events=SqlEventLog(engine),
        tokens=SqlTokenStore(engine),
        clock=FakeClock(),
        escalations=SqlWorkStore(engine),
        on_call=lambda schedule, at: (),
    )


def session(role: OrgRole, name: str = "alice") -> WebSession:
    account = Account(1, name, name.title(), f"{name}@example.com", role)
    return WebSession(account, "hash", "the-csrf-token", T0, T0, T0 + timedelta(hours=1))


def request(path: str, method: str = "GET") -> Request:
    return Request(
        {"type": "http", "method": method, "path": path, "headers": [], "query_string": b""}
    )


def open_incident(engine: Engine) -> None:
    add_service(engine, "checkout-api", keys={"events": KEY})
    event = Event("events-v2", KEY, Action.TRIGGER, "disk", "disk full", "host-1", Severity.ERROR)
    [result] = SqlIngestStore(engine).apply_batch([[event]], T0)
    assert result.accepted


def test_a_page_handler_renders_for_the_session_it_is_given(engine: Engine) -> None:
    oncall_catalog.apply(engine)
    pages = OnCallPages(web_deps(engine), Pages())
    response = pages.on_call_now(request("/oncall"), session(OrgRole.MEMBER))
    assert response.status_code == 200
    html = bytes(response.body).decode()
    assert "On call now" in html
    assert "Carol Danvers" in html  # primary's office layer, Thursday 13:00 in Berlin


def test_a_page_handler_answers_a_member_on_an_admins_page(engine: Engine) -> None:
    pages = TokenPages(web_deps(engine), Pages())
    response = pages.all_tokens(request("/admin/tokens"), session(OrgRole.MEMBER))
    assert response.status_code == 403
    assert "Only admins may do this. Nothing was changed." in bytes(response.body).decode()


def test_a_page_handler_checks_the_forms_csrf_token(engine: Engine) -> None:
    open_incident(engine)
    pages = IncidentPages(web_deps(engine), Pages())
    form = Form({"csrf": ["not-the-session-token"]})
    with pytest.raises(CsrfRefused):
        pages.acknowledge(
            request("/incidents/1/acknowledge", "POST"), session(OrgRole.ADMIN), form, "1"
        )
    assert get_incident(store=SqlIncidentStore(engine), ref="1")["status"] == "triggered"


def test_an_api_handler_acts_as_the_principal_it_is_given(engine: Engine) -> None:
    open_incident(engine)
    api = IncidentApi(api_deps(engine))
    response = api.acknowledge(Principal("ci", Role.RESPONDER), "1")
    assert response.status_code == 200
    incident = orjson.loads(bytes(response.body))["incident"]
    assert incident["number"] == 1
    assert incident["status"] == "acknowledged"
    listed = orjson.loads(bytes(api.list_incidents(status="acknowledged").body))["incidents"]
    assert [i["number"] for i in listed] == [1]


def test_an_api_handler_raises_the_problem_the_app_answers(engine: Engine) -> None:
    api = IncidentApi(api_deps(engine))
    with pytest.raises(Problem) as raised:
        api.list_incidents(status="sleeping")
    assert raised.value.status == 400
    assert raised.value.errors == [
        {
            "field": "status",
            "detail": "'sleeping' is not one of triggered, acknowledged, resolved, open",
        }
    ]
