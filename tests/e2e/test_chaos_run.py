"""The real ``chaos run --hypothesis-strategy after-method-only`` with the example
experiment (``examples/chaos/owner-is-paged.json``) against a running ownit whose engine
pages: completed when the owner is paged in time, deviated when not (the service is in a
maintenance window, so the event pages nobody). SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import Engine

from tests.integration.chaos_world import Ownit, running_ownit

EXPERIMENT = Path(__file__).parents[2] / "examples" / "chaos" / "owner-is-paged.json"
CHAOS = Path(sys.executable).parent / "chaos"

pytestmark = pytest.mark.slow


def chaos_run(ownit: Ownit, tmp_path: Path, *variables: str) -> tuple[int, dict[str, Any], str]:
    """Run the experiment; its exit code, journal and output."""
    journal = tmp_path / "journal.json"
    env = os.environ | {
        "OWNIT_URL": ownit.url,
        "OWNIT_TOKEN": ownit.viewer,
        "OWNIT_ROUTING_KEY": ownit.key,
    }
    args = [f"--var={v}" for v in variables]
    done = subprocess.run(
        [
            str(CHAOS),
            "--no-version-check",
            f"--log-file={tmp_path / 'chaos.log'}",
            f"--settings={tmp_path / 'settings.yaml'}",
            "run",
            "--hypothesis-strategy=after-method-only",
            f"--journal-path={journal}",
            *args,
            str(EXPERIMENT),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, orjson.loads(journal.read_bytes()), done.stdout + done.stderr


def _hypothesis(journal: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = journal["steady_states"]["after"]
    return found


@pytest.mark.parametrize(
    ("maintenance", "status", "deviated", "code", "pages"),
    [
        (False, "completed", False, 0, ["/alice"]),
        (True, "deviated", True, 1, []),
    ],
    ids=["owner-paged-completes", "maintenance-deviates"],
)
def test_chaos_run_asserts_the_owner_was_paged(
    engine: Engine,
    tmp_path: Path,
    maintenance: bool,
    status: str,
    deviated: bool,
    code: int,
    pages: list[str],
) -> None:
    with running_ownit(engine, tmp_path) as ownit:
        if maintenance:
            r = httpx.post(
                f"{ownit.url}/api/v1/maintenance-windows",
                json={"services": ["checkout-api"], "duration": "10m"},
                headers={"Authorization": f"Bearer {ownit.admin}"},
                timeout=10,
            )
            assert r.status_code == 201, r.text
        returncode, journal, output = chaos_run(ownit, tmp_path, "wait_seconds=5")
        assert returncode == code, output
        assert f"Experiment ended with status: {status}" in output
        assert journal["deviated"] is deviated
        [probe] = _hypothesis(journal)["probes"]
        assert probe["output"] is (not deviated)
        assert probe["activity"]["provider"]["func"] == "team_paged"
        [action] = journal["run"]
        assert action["status"] == "succeeded", action
        assert action["output"]["status"] == "success"  # ownit took the event
        deadline = time.monotonic() + 15  # the page recorded, its delivery may be on its way
        while len(ownit.hook.requests) < len(pages) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [r.path for r in ownit.hook.requests][:1] == pages


def test_a_wrong_token_fails_with_a_sentence(engine: Engine, tmp_path: Path) -> None:
    with running_ownit(engine, tmp_path) as ownit:
        ownit.viewer = "ownit_not_a_token"
        returncode, journal, output = chaos_run(ownit, tmp_path, "wait_seconds=0")
    assert returncode == 1
    [probe] = _hypothesis(journal)["probes"]
    assert probe["status"] == "failed"
    assert "ownit refused the token" in probe["exception"][-1]
    assert "ownit refused the token" in output
