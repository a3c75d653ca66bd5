"""Paging benchmark: how long from an event to the first page delivered, idle and in a flood.

Run with ``.venv/bin/python benchmarks/paging.py [--duration 10] [--only sqlite]``.

For each database (SQLite, then PostgreSQL) one run:

1. starts a loopback webhook receiver (``_receiver.py``) and applies a catalog of two
   services, each with a policy whose first level pages its own person by webhook:
   ``probe`` (paging ``probe-oncall``) and ``flood`` (paging ``flood-oncall``);
2. starts ``ownit serve`` (its engine as users run it; ``--serve-arg`` adds arguments) with
   the rate limit off and per-contact bundling off (``OWNIT_CONTACT_RATE_LIMIT=0``);
3. **idle**: sends a probe trigger every 100 ms for ``--duration`` seconds, each with its own
   dedup key, so each is its own incident paging ``probe-oncall`` at once;
4. **flood**: the same probes while ``wrk`` sends distinct triggers to ``flood`` as fast as
   it can (every one a new incident that pages ``flood-oncall``);
5. waits up to ``--grace`` seconds for the last pages, then matches each accepted (202)
   probe to its first page at the receiver (by incident number, bundled pages included).

Latency is from just before the probe's request was sent to the page's arrival: the whole
path a user sees (ingest, commit, engine, delivery). It prints p50/p99/max per phase, the
probes lost (accepted but never paged) and duplicated (paged more than once), the flood's
accepted events/s, and ``RESULT name=paging-<db>-<phase> p50_ms=… p99_ms=… lost=… dup=…``.
It measures and prints; it asserts nothing. Needs ``wrk`` and, for PostgreSQL, a server at
127.0.0.1:5432 (``--pg-admin-url``).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # benchmarks._support

import orjson

from benchmarks._receiver import Arrivals, start_receiver
from benchmarks._support import (
    HOST,
    PG_ADMIN_URL,
    WRK_DONE_LUA,
    BenchError,
    Proc,
    Server,
    WrkFigures,
    free_port,
    log,
    postgres_database,
    run_wrk,
    serve_env,
    source_revision,
    warn_if_busy,
)

PROBE_EVERY_S = 0.1
TARGET_IDLE_P99_MS = 250.0
TARGET_FLOOD_P99_MS = 1000.0
FLOOD_CONNECTIONS = 16
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a test key, loopback only

CATALOG = """
apiVersion: ownit/v1
kind: User
metadata: {{name: {name}-oncall}}
spec:
  email: {name}@example.com
  contacts:
    - name: hook
      type: webhook
      url: "{hook}/{name}"
      secret: "{secret}"
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: {name}-team}}
spec:
  members: [{{user: {name}-oncall}}]
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{name: {name}}}
spec:
  team: {name}-team
  levels: [{{after: 30m, targets: [{{user: {name}-oncall}}]}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: {name}}}
spec:
  owner: {name}-team
  escalationPolicy: {name}
  urgency: high
  integrations: [{{name: events, type: events-v2, key: {key}}}]
"""

FLOOD_LUA = (
    r"""
-- Written by benchmarks/paging.py. args: routing key, tag. Distinct triggers.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local key, tag
local n = 0
local body_fmt = '{"routing_key":"%s","event_action":"trigger","dedup_key":"%s",'
  .. '"payload":{"summary":"flood %s","source":"flood","severity":"critical"}}'
local headers = {["Content-Type"] = "application/json"}
function init(args)
  key = args[1]
  tag = args[2]
end
function request()
  n = n + 1
  local dedup = string.format("%s-%d-%d", tag, tid, n)
  return wrk.format("POST", "/v2/enqueue", headers, string.format(body_fmt, key, dedup, dedup))
end
"""
    + WRK_DONE_LUA
)


@dataclass
class Phase:
    backend: str
    name: str
    sent: dict[str, float] = field(default_factory=dict)  # probe dedup key -> send epoch
    refused: int = 0  # probes not answered 202
    ack_ms: list[float] = field(default_factory=list)  # the probes' POST -> 202
    latencies_ms: list[float] = field(default_factory=list)
    lost: int = 0
    duplicated: int = 0
    flood: WrkFigures | None = None

    def pct(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def prepare(url: str, workdir: Path, hook: str, keys: dict[str, str]) -> None:
    from ownit.adapters.catalog.yaml_source import load_files
    from ownit.adapters.db.catalog_store import SqlCatalogStore
    from ownit.adapters.db.engine import make_engine
    from ownit.adapters.db.migrate import upgrade
    from ownit.app import catalog
    from ownit.app.clock import SystemClock

    engine = make_engine(url)
    try:
        upgrade(engine)
        path = workdir / "catalog.yaml"
        path.write_text(
            "---".join(
                CATALOG.format(name=name, hook=hook, key=key, secret=SECRET)
                for name, key in keys.items()
            )
        )
        loaded = load_files([str(path)])
        if loaded.problems:
            raise BenchError(f"the benchmark catalog has problems: {loaded.problems}")
        catalog.apply(
            store=SqlCatalogStore(engine), documents=loaded.documents, clock=SystemClock()
        )
    finally:
        engine.dispose()


def probe_numbers(url: str, prefix: str) -> dict[str, int]:
    """Incident number by dedup key, for the probe incidents."""
    from sqlalchemy import select

    from ownit.adapters.db import tables as t
    from ownit.adapters.db.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(t.incidents.c.dedup_key, t.incidents.c.number).where(
                    t.incidents.c.dedup_key.startswith(prefix, autoescape=True)
                )
            ).all()
    finally:
        engine.dispose()
    return {str(k): int(n) for k, n in rows}


def send_probes(port: int, key: str, tag: str, seconds: float, phase: Phase) -> None:
    """A probe trigger every 100 ms on one keep-alive connection."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        start = time.monotonic()
        i = 0
        while time.monotonic() - start < seconds:
            i += 1
            dedup = f"{tag}-{i}"
            body = orjson.dumps(
                {
                    "routing_key": key,
                    "event_action": "trigger",
                    "dedup_key": dedup,
                    "payload": {
                        "summary": f"probe {dedup}",
                        "source": "probe",
                        "severity": "critical",
                    },
                }
            )
            sent = time.time()
            conn.request("POST", "/v2/enqueue", body, {"Content-Type": "application/json"})
            answer = conn.getresponse()
            answer.read()
            if answer.status == 202:
                phase.sent[dedup] = sent
                phase.ack_ms.append(1000 * (time.time() - sent))
            else:
                phase.refused += 1
            next_at = start + i * PROBE_EVERY_S
            time.sleep(max(0.0, next_at - time.monotonic()))
    finally:
        conn.close()


def warm_up(port: int, key: str, tag: str, arrivals: Arrivals, url: str) -> None:
    """One probe, not measured, until its page arrives: the engine (a child process of the
    server, or the workers) is up before the idle phase starts."""
    phase = Phase("warm-up", "warm-up")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        send_probes(port, key, tag, 0.05, phase)
        settle(phase, arrivals, url, tag + "-", 5.0)
        if phase.latencies_ms:
            return
        phase = Phase("warm-up", "warm-up")
        tag += "x"
    raise BenchError("no page arrived within 60 s of the server starting: is the engine up?")


def settle(phase: Phase, arrivals: Arrivals, url: str, prefix: str, grace: float) -> None:
    """Wait for the probes' pages (at most ``grace`` s), then match them."""
    deadline = time.monotonic() + grace
    numbers: dict[str, int] = {}
    while True:
        arrivals.poll()
        numbers = probe_numbers(url, prefix)
        if (
            all(("probe-oncall", numbers.get(k, -1)) in arrivals.first for k in phase.sent)
            or time.monotonic() > deadline
        ):
            break
        time.sleep(0.2)
    time.sleep(0.3)
    arrivals.poll()
    for dedup, sent in phase.sent.items():
        number = numbers.get(dedup, -1)
        got = arrivals.first.get(("probe-oncall", number))
        if got is None:
            phase.lost += 1
            continue
        phase.latencies_ms.append(1000 * (got - sent))
        phase.duplicated += arrivals.counts[("probe-oncall", number)] - 1


def run_backend(args: argparse.Namespace, backend: str, url: str, workdir: Path) -> list[Phase]:
    receiver, hook, arrivals = start_receiver(workdir)
    keys = {"probe": uuid.uuid4().hex, "flood": uuid.uuid4().hex}
    server: Server | None = None
    phases: list[Phase] = []
    try:
        prepare(url, workdir, hook, keys)
        port = free_port()
        env = serve_env(url, port, OWNIT_CONTACT_RATE_LIMIT="0")
        server = Server(
            f"{backend}-serve",
            [sys.executable, "-m", "ownit", "serve", *args.serve_arg],
            env,
            workdir / f"{backend}-serve.log",
        )
        server.serve(port)
        extra = [
            Proc(
                f"{backend}-worker-{i}",
                [sys.executable, "-m", "ownit", "worker"],
                env,
                workdir / f"{backend}-worker-{i}.log",
            )
            for i in range(args.workers)
        ]
        for proc in extra:
            proc.start()
        warm_up(port, keys["probe"], f"warm-{uuid.uuid4().hex[:8]}", arrivals, url)
        script = workdir / "flood.lua"
        script.write_text(FLOOD_LUA)
        run_id = uuid.uuid4().hex[:8]
        try:
            for name in ("idle", "flood"):
                phase = Phase(backend, name)
                phases.append(phase)
                tag = f"probe-{run_id}-{name}"
                log(f"[{backend}] {name}: a probe every 100 ms for {args.duration}s")
                flood: list[WrkFigures] = []
                flooder = None
                if name == "flood":

                    def go(flood: list[WrkFigures] = flood) -> None:
                        flood.append(
                            run_wrk(
                                script,
                                port,
                                args.duration + 1,
                                [keys["flood"], f"flood-{run_id}"],
                                threads=1,
                                connections=FLOOD_CONNECTIONS,
                            )
                        )

                    flooder = threading.Thread(target=go, daemon=True)
                    flooder.start()
                    time.sleep(0.5)  # the flood is on before the first probe
                send_probes(port, keys["probe"], tag, args.duration, phase)
                if flooder is not None:
                    flooder.join(args.duration + 90)
                    phase.flood = flood[0] if flood else None
                settle(phase, arrivals, url, tag + "-", args.grace)
        finally:
            for proc in extra:
                proc.stop()
    finally:
        if server is not None:
            server.stop()
        receiver.stop()
    return phases


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def report(phases: Sequence[Phase], args: argparse.Namespace) -> None:
    print()
    print(
        f"ownit paging benchmark: {os.cpu_count()} CPUs, a probe every "
        f"{PROBE_EVERY_S * 1000:.0f} ms for {args.duration}s per phase, flood wrk -t1 "
        f"-c{FLOOD_CONNECTIONS}; ownit serve {' '.join(args.serve_arg)} + {args.workers} worker(s);"
        f" commit {source_revision()}"
    )
    header = (
        f"{'run':<20}{'probes':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'lost':>6}{'dup':>5}"
        f"{'refused':>8}{'202 p50':>8}{'flood ev/s':>11}{'flood p99':>10}"
    )
    print(header)
    print("-" * len(header))
    for ph in phases:
        flood_rate = "" if ph.flood is None else f"{ph.flood.rate:.0f}"
        flood_p99 = "" if ph.flood is None else f"{ph.flood.p99_ms:.0f}"
        top = max(ph.latencies_ms) if ph.latencies_ms else float("nan")
        ack = statistics.median(ph.ack_ms) if ph.ack_ms else float("nan")
        print(
            f"{ph.backend + '-' + ph.name:<20}{len(ph.sent):>8}{ph.pct(50):>9.1f}{ph.pct(99):>9.1f}"
            f"{top:>9.1f}{ph.lost:>6}{ph.duplicated:>5}{ph.refused:>8}{ack:>8.1f}"
            f"{flood_rate:>11}{flood_p99:>10}"
        )
    print(
        f"\ntargets (not asserted): p99 < {TARGET_IDLE_P99_MS:.0f} ms idle, "
        f"< {TARGET_FLOOD_P99_MS:.0f} ms in a flood; 0 lost, 0 duplicated"
    )
    for ph in phases:
        target = TARGET_IDLE_P99_MS if ph.name == "idle" else TARGET_FLOOD_P99_MS
        ok = ph.pct(99) < target and not ph.lost and not ph.duplicated
        mean = statistics.fmean(ph.latencies_ms) if ph.latencies_ms else float("nan")
        print(
            f"RESULT name=paging-{ph.backend}-{ph.name} probes={len(ph.sent)} "
            f"p50_ms={ph.pct(50):.1f} p99_ms={ph.pct(99):.1f} mean_ms={mean:.1f} "
            f"lost={ph.lost} dup={ph.duplicated} "
            f"ack_p50_ms={statistics.median(ph.ack_ms) if ph.ack_ms else float('nan'):.1f} "
            f"flood_rate={0.0 if ph.flood is None else ph.flood.rate:.1f} "
            f"target={'met' if ok else 'missed'}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=10, help="seconds per phase")
    parser.add_argument("--grace", type=float, default=30.0, help="seconds to wait for pages")
    parser.add_argument("--only", action="append", choices=("sqlite", "postgresql"))
    parser.add_argument(
        "--serve-arg", action="append", default=[], help="an argument for `ownit serve`"
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="extra `ownit worker` processes beside serve"
    )
    parser.add_argument(
        "--pg-admin-url", default=os.environ.get("OWNIT_BENCH_PG_ADMIN_URL", PG_ADMIN_URL)
    )
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 600:
        parser.error("--duration must be between 1 and 600 seconds")
    if shutil.which("wrk") is None:
        log("benchmarks/paging.py needs the wrk load generator: apt-get install wrk")
        return 2
    signal.signal(signal.SIGTERM, _on_sigterm)
    warn_if_busy()
    workdir = Path(tempfile.mkdtemp(prefix="ownit-bench-paging-"))
    phases: list[Phase] = []
    failed = False
    try:
        for backend in args.only or ("sqlite", "postgresql"):
            if backend == "sqlite":
                phases += run_backend(args, backend, f"sqlite:///{workdir / 'paging.db'}", workdir)
            else:
                with postgres_database(args.pg_admin_url) as url:
                    phases += run_backend(args, backend, url, workdir)
    except BenchError as exc:
        log(f"benchmark stopped: {exc}")
        failed = True
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        failed = True
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if phases:
        report(phases, args)
    return 1 if failed else 0


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main())
