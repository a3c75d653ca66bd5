"""``ownit serve --workers N``: every API process logs in the configured format, like the
parent (the spawned processes configure their own logging)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson

from tests.integration.live import free_port


def _lines(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if line.strip()]


def test_every_api_process_logs_json_when_asked(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "OWNIT_DATABASE_URL": f"sqlite:///{tmp_path / 'ownit.db'}",
        "OWNIT_LOG_FORMAT": "json",
        "OWNIT_LOG_LEVEL": "INFO",
    }
    log = tmp_path / "serve.log"
    argv = [sys.executable, "-m", "ownit", "serve", "--no-engine", "--workers", "2"]
    with log.open("wb") as out:
        proc = subprocess.Popen(  # fixed argv: this interpreter running ownit
            [*argv, "--port", str(port)],
            env=env,
            stdout=out,
            stderr=out,
        )
    try:
        deadline = time.monotonic() + 60
        started: list[str] = []
        while time.monotonic() < deadline and len(started) < 2:
            assert proc.poll() is None, log.read_text()
            started = [line for line in _lines(log) if "Started server process" in line]
            time.sleep(0.2)
        assert len(started) == 2, log.read_text()
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    entries = [orjson.loads(line) for line in _lines(log)]  # every line is one JSON object
    pids = {e["msg"] for e in entries if e["msg"].startswith("Started server process")}
    assert len(pids) == 2, pids  # one line from each API process
    assert all({"ts", "level", "logger", "msg"} <= e.keys() for e in entries)
