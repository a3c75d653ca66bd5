"""``make demo-monitoring`` as a test: a real Prometheus scrapes the demo service, a real
Alertmanager routes its alert to ownit, and the Chaos Toolkit experiment that stops the demo
service completes because team shop was paged within a minute (all on loopback, bounded)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).parents[2] / "examples" / "monitoring" / "run.py"

pytestmark = pytest.mark.slow


def test_stopping_the_demo_service_pages_its_owner(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(RUN)],
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
        cwd=tmp_path,  # from anywhere: the demo finds its files beside run.py
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Experiment ended with status: completed" in output
    assert "PAGE reached alice's webhook: incident.triggered #1" in output, output
    assert "ownit page: alice at" in output
    assert "'demo-shop is down: Prometheus cannot scrape it', triggered" in output
    assert "Traceback" not in output
