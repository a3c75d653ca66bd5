"""The ``ownit`` command for people: tokens, incidents, integrations; errors without tracebacks."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ownit.adapters.db.token_store import SqlTokenStore
from ownit.app.tokens import authenticate
from ownit.bootstrap import build_app, build_worker
from ownit.cli.main import main
from ownit.settings import Settings
from tests.builders import FakeClock, add_service

KEY = "c" * 31 + "1"


@pytest.fixture
def cli_env(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("OWNIT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    add_service(engine, "checkout-api", keys={"events": KEY})
    settings = Settings(database_url=str(engine.url), events_rate_limit=0)
    with TestClient(build_app(settings, engine, clock=FakeClock())) as client:
        for dedup, summary in (("a", "Disk full on db-1"), ("b", "CPU hot on web-3")):
            event = {
                "routing_key": KEY,
                "event_action": "trigger",
                "dedup_key": dedup,
                "payload": {"summary": summary, "source": "host", "severity": "critical"},
            }
            assert client.post("/v2/enqueue", json=event).status_code == 202
    return engine


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_token_create_prints_the_token_on_its_last_line(
    cli_env: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "token", "create", "--name", "ci", "--role", "viewer")
    assert code == 0
    token = out.strip().splitlines()[-1]
    principal = authenticate(store=SqlTokenStore(cli_env), token=token)
    assert principal is not None
    assert (principal.name, principal.role.value) == ("ci", "viewer")
    code, out, _ = run(capsys, "token", "list")
    assert "ci" in out
    assert token not in out


def test_incident_list_show_ack_resolve(
    cli_env: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "incident", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "#",
        "STATUS",
        "PAGING",
        "URGENCY",
        "SERVICE",
        "TITLE",
        "ALERTS",
        "CREATED",
        "(UTC)",
    ]
    assert "CPU hot on web-3" in lines[2]
    assert lines[2].startswith("2 ")
    assert "Disk full on db-1" in lines[3]

    assert run(capsys, "incident", "ack", "1")[1].startswith("#1 acknowledged")
    assert run(capsys, "incident", "note", "1", "looking at it")[0] == 0
    assert run(capsys, "incident", "resolve", "#1")[1].startswith("#1 resolved")
    code, out, _ = run(capsys, "incident", "show", "1")
    assert code == 0
    assert "status:       resolved" in out
    for kind in ("triggered", "acknowledged", "note", "resolved"):
        assert kind in out
    assert "looking at it" in out

    code, out, _ = run(capsys, "incident", "list", "--status", "open")
    assert "CPU hot" in out
    assert "Disk full" not in out


def test_incident_list_and_show_say_when_nobody_was_paged(
    cli_env: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "incident", "list")[1].splitlines()[2].split()[:3] == [
        "2",
        "triggered",
        "ok",
    ]
    settings = Settings(database_url=str(cli_env.url), events_rate_limit=0)
    worker = build_worker(settings, cli_env, clock=FakeClock())
    worker.run_once()  # the service has no escalation policy: the engine says so
    worker.stop()
    lines = run(capsys, "incident", "list")[1].splitlines()
    assert lines[2].split()[:4] == ["2", "triggered", "nobody", "(no-policy)"]
    out = run(capsys, "incident", "show", "2")[1]
    assert "paging:       nobody (no-policy)" in out
    assert "not paged: the service has no escalation policy" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["incident", "show", "99"], "incident '99' does not exist"),
        (["incident", "list", "--service", "nope"], "service 'nope' does not exist"),
        (["incident", "list", "--status", "burning"], "--status: 'burning'"),
        (["incident", "list", "--since", "last week"], "--since: 'last week'"),
        (
            ["incident", "list", "--since", "2026-11-26T12:00"],
            "--since: '2026-11-26T12:00' has no UTC offset",
        ),
        (["integration", "rotate", "42"], "integration 42 does not exist"),
        (["token", "revoke", "42"], "token 42 does not exist"),
    ],
)
def test_errors_are_one_plain_line(
    cli_env: Engine, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code != 0
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_resolving_twice_is_an_error(cli_env: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "incident", "resolve", "2")[0] == 0
    code, _, err = run(capsys, "incident", "resolve", "2")
    assert code == 2
    assert "already resolved" in err


def test_integration_list(cli_env: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "integration", "list")
    assert code == 0
    assert KEY not in out  # only the key's digest is kept (decision 0035): a hint is shown
    assert KEY[:4] + "…" in out
    assert "/v2/enqueue" in out
    code, out, _ = run(capsys, "integration", "rotate", "1")
    assert code == 0
    [new_key] = [line for line in out.splitlines() if len(line) == 32]
    assert "shown this once" in out
    code, out, _ = run(capsys, "integration", "list")
    assert new_key[:4] + "…" in out
    assert new_key not in out


def test_unreachable_database_is_a_plain_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OWNIT_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    code, _, err = run(capsys, "incident", "list")
    assert code == 1
    assert err.startswith("ownit: error: cannot open the database")
    assert "Traceback" not in err


def test_event_text_is_printed_without_terminal_control_characters(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OWNIT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    add_service(engine, "checkout-api", keys={"events": KEY})
    evil = "Disk \x1b]0;owned\x07full\x1b[2J\x9b31m on db-1\r"
    settings = Settings(database_url=str(engine.url), events_rate_limit=0)
    with TestClient(build_app(settings, engine, clock=FakeClock())) as client:
        event = {
            "routing_key": KEY,
            "event_action": "trigger",
            "dedup_key": "x",
            "payload": {"summary": evil, "source": "host", "severity": "critical"},
        }
        assert client.post("/v2/enqueue", json=event).status_code == 202
    for argv in (("incident", "list"), ("incident", "show", "1")):
        code, out, err = run(capsys, *argv)
        assert code == 0, err
        assert "Disk ]0;ownedfull[2J31m on db-1" in out
        for control in ("\x1b", "\x07", "\x9b", "\r"):
            assert control not in out + err
