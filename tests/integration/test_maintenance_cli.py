"""``ownit maintenance``, ``ownit heartbeat list`` and ``ownit catalog lint`` of the new kinds."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from ownit.cli.main import main
from tests.integration.test_catalog_ops import CATALOG, OPS, apply


@pytest.fixture
def cli_env(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("OWNIT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    apply(engine, CATALOG, OPS)
    return engine


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_start_list_cancel(cli_env: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "maintenance",
        "start",
        "--service",
        "checkout-api",
        "--for",
        "1h",
        "--name",
        "deploy",
        "--description",
        "deploy",
    )
    assert code == 0
    assert "maintenance window" in out
    assert "(deploy) active: checkout-api" in out
    code, out, _ = run(capsys, "maintenance", "list")
    assert code == 0
    assert "deploy" in out
    assert "active" in out
    assert "db-upgrade" not in out  # the catalog's window ended in 2026-11-26 13:00 UTC
    code, out, _ = run(capsys, "maintenance", "list", "--past")
    assert "db-upgrade" in out
    assert "catalog" in out
    window_id = next(line.split()[0] for line in out.splitlines() if " deploy " in line)
    code, out, _ = run(capsys, "maintenance", "cancel", window_id)
    assert (code, out) == (0, f"maintenance window {window_id} ended\n")


def test_bad_input_names_the_option(cli_env: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "maintenance", "start", "--service", "nope", "--for", "1h")
    assert code == 2
    assert "--service: service 'nope' does not exist" in err
    code, _, err = run(capsys, "maintenance", "start", "--service", "checkout-api", "--for", "x")
    assert code == 2
    assert "--for: 'x' is not a duration" in err


def test_heartbeat_list_hides_keys(cli_env: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "heartbeat", "list")
    assert code == 0
    assert "nightly-backup" in out
    assert "payments-db" in out
    assert "waiting" in out
    assert "generated0000000000000000000000a" not in out
    code, out, _ = run(capsys, "heartbeat", "list", "--show-keys")
    assert "gene…" in out  # a hint: the key itself was shown once, by the apply
    assert "generated0000000000000000000000a" not in out


def test_catalog_lint_reports_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ops.yaml"
    path.write_text(
        CATALOG + "---\n" + OPS.replace("end: 2026-11-26T13:00:00Z", "end: 2026-11-26T11:00:00Z")
    )
    code, out, err = run(capsys, "catalog", "lint", str(path))
    assert code != 0
    assert f"{path}:24: end " in out + err
    assert "must end after it starts" in out + err
