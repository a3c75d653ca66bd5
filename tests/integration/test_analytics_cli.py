"""``ownit analytics``: the same answers as the API, as a table, JSON or CSV."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine

from ownit.app import analytics as uc
from ownit.cli.main import main
from ownit.domain.analytics.incidents import GroupBy, incident_report
from ownit.domain.analytics.noise import noise_report
from tests.analytics_cases import HAND_MADE, HAND_MADE_TOTAL, PERIOD, seed

WINDOW = ["--since", PERIOD.since.isoformat(), "--until", PERIOD.until.isoformat()]


@pytest.fixture
def cli_env(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("OWNIT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    seed(engine, HAND_MADE)
    return engine


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_incidents_as_json_csv_and_text(
    cli_env: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "analytics", "incidents", *WINDOW, "--format", "json")
    assert code == 0
    answer = json.loads(out)
    assert {k: v for k, v in answer.items() if k not in ("since", "until")} == HAND_MADE_TOTAL

    code, out, _ = run(
        capsys, "analytics", "incidents", *WINDOW, "--by", "service", "--format", "csv"
    )
    expected = uc.incidents_answer(incident_report(HAND_MADE, PERIOD, by=GroupBy.SERVICE))
    assert out == uc.incidents_csv(expected)
    assert out.splitlines()[0].startswith("key,since,until,count,acknowledged,unacknowledged")

    code, out, _ = run(capsys, "analytics", "incidents", *WINDOW, "--by", "service")
    lines = out.splitlines()
    assert lines[1].split()[:3] == ["KEY", "COUNT", "ACKED"]
    assert [line.split()[0] for line in lines[3:]] == ["api", "db", "web", "all"]
    assert lines[-1].split()[1:4] == ["7", "2", "6"]


def test_responders_and_noise(cli_env: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "analytics", "responders", *WINDOW, "--format", "json")
    assert code == 0
    people = {r["user"]: r for r in json.loads(out)["responders"]}
    assert (people["alice"]["pages"], people["bob"]["acknowledged"]) == (2, 2)
    code, out, _ = run(capsys, "analytics", "noise", *WINDOW, "--format", "csv")
    assert out == uc.noise_csv(uc.noise_answer(noise_report(HAND_MADE, PERIOD)))
    code, out, _ = run(capsys, "analytics", "noise", *WINDOW)
    assert "heartbeat/db" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["incidents", "--since", "yesterday"], "--since: 'yesterday' is neither"),
        (["incidents", "--by", "colour"], "--by: 'colour' is not one of service, team"),
        (["incidents", "--service", "nope"], "--service: no service is named 'nope'"),
        (["responders", "--team", "nope"], "--team: no team is named 'nope'"),
        (["noise", "--drills", "maybe"], "--drills: 'maybe' is not one of exclude, include"),
    ],
)
def test_bad_options_are_named(
    cli_env: Engine, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, "analytics", *argv)
    assert code == 2
    assert message in err
