"""``ownit drill run|list|runs`` against a real database (SQLite and PostgreSQL); bad input is
one line naming what is wrong, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db import tables as t
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.app import catalog
from ownit.cli.main import main
from tests.builders import FakeClock
from tests.integration.paging_world import SECRET, payments_on_call

CATALOG = """
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec:
  email: alice@example.com
  contacts: [{{name: hook, type: webhook, url: "http://127.0.0.1:9/alice", secret: "{secret}"}}]
  notificationRules: [{{contact: hook, after: 0m}}]
---
apiVersion: ownit/v1
kind: Drill
metadata: {{name: payments-weekly}}
spec: {{service: checkout-api, schedule: "Tue 10:00", timezone: Europe/Berlin}}
---
""" + payments_on_call()


@pytest.fixture
def cli_env(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("OWNIT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG.format(secret=SECRET, key="k" * 32))
    docs = load_files([str(path)]).documents
    catalog.apply(store=SqlCatalogStore(engine), documents=docs, clock=FakeClock())
    return engine


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_list_and_runs(cli_env: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "drill", "list")
    assert code == 0
    assert "payments-weekly" in out
    assert "Tue 10:00" in out
    assert "never" in out
    code, out, _ = run(capsys, "drill", "run", "payments-weekly")
    assert code == 0
    assert out.startswith("drill payments-weekly is running: incident #1 (inc_")
    code, _, err = run(capsys, "drill", "run", "payments-weekly")
    assert code == 2
    assert err == (
        "ownit: error: drill 'payments-weekly' is still running (incident #1): "
        "acknowledge or resolve it first\n"
    )
    code, out, _ = run(capsys, "drill", "runs", "payments-weekly")
    assert code == 0
    [row] = [line for line in out.splitlines() if line.startswith("1 ")]
    assert "#1" in row
    assert "open" in row


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("drill", "run", "nope"), "ownit: error: drill 'nope' does not exist\n"),
        (("drill", "runs", "nope"), "ownit: error: drill 'nope' does not exist\n"),
    ],
)
def test_unknown_drills_are_named(
    cli_env: Engine, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert (code, err) == (2, message)


def test_a_drill_that_would_page_nobody_says_why(
    cli_env: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    with cli_env.begin() as conn:
        conn.execute(update(t.services).values(escalation_policy_id=None))
    code, _, err = run(capsys, "drill", "run", "payments-weekly")
    assert code == 2
    assert err == (
        "ownit: error: drill 'payments-weekly' cannot run: checkout-api has no escalation "
        "policy: a drill on it would page nobody\n"
    )
