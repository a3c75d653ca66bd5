"""Drills and game days in the catalog store (SQLite and PostgreSQL): applied, the drill's
first scheduled run set, re-applied unchanged, exported and applied back unchanged, pruned;
``ownit gameday run|report`` on the applied game day."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from ownit.adapters.catalog.yaml_source import dump_documents
from ownit.adapters.db import tables as t
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.app import catalog as use
from ownit.cli.main import main
from tests.integration.test_catalog_ops import apply

BASE = """\
apiVersion: ownit/v1
kind: User
metadata: {name: alice}
spec: {email: alice@example.com}
---
apiVersion: ownit/v1
kind: Team
metadata: {name: payments}
spec: {members: [{user: alice, role: manager}]}
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {name: payments}
spec: {team: payments, levels: [{after: 5m, targets: [{user: alice}]}]}
---
apiVersion: ownit/v1
kind: Service
metadata: {name: checkout-api}
spec: {owner: payments, escalationPolicy: payments}
"""

PRACTICE = """\
apiVersion: ownit/v1
kind: Drill
metadata: {name: payments-weekly}
spec: {service: checkout-api, schedule: "tue 10:00", timezone: Europe/Berlin, ackTarget: 300s}
---
apiVersion: ownit/v1
kind: GameDay
metadata: {name: checkout-outage}
spec:
  description: checkout fails
  steps:
    - {after: 0s, service: checkout-api, event: {summary: down}}
  expect:
    - {team: payments, pagedWithin: 2m}
"""


def test_apply_export_and_prune_round_trip(engine: Engine) -> None:
    first = apply(engine, BASE, PRACTICE)
    made = [
        (c.action, c.kind, c.name) for c in first.diff.changes if c.kind in ("Drill", "GameDay")
    ]
    assert made == [
        ("create", "Drill", "payments-weekly"),
        ("create", "GameDay", "checkout-outage"),
    ]
    with engine.connect() as conn:
        due = conn.execute(select(t.drills.c.next_run_at)).scalar_one()
        spec = conn.execute(select(t.drills.c.spec)).scalar_one()
    assert due == datetime(2026, 12, 1, 9, tzinfo=UTC)  # Tuesday 10:00 in Berlin (CET)
    assert spec["schedule"] == "Tue 10:00"
    assert spec["ackTarget"] == "5m"
    assert apply(engine, BASE, PRACTICE).diff.is_empty
    exported = dump_documents(use.export(store=SqlCatalogStore(engine)))
    assert "kind: Drill" in exported
    assert "kind: GameDay" in exported
    assert apply(engine, exported).diff.is_empty
    pruned = apply(engine, BASE, prune=True)
    gone = {(c.action, c.kind) for c in pruned.diff.changes if c.action != "unchanged"}
    assert gone == {("delete", "Drill"), ("delete", "GameDay")}
    with engine.connect() as conn:
        assert conn.execute(select(t.drills.c.id)).first() is None


@pytest.fixture
def cli_env(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("OWNIT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    apply(engine, BASE, PRACTICE)
    return engine


def test_gameday_cli(cli_env: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gameday", "run", "checkout-outage"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("game day checkout-outage run 1 started: 1 of 1 step(s) injected")
    assert main(["gameday", "report", "checkout-outage", "1", "--markdown"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# Game day checkout-outage — run 1\n")
    assert "step 1: down on checkout-api" in text
    assert main(["gameday", "report", "checkout-outage", "7"]) == 2
    assert (
        capsys.readouterr().err == "ownit: error: game day run 'checkout-outage/7' does not exist\n"
    )
    assert main(["gameday", "run", "nope"]) == 2
    assert capsys.readouterr().err == "ownit: error: game day 'nope' does not exist\n"


BAD_GAMEDAY = """\
apiVersion: ownit/v1
kind: Service
metadata: {name: lonely}
spec: {owner: payments}
---
apiVersion: ownit/v1
kind: GameDay
metadata: {name: broken}
spec:
  steps:
    - {after: 0s, service: checkout-api, event: {summary: down}}
    - {after: 30s, service: checkout-apj, event: {summary: slow}}
    - {after: 60s, service: lonely, event: {summary: quiet}}
"""


@pytest.mark.parametrize("command", ["lint", "apply"])
def test_a_gameday_step_on_an_unknown_service_is_a_file_and_line_error(
    cli_env: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """``ownit catalog lint`` and ``apply`` (against the applied catalog) name the file and
    line of each step that would fail when the game day runs; apply changes nothing."""
    path = tmp_path / "gameday.yaml"
    path.write_text(BAD_GAMEDAY)
    assert main(["catalog", command, str(path)]) == 1
    out = capsys.readouterr().out
    assert f'{path}:12: steps[1].service "checkout-apj" does not exist' in out
    assert '(did you mean "checkout-api"?)' in out
    assert f'{path}:13: steps[2].service "lonely" has no escalationPolicy' in out
    assert "Traceback" not in out
    with cli_env.connect() as conn:
        names = conn.execute(select(t.gamedays.c.name)).scalars().all()
    assert names == ["checkout-outage"]  # the applied one only
