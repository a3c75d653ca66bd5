"""``ownit oncall`` and ``ownit schedule …`` as a person at a terminal runs them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine

from ownit.adapters.db.oncall_store import SqlScheduleStore
from ownit.app.tokens import hash_token
from ownit.cli.main import main
from tests.builders import add_service
from tests.integration import oncall_catalog

# Override times far enough ahead that they stay in the future of the real clock.
LATER = "2030-01-07T10:00:00+01:00"
LATER_END = "2030-01-07T12:00:00+01:00"


@pytest.fixture
def cli_env(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("OWNIT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("OWNIT_BASE_URL", "https://ownit.example.com")
    add_service(engine, "checkout-api")
    oncall_catalog.apply(engine)
    return engine


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_oncall_shows_schedules_and_services(
    cli_env: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "oncall", "--at", "2026-11-28T12:00Z")
    assert (code, err) == (0, "")
    assert out == (
        "on call at 2026-11-28 12:00 UTC\n"
        "\n"
        "SCHEDULE  ON CALL\n"
        "--------  ---------------------\n"
        "primary   Carol Danvers (carol)\n"
        "weekend   Dave Bowman (dave)\n"
        "\n"
        "SERVICE       ESCALATION POLICY  LEVEL  PAGED NOW\n"
        "------------  -----------------  -----  " + "-" * 41 + "\n"
        "checkout-api  -                  -      nobody is paged\n"
        "payments-api  payments           1      Carol Danvers (carol)\n"
        "                                 2      Alice Liddell (alice), Dave Bowman (dave)\n"
    )


def test_oncall_for_one_schedule_and_a_gap(
    cli_env: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "oncall", "--schedule", "weekend", "--at", "2026-11-26T12:00Z")
    assert code == 0
    assert out == (
        "on call at 2026-11-26 12:00 UTC\nSCHEDULE  ON CALL\n--------  -------\nweekend   nobody\n"
    )


def test_schedule_list(cli_env: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schedule", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "TEAM", "TIME", "ZONE", "LAYERS", "ON", "CALL", "NOW"]
    assert lines[2].split()[:4] == ["primary", "payments", "Europe/Berlin", "2"]
    assert lines[3].split()[:4] == ["weekend", "-", "Europe/Berlin", "1"]


def test_schedule_shifts_in_the_schedules_zone(
    cli_env: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "schedule",
        "shifts",
        "weekend",
        "--since",
        "2026-11-27T00:00Z",
        "--until",
        "2026-11-30T00:00Z",
    )
    assert code == 0
    assert out == (
        "weekend: 2026-11-27 01:00 CET to 2026-11-30 01:00 CET (times in Europe/Berlin)\n"
        "START                 END                   ON CALL\n"
        "--------------------  --------------------  --------------\n"
        "2026-11-27 01:00 CET  2026-11-28 00:00 CET  nobody (a gap)\n"
        "2026-11-28 00:00 CET  2026-11-30 00:00 CET  dave\n"
        "2026-11-30 00:00 CET  2026-11-30 01:00 CET  nobody (a gap)\n"
    )


def test_overrides_add_list_delete(cli_env: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        *("schedule", "override", "add", "primary"),
        *("--user", "dave", "--start", LATER, "--end", LATER_END),
    )
    assert code == 0
    match = re.fullmatch(
        r"override (\d+) added: dave is on call in primary "
        r"from 2030-01-07 10:00 CET to 2030-01-07 12:00 CET\n",
        out,
    )
    assert match is not None, out
    override_id = match.group(1)
    code, out, _ = run(capsys, "oncall", "--schedule", "primary", "--at", "2030-01-07T09:30Z")
    assert "Dave Bowman (dave)" in out
    code, out, _ = run(capsys, "schedule", "override", "list", "primary")
    assert code == 0
    rows = [line.split() for line in out.splitlines()[2:]]
    (row,) = [r for r in rows if r[0] == override_id]
    assert row[1] == "dave"
    assert row[-2] == "api"
    assert row[-1].startswith("cli/")
    assert all(r[-1] == "catalog" for r in rows if r is not row)  # until 28 Nov 2026
    code, out, _ = run(capsys, "schedule", "override", "delete", "primary", override_id)
    assert (code, out) == (0, f"override {override_id} deleted from primary\n")
    code, out, _ = run(capsys, "schedule", "override", "list", "primary")
    assert " api " not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("oncall", "--at", "2026-11-28T12:00"),
            "--at: '2026-11-28T12:00' has no UTC offset "
            "(write 2026-11-26T09:00+01:00 or 2026-11-26T08:00Z)",
        ),
        (("oncall", "--at", "noon"), "--at: 'noon' is not an ISO 8601 date-time"),
        (("oncall", "--schedule", "nope"), "schedule 'nope' does not exist"),
        (
            (
                "schedule",
                "shifts",
                "primary",
                "--since",
                "2026-01-01T00:00Z",
                "--until",
                "2026-12-01T00:00Z",
            ),
            "--until: the range may span at most 90 days",
        ),
        (
            (
                "schedule",
                "override",
                "add",
                "primary",
                "--user",
                "zoe",
                "--start",
                LATER,
                "--end",
                LATER_END,
            ),
            "--user: there is no user named 'zoe'",
        ),
        (
            (
                "schedule",
                "override",
                "add",
                "primary",
                "--user",
                "dave",
                "--start",
                LATER_END,
                "--end",
                LATER,
            ),
            "--end: must be after start",
        ),
        (
            ("schedule", "override", "delete", "primary", "999"),
            "override 'primary/999' does not exist",
        ),
        (("schedule", "calendar-link", "zoe"), "user 'zoe' does not exist"),
    ],
)
def test_errors_are_one_line(
    cli_env: Engine, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith(f"ownit: error: {message}")
    assert err.count("\n") == 1


def test_calendar_link(cli_env: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schedule", "calendar-link", "alice")
    assert code == 0
    url = out.splitlines()[-1]
    match = re.fullmatch(r"https://ownit\.example\.com/calendar/(ownitcal_[\w-]+)\.ics", url)
    assert match is not None, url
    assert SqlScheduleStore(cli_env).calendar_user(hash_token(match.group(1))) == "alice"
