"""``make run``'s steps (without ``serve``) on a fresh database give the demo services
different levels, gold included, and its history incidents a timeline (SQLite and
PostgreSQL)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from ownit.adapters.db import tables as t
from ownit.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def demo_history() -> int:
    spec = importlib.util.spec_from_file_location(
        "demo_history", ROOT / "scripts" / "demo_history.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    code: int = module.main()
    return code


def test_the_demo_reaches_every_level_but_none(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OWNIT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert main(["catalog", "apply", str(ROOT / "examples" / "demo.yaml"), "--source", "demo"]) == 0
    assert demo_history() == 0
    capsys.readouterr()
    assert main(["standards", "report", "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    levels = {s["service"]: s["level"] for s in answer["services"]}
    assert levels == {
        "checkout-api": "gold",
        "edge-proxy": "bronze",
        "fraud-scoring": "silver",
        "payments-db": "silver",
        "search-api": "silver",
        "shop": "silver",
        "web-frontend": "silver",
    }
    missing = {s["service"]: s["missing"] for s in answer["services"]}
    assert missing["payments-db"] == ["has-contract", "no-overdue-actions"]
    assert "postmortems-done" in missing["web-frontend"]
    with engine.connect() as conn:
        kinds = conn.execute(
            select(t.log_entries.c.kind, func.count()).group_by(t.log_entries.c.kind)
        ).all()
        bare = conn.execute(
            select(func.count())
            .select_from(t.incidents)
            .where(~t.incidents.c.id.in_(select(t.log_entries.c.incident_id)))
        ).scalar_one()
    assert {k for k, _ in kinds} >= {"triggered", "paged", "notified", "acknowledged", "resolved"}
    assert bare == 0  # every incident has a timeline
