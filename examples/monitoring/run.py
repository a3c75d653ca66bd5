"""The monitoring demo, end to end, on loopback ports in a temporary directory:

ownit (SQLite) ← real Alertmanager ← real Prometheus scraping a tiny demo service; a Chaos
Toolkit experiment stops the demo service and asserts its owner (team shop) was paged
within a minute. Prints what happened; exits 0 when the experiment completed, 1 otherwise.
Run it with ``make demo-monitoring`` (needs the Debian packages prometheus and
prometheus-alertmanager, and ``pip install -e '.[chaos]'``)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent  # ownit and chaos, installed beside this Python
STARTED = time.monotonic()


def say(text: str) -> None:
    print(f"[{time.monotonic() - STARTED:5.1f}s] {text}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def need(program: str, package: str) -> str:
    found = shutil.which(program)
    if found is None:
        sys.exit(f"demo-monitoring: {program} is missing: apt-get install -y {package}")
    return found


def get(url: str, token: str | None = None) -> Any:
    request = urllib.request.Request(url)  # noqa: S310 (loopback http URLs built here)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.loads(response.read())


def wait_until(what: str, check: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if check():
                return
        except (OSError, urllib.error.URLError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"demo-monitoring: {what} did not happen within {seconds:.0f}s")
        time.sleep(0.2)


def ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
        return bool(response.status == 200)


@contextmanager
def page_receiver(pages: list[dict[str, Any]]) -> Iterator[str]:
    """Stands in for alice's phone: a webhook receiver that prints each page."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))))
            pages.append(body | {"received": time.monotonic()})
            data = body.get("data") or {}
            say(
                f"PAGE reached alice's webhook: {body.get('type')} #{data.get('number')} "
                f"{data.get('title')!r}"
            )
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def cli(args: list[str], env: dict[str, str]) -> str:
    """Run an ``ownit`` command; its output, or stop the demo with what it said."""
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(
            f"demo-monitoring: {' '.join(args[1:])} failed:\n{done.stdout}{done.stderr}"
        )
    return done.stdout


def fill(name: str, work: Path, **values: str) -> Path:
    text = (HERE / name).read_text()
    for key, value in values.items():
        text = text.replace(key, value)
    path = work / name
    path.write_text(text)
    return path


def start(stack: ExitStack, work: Path, name: str, args: list[str], env: dict[str, str]) -> int:
    log = (work / f"{name}.log").open("wb")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=work)

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()

    stack.callback(stop)
    return proc.pid


def run(work: Path) -> int:
    prometheus = need("prometheus", "prometheus")
    alertmanager = need("prometheus-alertmanager", "prometheus-alertmanager")
    ports = {n: free_port() for n in ("ownit", "demo", "prometheus", "alertmanager")}
    ownit_url = f"http://127.0.0.1:{ports['ownit']}"
    pages: list[dict[str, Any]] = []
    with ExitStack() as stack:
        hook = stack.enter_context(page_receiver(pages))
        env = os.environ | {
            "OWNIT_DATABASE_URL": f"sqlite:///{work / 'ownit.db'}",
            "OWNIT_HOST": "127.0.0.1",
            "OWNIT_PORT": str(ports["ownit"]),
            "OWNIT_BASE_URL": ownit_url,
            "OWNIT_OUTBOUND_ALLOW": "127.0.0.0/8",  # alice's "phone" is on loopback
        }
        ownit = str(BIN / "ownit")
        cli([ownit, "db", "upgrade"], env)
        catalog = fill("catalog.yaml", work, HOOK_URL=hook)
        cli([ownit, "catalog", "apply", str(catalog), "--source", "demo-monitoring"], env)
        made = cli([ownit, "token", "create", "--name", "chaos", "--role", "viewer"], env)
        token = next(w for w in made.split() if w.startswith("ownit_"))
        start(stack, work, "ownit", [ownit, "serve"], env)
        wait_until("ownit ready", lambda: ok(f"{ownit_url}/readyz"))
        say(f"ownit on {ownit_url} (team shop owns demo-shop; alice is on call)")

        demo_pid = start(
            stack,
            work,
            "demo",
            [sys.executable, str(HERE / "demo_service.py"), str(ports["demo"])],
            env,
        )
        wait_until("demo service up", lambda: ok(f"http://127.0.0.1:{ports['demo']}/metrics"))
        say(f"demo service (pid {demo_pid}) on http://127.0.0.1:{ports['demo']}/metrics")

        am_config = fill("alertmanager.yml", work, OWNIT_URL=ownit_url)
        am_url = f"http://127.0.0.1:{ports['alertmanager']}"
        start(
            stack,
            work,
            "alertmanager",
            [
                alertmanager,
                f"--config.file={am_config}",
                f"--storage.path={work / 'am'}",
                f"--web.listen-address=127.0.0.1:{ports['alertmanager']}",
                "--cluster.listen-address=",
            ],
            env,
        )
        wait_until("Alertmanager ready", lambda: ok(f"{am_url}/-/ready"))
        say(f"Alertmanager on {am_url}, routing to ownit's Alertmanager endpoint")

        shutil.copy(HERE / "rules.yml", work / "rules.yml")
        prom_config = fill(
            "prometheus.yml",
            work,
            ALERTMANAGER_PORT=str(ports["alertmanager"]),
            DEMO_PORT=str(ports["demo"]),
        )
        prom_url = f"http://127.0.0.1:{ports['prometheus']}"
        start(
            stack,
            work,
            "prometheus",
            [
                prometheus,
                f"--config.file={prom_config}",
                f"--storage.tsdb.path={work / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{ports['prometheus']}",
            ],
            env,
        )

        def scraped_up() -> bool:
            found = get(f"{prom_url}/api/v1/query?query=up%7Bjob%3D%22demo-shop%22%7D")
            return [r["value"][1] for r in found["data"]["result"]] == ["1"]

        wait_until("Prometheus scraping the demo service", scraped_up)
        say(f"Prometheus on {prom_url} scrapes demo-shop every 1s; rule: up == 0 for 10s")

        say("chaos run: the experiment stops demo-shop and expects team shop paged in 60s")
        chaos_env = env | {"OWNIT_URL": ownit_url, "OWNIT_TOKEN": token, "DEMO_PID": str(demo_pid)}
        stopped_at = time.monotonic()
        chaos = subprocess.run(
            [
                str(BIN / "chaos"),
                "--no-version-check",
                f"--log-file={work / 'chaos.log'}",
                f"--settings={work / 'chaos-settings.yaml'}",
                "run",
                "--hypothesis-strategy=after-method-only",
                f"--journal-path={work / 'journal.json'}",
                str(HERE / "experiment.json"),
            ],
            env=chaos_env,
            capture_output=True,
            text=True,
            timeout=150,
            check=False,
        )
        for line in (chaos.stdout + chaos.stderr).splitlines():
            print(f"        chaos | {line}", flush=True)
        incidents = get(f"{ownit_url}/api/v1/incidents?service=demo-shop", token)["incidents"]
        found = get(f"{ownit_url}/api/v1/pages?team=shop&within_seconds=300", token)["pages"]
        for incident in incidents:
            say(
                f"ownit incident #{incident['number']} on {incident['service']}: "
                f"{incident['title']!r}, {incident['status']}"
            )
        for page in found:
            say(
                f"ownit page: {page['user']} at {page['paged_at']} (team {page['team']}, "
                f"incident #{page['number']})"
            )
        wait_until("the page reaching alice", lambda: bool(pages), seconds=15 if found else 0)
        journal = json.loads((work / "journal.json").read_text())
        if chaos.returncode == 0 and not journal["deviated"]:
            took = pages[0]["received"] - stopped_at
            say(
                f"COMPLETED: demo-shop stopped, its owner was paged {took:.0f}s after the chaos "
                "run began (10s of that is the rule's 'for')"
            )
            return 0
        say(f"DEVIATED or FAILED (chaos exit {chaos.returncode}); logs in {work}")
        return 1


def main() -> int:
    keep = os.environ.get("DEMO_KEEP") == "1"
    work = Path(tempfile.mkdtemp(prefix="ownit-demo-monitoring-"))
    try:
        return run(work)
    finally:
        if keep:
            say(f"kept {work} (DEMO_KEEP=1)")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
