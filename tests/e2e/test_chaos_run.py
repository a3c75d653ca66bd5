"""The real ``chaos run --hypothesis-strategy after-method-only`` with the example
experiment (``examples/chaos/owner-is-paged.json``) against a running ownit whose engine
pages: completed when the owner is paged in time, deviated when not (the service is in a
maintenance window, so the event pages nobody). And ``examples/chaos/drill-is-acknowledged.json``,
whose method is ``run_drill``: completed when a responder acknowledges the drill's page in
time, deviated when nobody does. SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import Engine

from tests.integration.chaos_world import Ownit, running_ownit
from tests.integration.live import free_port

EXAMPLES = Path(__file__).parents[2] / "examples" / "chaos"
EXPERIMENT = EXAMPLES / "owner-is-paged.json"
DRILL_EXPERIMENT = EXAMPLES / "drill-is-acknowledged.json"
CHAOS = Path(sys.executable).parent / "chaos"

pytestmark = pytest.mark.slow


def chaos_run(
    ownit: Ownit,
    tmp_path: Path,
    *variables: str,
    experiment: Path = EXPERIMENT,
    token: str | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> tuple[int, dict[str, Any], str]:
    """Run the experiment (``meanwhile`` runs while it does: a responder at work); its exit
    code, journal and output."""
    journal = tmp_path / "journal.json"
    env = os.environ | {
        "OWNIT_URL": ownit.url,
        "OWNIT_TOKEN": token or ownit.viewer,
        "OWNIT_ROUTING_KEY": ownit.key,
    }
    args = [f"--var={v}" for v in variables]
    with subprocess.Popen(
        [
            str(CHAOS),
            "--no-version-check",
            f"--log-file={tmp_path / 'chaos.log'}",
            f"--settings={tmp_path / 'settings.yaml'}",
            "run",
            "--hypothesis-strategy=after-method-only",
            f"--journal-path={journal}",
            *args,
            str(experiment),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        try:
            if meanwhile is not None:
                meanwhile()
            output, _ = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
    return process.returncode, orjson.loads(journal.read_bytes()), output


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


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        ("token", "ownit refused the token at http://127.0.0.1:"),
        ("url", "ownit: cannot reach http://127.0.0.1:"),
    ],
)
def test_wrong_settings_fail_with_a_sentence(
    engine: Engine, tmp_path: Path, wrong: str, says: str
) -> None:
    """A wrong token or a URL where nothing listens: the probe fails with one sentence
    naming the setting to check, in the journal and in Chaos Toolkit's output."""
    with running_ownit(engine, tmp_path) as ownit:
        if wrong == "token":
            ownit.viewer = "ownit_not_a_token"
        else:
            ownit.url = f"http://127.0.0.1:{free_port()}"
        returncode, journal, output = chaos_run(ownit, tmp_path, "wait_seconds=0")
    assert returncode == 1
    [probe] = _hypothesis(journal)["probes"]
    assert probe["status"] == "failed"
    sentence = probe["exception"][-1]
    assert says in sentence
    assert ("'ownit_token'" if wrong == "token" else "'ownit_url'") in sentence
    assert says in output
    assert "Traceback" not in sentence


def _acknowledge_when_paged(ownit: Ownit) -> None:
    """A responder at work: once the drill's page reaches alice, she acknowledges it."""
    deadline = time.monotonic() + 30
    while not ownit.hook.requests:
        assert time.monotonic() < deadline, "the drill paged nobody"
        time.sleep(0.1)
    r = httpx.post(
        f"{ownit.url}/api/v1/incidents/1/acknowledge",
        headers={"Authorization": f"Bearer {ownit.admin}"},
        timeout=10,
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("acknowledged", "wait", "status", "code", "met_target"),
    [
        (True, 30, "completed", 0, True),
        (False, 3, "deviated", 1, None),  # nobody acknowledged: still open, inside its 5 m
    ],
    ids=["drill-acknowledged-completes", "drill-unanswered-deviates"],
)
def test_chaos_run_drill_asserts_it_was_acknowledged_in_time(
    engine: Engine,
    tmp_path: Path,
    acknowledged: bool,
    wait: int,
    status: str,
    code: int,
    met_target: bool | None,
) -> None:
    with running_ownit(engine, tmp_path) as ownit:
        started = time.monotonic()
        returncode, journal, output = chaos_run(
            ownit,
            tmp_path,
            f"wait_seconds={wait}",
            experiment=DRILL_EXPERIMENT,
            token=ownit.responder,  # running a drill needs a responder
            meanwhile=(lambda: _acknowledge_when_paged(ownit)) if acknowledged else None,
        )
        assert time.monotonic() - started < 60
        assert returncode == code, output
        assert f"Experiment ended with status: {status}" in output
        assert journal["deviated"] is (not acknowledged)
        [probe] = _hypothesis(journal)["probes"]
        assert probe["activity"]["provider"]["func"] == "incident_acknowledged"
        assert probe["output"] is acknowledged
        [action] = journal["run"]
        assert action["status"] == "succeeded", action
        assert action["activity"]["provider"]["func"] == "run_drill"
        incident = action["output"]
        assert (incident["drill"], incident["number"]) == (True, 1)
        assert incident["title"].startswith("[DRILL] checkout-weekly: ")
        runs = httpx.get(
            f"{ownit.url}/api/v1/drills/checkout-weekly/runs",
            headers={"Authorization": f"Bearer {ownit.viewer}"},
            timeout=10,
        ).json()["runs"]
        assert [(r["incident"], r["met_target"]) for r in runs] == [(1, met_target)]
