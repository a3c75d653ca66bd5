"""``ownit import pagerduty`` as a user runs it: from saved answers and from a live API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ownit.cli.main import main
from tests.importers.fake_api import fake_pagerduty
from tests.importers.pd_fixture import ROOT

NOW = "2026-10-20T00:00:00Z"
FILES = [
    "users.yaml",
    "teams.yaml",
    "schedules.yaml",
    "escalation-policies.yaml",
    "services.yaml",
    "maintenance-windows.yaml",
    "import-report.md",
]


def _import(out: Path, *extra: str) -> int:
    return main(["import", "pagerduty", *extra, "-o", str(out), "--now", NOW])


def _contents(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.fixture(autouse=True)
def _no_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OWNIT_DATABASE_URL", f"sqlite:///{tmp_path / 'absent.db'}")


def test_the_fixture_carries_pagerdutys_own_final_schedule() -> None:
    from tests.importers import pd_fixture

    assert json.loads((ROOT / "schedules.json").read_text()) == json.loads(
        json.dumps(pd_fixture.files()["schedules"])
    )


def test_import_writes_files_that_lint_and_the_same_input_gives_the_same_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _import(tmp_path / "a", "--from", str(ROOT)) == 0
    out = capsys.readouterr().out
    assert "lint: no problems" in out
    assert sorted(_contents(tmp_path / "a")) == sorted(FILES)
    assert _import(tmp_path / "b", "--from", str(ROOT)) == 0
    assert _contents(tmp_path / "a") == _contents(tmp_path / "b")
    assert main(["catalog", "lint", *(str(tmp_path / "a" / f) for f in FILES[:-1])]) == 0
    report = (tmp_path / "a" / "import-report.md").read_text()
    for heading in ("## Imported", "## Changed", "## Skipped", "## Check by hand"):
        assert heading in report
    assert "final schedule equals PagerDuty's" in report  # payments-primary, across DST
    # 12h turns in Berlin hand off in elapsed time: a second layer takes over at the DST change
    assert "Schedule `platform`: final schedule equals PagerDuty's" in report
    assert "Schedule `platform`: final schedule differs" not in report


def test_existing_catalog_users_are_referenced_not_written(tmp_path: Path) -> None:
    existing = tmp_path / "people.yaml"
    existing.write_text(
        "apiVersion: ownit/v1\nkind: User\nmetadata: {name: alice-l}\n"
        "spec: {email: ALICE@example.com}\n"
    )
    out = tmp_path / "out"
    assert _import(out, "--from", str(ROOT), "--catalog", str(existing)) == 0
    assert "alice-l" not in (out / "users.yaml").read_text()
    assert "user: alice-l" in (out / "teams.yaml").read_text()


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("users.json", "users.json:1: not JSON"),
        ("services.json", "services.json: services[0].escalation_policy: missing"),
    ],
)
def test_bad_answers_are_one_line_naming_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], broken: str, message: str
) -> None:
    saved = tmp_path / "saved"
    for path in ROOT.rglob("*.json"):
        target = saved / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text())
    if broken == "users.json":
        (saved / broken).write_text("{not json")
    else:
        data = json.loads((saved / broken).read_text())
        del data["services"][0]["escalation_policy"]
        (saved / broken).write_text(json.dumps(data))
    assert _import(tmp_path / "out", "--from", str(saved)) == 2
    err = capsys.readouterr().err
    assert err.startswith("ownit: error: ")
    assert message in err
    assert "Traceback" not in err


def test_live_mode_pages_through_lists_and_waits_out_a_429(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _import(tmp_path / "saved", "--from", str(ROOT)) == 0
    with fake_pagerduty(ROOT, "k3y") as api:
        code = _import(tmp_path / "live", "--api-key", "k3y", "--base-url", api.url)
    assert code == 0, capsys.readouterr().err
    assert api.throttled == 1
    user_pages = [r for r in api.requests if r.startswith("/users")]
    assert len(user_pages) == 1 + 3  # the 429, then 5 users two at a time
    assert any("offset=4" in r for r in user_pages)
    assert _contents(tmp_path / "live") == _contents(tmp_path / "saved")


def test_live_mode_reports_a_refused_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with fake_pagerduty(ROOT, "right") as api:
        code = _import(tmp_path / "out", "--api-key", "wrong", "--base-url", api.url)
    assert code == 2
    assert "HTTP 401" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("source", "fixture", "fake"),
    [
        ("opsgenie", "og_fixture", "fake_opsgenie"),
        ("grafana-oncall", "gr_fixture", "fake_grafana"),
    ],
)
def test_live_mode_follows_next_links_and_waits_out_a_429(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str, fixture: str, fake: str
) -> None:
    import importlib

    from tests.importers import fake_linked_api

    root = importlib.import_module(f"tests.importers.{fixture}").ROOT
    args = ["import", source, "--now", NOW, "-o"]
    assert main([*args, str(tmp_path / "saved"), "--from", str(root)]) == 0
    with getattr(fake_linked_api, fake)(root, "s3cret") as api:
        code = main([*args, str(tmp_path / "live"), "--api-key", "s3cret", "--base-url", api.url])
    assert code == 0, capsys.readouterr().err
    assert api.throttled == 1
    assert any("page=1" in r for r in api.requests)  # the users' second page, by its link
    assert _contents(tmp_path / "live") == _contents(tmp_path / "saved")


def test_grafana_oncall_live_needs_its_base_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["import", "grafana-oncall", "--api-key", "k", "-o", str(tmp_path / "o")])
    assert code == 2
    assert "--base-url is required" in capsys.readouterr().err
