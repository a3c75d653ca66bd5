"""What the browser tests share: a real ``ownit serve`` on a prepared database, waited for
until it answers ``/readyz``, and the sign-in form."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
from playwright import sync_api as playwright

from tests.integration.live import free_port

CHROMIUM = "/usr/bin/chromium"  # Debian's package (.ci/debian-packages.txt)
READY_WITHIN = 60  # seconds: ownit's start-up on a loaded two-core CI machine


@contextmanager
def ownit_serve(
    url: str, tmp_path: Path, *, engine: bool = False, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """``ownit serve`` (with its engine child, or ``--no-engine``) on ``url``; its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    full = dict(os.environ) | {"OWNIT_DATABASE_URL": url, "OWNIT_PORT": str(port)} | dict(env or {})
    argv = [sys.executable, "-m", "ownit", "serve", *([] if engine else ["--no-engine"])]
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=full, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + READY_WITHIN
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"ownit serve not ready: {log.read_text()}"
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def sign_in(page: playwright.Page, email: str, password: str) -> None:
    """Fill in and send the sign-in form the page shows."""
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
