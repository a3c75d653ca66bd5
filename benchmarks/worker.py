"""Engine benchmark: the durable engine end to end on PostgreSQL with ``ownit worker`` processes.

Run with ``.venv/bin/python benchmarks/worker.py [--incidents 10000] [--workers 2]``.

One run:

1. starts a loopback webhook receiver in its own process (asyncio, HTTP/1.1 keep-alive): it
   answers 200 to every POST and records each request's arrival time, ``webhook-id``,
   recipient, incident number and the incidents bundled into it;
2. creates a fresh PostgreSQL database ``ownit_bench_<random>`` and migrates it;
3. applies a catalog: ``--users`` users (default 3), each with one signed ``webhook``
   contact on the receiver, a team, a one-level escalation policy paging all of them, and a
   service with an ``events-v2`` integration (``--spread N`` instead: N users, each with a
   policy and a service of their own, and the incidents spread over those services, so each
   incident pages one user);
4. opens ``--incidents`` incidents through the ingest store (batches of 500), so every
   incident's escalation timer is due;
5. starts ``--workers`` ``ownit worker`` processes and waits (at most ``--timeout`` seconds)
   until the receiver has seen every notification (one per incident and paged user);
6. stops everything, reads the outbox, and drops the database (also on Ctrl-C).

The engine sends the notifications one contact has in one claimed batch as **one** message
(the others listed in its ``bundle``), so a message may carry several notifications; a
notification counts as delivered when the first message carrying it arrives. The workers
run with ``OWNIT_CONTACT_RATE_LIMIT=0`` (no holding back past N messages a minute) unless
``--contact-rate-limit`` says otherwise: the benchmark measures the engine, not the limiter.

It reports notifications (and messages) per second, the lag from each notification's due
time (``notifications.due_at``) to its arrival at the receiver (p50/p99/max), duplicates,
each worker's peak RSS and CPU, the CPU of the database's PostgreSQL backends, and the two
phases apart: the escalation advance (``notifications.created_at``: when the engine advanced
the incident and wrote its outbox rows) and delivery (``sent_at`` is when a row was claimed).

``--in-process`` runs one engine inside this process instead of workers, calling
``advance_due`` and ``deliver_due`` in turn (as ``run_once`` does) and timing each; with
``--profile`` it also prints a cProfile of the engine thread and of the sender threads
(each thread's CPU time; ``--profile-wall`` for wall time, waits included).

It measures and prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # benchmarks._support

from benchmarks._receiver import Arrivals, receiver_main
from benchmarks._support import (
    HOST,
    PG_ADMIN_URL,
    BenchError,
    Proc,
    free_port,
    log,
    machine_busy_s,
    postgres_database,
    proc_cpu_s,
    wait_for_port,
    warn_if_busy,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a test key, loopback only
INGEST_BATCH = 500
POLL_S = 0.05

# The targets on a 2-core machine. Printed, not asserted.
TARGET_RATE = 1000.0  # notifications per second
TARGET_P99_S = 2.0

CATALOG_USER = """
apiVersion: ownit/v1
kind: User
metadata: {{name: {user}}}
spec:
  email: {user}@example.com
  contacts:
    - name: hook
      type: webhook
      url: "{hook}/{user}"
      secret: "{secret}"
"""

CATALOG_TEAM = """
apiVersion: ownit/v1
kind: Team
metadata: {{name: bench}}
spec:
  members: [{members}]
"""

CATALOG_SERVICE = """
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{name: {name}}}
spec:
  team: bench
  levels: [{{after: 30m, targets: [{targets}]}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: {name}}}
spec:
  owner: bench
  escalationPolicy: {name}
  urgency: high
  integrations: [{{name: events, type: events-v2, key: {key}}}]
"""


# --------------------------------------------------------------------------- processes


def pg_backends_cpu_s(url: str) -> float:
    """CPU seconds used so far by the PostgreSQL backends connected to this database (the
    server runs on this machine); backends that already exited are not counted."""
    from sqlalchemy import text

    from ownit.adapters.db.engine import make_engine

    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            pids = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalars()
            return sum(proc_cpu_s(int(pid)) for pid in pids)
    except Exception as exc:
        log(f"cannot read the PostgreSQL backends' CPU: {exc}")
        return 0.0
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- database


def catalog_text(hook_url: str, users: Sequence[str], keys: Sequence[str]) -> str:
    """One service paging every user (one key), or one service per user (a key each)."""
    docs = [CATALOG_USER.format(user=u, hook=hook_url, secret=SECRET) for u in users]
    members = ", ".join(f"{{user: {u}}}" for u in users)
    docs.append(CATALOG_TEAM.format(members=members))
    if len(keys) == 1:
        docs.append(CATALOG_SERVICE.format(name="bench-engine", targets=members, key=keys[0]))
    else:
        docs += [
            CATALOG_SERVICE.format(name=f"bench-{u}", targets=f"{{user: {u}}}", key=key)
            for u, key in zip(users, keys, strict=True)
        ]
    return "---".join(docs)


def prepare(
    url: str, workdir: Path, hook_url: str, users: Sequence[str], incidents: int, spread: bool
) -> str:
    """Migrate, apply the catalog and open ``incidents`` incidents; PostgreSQL's version.

    ``spread``: one service per user, incident ``i`` on service ``i mod len(users)``."""
    from sqlalchemy import text

    from ownit.adapters.catalog.yaml_source import load_files
    from ownit.adapters.db.catalog_store import SqlCatalogStore
    from ownit.adapters.db.engine import make_engine
    from ownit.adapters.db.ingest_store import SqlIngestStore
    from ownit.adapters.db.migrate import upgrade
    from ownit.app import catalog
    from ownit.app.clock import SystemClock
    from ownit.domain.events import Action, Event, Severity

    # 32 characters, as Events v2 requires
    keys = [uuid.uuid4().hex for _ in (users if spread else users[:1])]
    engine = make_engine(url)
    try:
        upgrade(engine)
        path = workdir / "catalog.yaml"
        path.write_text(catalog_text(hook_url, users, keys))
        loaded = load_files([str(path)])
        if loaded.problems:
            raise BenchError(f"the benchmark catalog has problems: {loaded.problems}")
        catalog.apply(
            store=SqlCatalogStore(engine), documents=loaded.documents, clock=SystemClock()
        )
        store = SqlIngestStore(engine)
        started = time.perf_counter()
        for first in range(0, incidents, INGEST_BATCH):
            items = [
                [
                    Event(
                        "events-v2",
                        keys[i % len(keys)],
                        Action.TRIGGER,
                        f"k{i}",
                        "summary",
                        "source",
                        Severity.CRITICAL,
                    )
                ]
                for i in range(first, min(first + INGEST_BATCH, incidents))
            ]
            store.apply_batch(items, datetime.now(UTC))
        log(f"opened {incidents} incidents in {time.perf_counter() - started:.1f}s")
        with engine.connect() as conn:
            version = str(conn.execute(text("SHOW server_version")).scalar_one())
            conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    return version


@dataclass
class Outbox:
    """The outbox after the run, as the analysis needs it."""

    # All keyed by (user, incident number); times are epoch seconds.
    due: dict[tuple[str, int], float] = field(default_factory=dict)  # due_at
    created: dict[tuple[str, int], float] = field(default_factory=dict)  # created_at
    sent: dict[tuple[str, int], float] = field(default_factory=dict)  # sent_at (claim time)
    statuses: Counter[str] = field(default_factory=Counter)
    incidents: set[str] = field(default_factory=set)  # incidents with outbox rows (advanced)
    escalations_left: int = 0  # escalations still due (not advanced)


def read_outbox(url: str, since: datetime) -> Outbox:
    from sqlalchemy import func, select

    from ownit.adapters.db import tables as t
    from ownit.adapters.db.engine import make_engine

    n, i = t.notifications, t.incidents
    outbox = Outbox()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    n.c.user_name,
                    i.c.number,
                    n.c.incident_id,
                    n.c.status,
                    n.c.due_at,
                    n.c.created_at,
                    n.c.sent_at,
                ).join(i, i.c.id == n.c.incident_id)
            ).all()
            outbox.escalations_left = conn.execute(
                select(func.count())
                .select_from(t.escalations)
                .where(t.escalations.c.due_at <= since)
            ).scalar_one()
    finally:
        engine.dispose()
    for user, number, incident_id, status, due_at, created_at, sent_at in rows:
        key = (str(user), int(number))
        outbox.incidents.add(incident_id)
        outbox.statuses[status] += 1
        outbox.due[key] = due_at.timestamp()
        outbox.created[key] = created_at.timestamp()
        if sent_at is not None:
            outbox.sent[key] = sent_at.timestamp()
    return outbox


# --------------------------------------------------------------------------- running


@dataclass
class Run:
    args: argparse.Namespace
    workdir: Path
    users: list[str]
    expected: int
    version: str = "?"
    started: float = 0.0  # epoch: workers (or the in-process engine) started
    finished: float = 0.0  # epoch: the receiver had everything, or the wait ran out
    timed_out: bool = False
    workers: list[Proc] = field(default_factory=list)
    receiver: Proc | None = None
    arrivals: Arrivals | None = None
    outbox: Outbox | None = None
    busy_s: float = 0.0  # machine busy CPU seconds during the measured part
    self_cpu_s: float = 0.0  # --in-process: CPU seconds of this process (the engine)
    pg_cpu_s: float = 0.0  # CPU seconds of the database's PostgreSQL backends
    phases: dict[str, float] = field(default_factory=dict)  # in-process: seconds per phase
    profile_text: str = ""
    notes: list[str] = field(default_factory=list)


def wait_for_all(run: Run, alive: Callable[[], bool]) -> None:
    """Poll the receiver until every notification arrived, the time ran out, or ``alive``
    says the engine is gone."""
    assert run.arrivals is not None
    deadline = time.monotonic() + run.args.timeout
    last_report = time.monotonic()
    while True:
        seen = run.arrivals.poll()
        if seen >= run.expected:
            run.finished = time.time()
            return
        now = time.monotonic()
        if now >= deadline:
            run.finished, run.timed_out = time.time(), True
            run.notes.append(f"timed out after {run.args.timeout}s with {seen} delivered")
            return
        if not alive():
            run.finished = time.time()
            run.notes.append("the engine stopped before everything was delivered")
            return
        if now - last_report >= 5:
            rate = seen / max(time.time() - run.started, 1e-9)
            log(f"  {seen}/{run.expected} delivered ({rate:.0f}/s so far)")
            last_report = now
        time.sleep(POLL_S)


def run_workers(run: Run, url: str) -> None:
    env = dict(os.environ)
    env.update(
        OWNIT_DATABASE_URL=url,
        OWNIT_BASE_URL=f"http://{HOST}:8080",
        OWNIT_CONTACT_RATE_LIMIT=str(run.args.contact_rate_limit),
        OWNIT_OUTBOUND_ALLOW="127.0.0.0/8",  # the webhook receiver is on loopback
    )
    log(f"starting {run.args.workers} workers")
    busy = machine_busy_s()
    run.started = time.time()
    for i in range(run.args.workers):
        worker = Proc(
            f"worker-{i + 1}",
            [sys.executable, "-m", "ownit", "worker"],
            env,
            run.workdir / f"worker-{i + 1}.log",
        )
        run.workers.append(worker)
        worker.start()

    def alive() -> bool:
        for w in run.workers:
            w.sample()
        return any(w.alive() for w in run.workers)

    wait_for_all(run, alive)
    run.busy_s = machine_busy_s() - busy
    run.pg_cpu_s = pg_backends_cpu_s(url)
    for worker in run.workers:
        worker.stop()
        if worker.returncode not in (0, None):
            run.notes.append(f"{worker.name} exited with {worker.returncode}")


class ThreadProfiles:
    """cProfile for the sender threads: wraps the function ``ownit.worker.loop`` hands to
    its sender pool (``deliver_group``, or ``deliver`` in older versions)."""

    def __init__(self, module: ModuleType, timer: Callable[[], float]) -> None:
        self._timer = timer
        self._module: Any = module  # its sender function is swapped while profiling
        self.name = "deliver_group" if hasattr(module, "deliver_group") else "deliver"
        self._real: Callable[..., Any] = vars(module)[self.name]
        self._local = threading.local()
        self._lock = threading.Lock()
        self.profiles: list[cProfile.Profile] = []

    def install(self) -> None:
        real, local = self._real, self._local

        def profiled(*args: Any, **kwargs: Any) -> Any:
            prof: cProfile.Profile | None = getattr(local, "prof", None)
            if prof is None:
                prof = cProfile.Profile(self._timer)
                local.prof = prof
                with self._lock:
                    self.profiles.append(prof)
            prof.enable()
            try:
                return real(*args, **kwargs)
            finally:
                prof.disable()

        vars(self._module)[self.name] = profiled

    def uninstall(self) -> None:
        vars(self._module)[self.name] = self._real


def _stats_text(title: str, profiles: Sequence[cProfile.Profile], top: int) -> str:
    if not profiles:
        return ""
    out = io.StringIO()
    stats = pstats.Stats(profiles[0], stream=out)
    for other in profiles[1:]:
        stats.add(other)
    stats.strip_dirs().sort_stats(pstats.SortKey.TIME).print_stats(top)
    stats.sort_stats(pstats.SortKey.CUMULATIVE).print_stats(top)
    return f"\n===== cProfile: {title} (own time, then cumulative) =====\n{out.getvalue()}"


def run_in_process(run: Run, url: str) -> None:
    """One engine in this process: advance_due and deliver_due in turn, timed apart."""
    from ownit.adapters.db.engine import make_engine
    from ownit.bootstrap import build_worker
    from ownit.settings import Settings
    from ownit.worker import loop as loop_module

    settings = Settings.from_env(
        {
            "OWNIT_DATABASE_URL": url,
            "OWNIT_BASE_URL": f"http://{HOST}:8080",
            "OWNIT_CONTACT_RATE_LIMIT": str(run.args.contact_rate_limit),
            "OWNIT_OUTBOUND_ALLOW": "127.0.0.0/8",  # the webhook receiver is on loopback
        }
    )
    engine = make_engine(url)
    work = build_worker(settings, engine)
    # Thread CPU time by default (where the engine spends CPU); --profile-wall: wall time.
    timer = time.perf_counter if run.args.profile_wall else time.thread_time
    main_profile = cProfile.Profile(timer) if run.args.profile else None
    senders = ThreadProfiles(loop_module, timer) if run.args.profile else None
    advance_s = deliver_s = idle_s = 0.0
    assert run.arrivals is not None
    deadline = time.monotonic() + run.args.timeout
    log("running the engine in this process" + (" under cProfile" if main_profile else ""))
    busy, cpu = machine_busy_s(), time.process_time()
    run.started = time.time()
    try:
        if senders is not None:
            senders.install()
        while True:
            if main_profile is not None:
                main_profile.enable()
            t0 = time.perf_counter()
            advanced = work.advance_due()
            t1 = time.perf_counter()
            delivered = work.deliver_due()
            t2 = time.perf_counter()
            if main_profile is not None:
                main_profile.disable()
            advance_s, deliver_s = advance_s + t1 - t0, deliver_s + t2 - t1
            if run.arrivals.poll() >= run.expected:
                break
            if time.monotonic() >= deadline:
                run.timed_out = True
                run.notes.append(f"timed out after {run.args.timeout}s")
                break
            if not advanced and not delivered:
                time.sleep(POLL_S)  # the last requests may still be on their way
                idle_s += POLL_S
        wait_for_all(run, lambda: True)
        run.pg_cpu_s = pg_backends_cpu_s(url)
    finally:
        if senders is not None:
            senders.uninstall()
        work.stop()
        engine.dispose()
    run.busy_s, run.self_cpu_s = machine_busy_s() - busy, time.process_time() - cpu
    run.phases = {"advance_due": advance_s, "deliver_due": deliver_s, "idle": idle_s}
    if main_profile is not None and senders is not None:
        clock = "wall time" if run.args.profile_wall else "thread CPU time"
        run.profile_text = _stats_text(
            f"engine thread: advance_due + claims, {clock}", [main_profile], run.args.top
        ) + _stats_text(
            f"sender threads ({len(senders.profiles)}): {senders.name}, {clock}",
            senders.profiles,
            run.args.top,
        )
        if not senders.profiles:
            run.notes.append(f"no sender-thread profile: the loop did not call {senders.name}()")


# --------------------------------------------------------------------------- analysis


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values (NaN when there are none)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), int(-(-p * len(sorted_values) // 100))))
    return sorted_values[rank - 1]


@dataclass
class Spread:
    p50: float
    p99: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        ordered = sorted(values)
        return cls(percentile(ordered, 50), percentile(ordered, 99), percentile(ordered, 100))

    def text(self) -> str:
        return f"p50 {self.p50:8.3f}   p99 {self.p99:8.3f}   max {self.max:8.3f}"


@dataclass
class Figures:
    delivered: int  # distinct webhook-ids that arrived by the end of the wait
    missing: int  # expected, but not arrived by the end of the wait
    late: int  # arrived after the wait, while the workers were stopping
    duplicates: int  # notifications carried more than once
    duplicate_ids: int  # messages whose webhook-id was seen before
    requests: int  # messages (HTTP requests) received
    bundled_messages: int  # messages that carried several notifications
    message_rate: float  # messages / (last arrival - engine start)
    connections: int
    rate: float  # delivered / (last arrival - engine start)
    rate_flow: float  # delivered / (last arrival - first arrival)
    elapsed_s: float
    first_arrival_s: float  # after the engine start
    lag: Spread  # due_at -> arrival
    wait: Spread  # due_at -> claimed (sent_at)
    send: Spread  # claimed -> arrival
    from_start: Spread  # engine start -> arrival
    advance_first_s: float  # engine start -> first outbox row written
    advance_last_s: float  # engine start -> last outbox row written
    advanced: int  # incidents whose escalation the engine started
    advance_rate: float  # incidents per second while advancing


def analyse(run: Run) -> Figures:
    assert run.arrivals is not None
    assert run.outbox is not None
    arrivals, outbox = run.arrivals, run.outbox
    # Only what arrived by the end of the wait counts (stopping workers may still send).
    ids = [i for i, at in arrivals.first.items() if i in outbox.due and at <= run.finished]
    arrived = [arrivals.first[i] for i in ids]
    last = max(arrived, default=run.finished)
    first = min(arrived, default=run.started)
    created = sorted(outbox.created.values())
    advance_first = (created[0] - run.started) if created else float("nan")
    advance_last = (created[-1] - run.started) if created else float("nan")
    span = created[-1] - created[0] if len(created) > 1 else float("nan")
    return Figures(
        delivered=len(ids),
        missing=run.expected - len(ids),
        late=len(arrivals.first) - len(ids),
        duplicates=arrivals.duplicates,
        duplicate_ids=arrivals.duplicate_ids,
        requests=arrivals.requests,
        bundled_messages=arrivals.bundled_messages,
        message_rate=arrivals.requests / max(last - run.started, 1e-9),
        connections=len(arrivals.connections),
        rate=len(ids) / max(last - run.started, 1e-9),
        rate_flow=len(ids) / max(last - first, 1e-9),
        elapsed_s=last - run.started,
        first_arrival_s=first - run.started,
        lag=Spread.of([arrivals.first[i] - outbox.due[i] for i in ids]),
        wait=Spread.of([outbox.sent[i] - outbox.due[i] for i in ids if i in outbox.sent]),
        send=Spread.of([arrivals.first[i] - outbox.sent[i] for i in ids if i in outbox.sent]),
        from_start=Spread.of([a - run.started for a in arrived]),
        advance_first_s=advance_first,
        advance_last_s=advance_last,
        advanced=len(outbox.incidents),
        advance_rate=len(outbox.incidents) / span if span and span > 0 else float("nan"),
    )


def print_report(run: Run, f: Figures) -> None:
    args = run.args
    engine_desc = "1 engine in-process" if args.in_process else f"{args.workers} workers"
    elapsed = max(run.finished - run.started, 1e-9)
    print()
    print(
        f"ownit engine benchmark: {os.cpu_count()} CPUs, PostgreSQL {run.version}, "
        f"{engine_desc}, {args.incidents} incidents x "
        f"{'1 of ' + str(len(run.users)) if args.spread else len(run.users)} users = "
        f"{run.expected} notifications, OWNIT_CONTACT_RATE_LIMIT={args.contact_rate_limit}"
    )
    print(f"{'figure':<48}value")
    print("-" * 100)
    rows = [
        ("delivered (distinct notifications)", f"{f.delivered} of {run.expected}"),
        ("missing / duplicate notifications", f"{f.missing} / {f.duplicates}"),
        (
            "messages (HTTP requests) / bundling several",
            f"{f.requests} / {f.bundled_messages} ({f.message_rate:.1f} messages/s)",
        ),
        ("messages with a webhook-id seen before", str(f.duplicate_ids)),
        ("arrived after the wait (workers stopping)", str(f.late)),
        ("receiver: TCP connections accepted", str(f.connections)),
        (
            "outbox rows by status",
            ", ".join(f"{k}={v}" for k, v in sorted(run.outbox.statuses.items()))
            if run.outbox
            else "?",
        ),
        ("engine start -> last arrival", f"{f.elapsed_s:.2f} s"),
        ("engine start -> first arrival", f"{f.first_arrival_s:.2f} s"),
        ("notifications/s (engine start -> last)", f"{f.rate:.1f}"),
        ("notifications/s (first -> last arrival)", f"{f.rate_flow:.1f}"),
        ("lag due_at -> arrival (s)", f.lag.text()),
        ("  due_at -> claimed (sent_at) (s)", f.wait.text()),
        ("  claimed -> arrival (s)", f.send.text()),
        ("engine start -> arrival (s)", f.from_start.text()),
        (
            "advance: outbox rows written (s after start)",
            f"first {f.advance_first_s:.2f}   last {f.advance_last_s:.2f}",
        ),
        ("incidents advanced", f"{f.advanced} of {args.incidents}"),
        ("advance rate (incidents/s, first -> last)", f"{f.advance_rate:.1f}"),
    ]
    for name, seconds in run.phases.items():
        rows.append((f"in-process time in {name}", f"{seconds:.2f} s"))
    cpu_total = run.self_cpu_s
    if args.in_process:
        rows.append(
            (
                "this process (engine): CPU",
                f"{run.self_cpu_s:.1f} s ({100 * run.self_cpu_s / elapsed:.0f}%)",
            )
        )
    for w in run.workers:
        cpu_total += w.cpu_s
        rows.append(
            (
                f"{w.name}: peak RSS (VmHWM) / CPU",
                f"{w.peak_rss_mb:.1f} MB / {w.cpu_s:.1f} s ({100 * w.cpu_s / elapsed:.0f}%)",
            )
        )
    if run.receiver is not None:
        rows.append(
            (
                "receiver: peak RSS / CPU",
                f"{run.receiver.peak_rss_mb:.1f} MB / {run.receiver.cpu_s:.1f} s "
                f"({100 * run.receiver.cpu_s / elapsed:.0f}%)",
            )
        )
    rows.append(
        (
            "PostgreSQL backends of this database: CPU",
            f"{run.pg_cpu_s:.1f} s ({100 * run.pg_cpu_s / elapsed:.0f}%)",
        )
    )
    other = run.busy_s - cpu_total - run.pg_cpu_s
    other = max(0.0, other - (run.receiver.cpu_s if run.receiver else 0.0))
    rows.append(
        (
            "machine busy / rest (kernel, other processes)",
            f"{run.busy_s:.1f} s ({100 * run.busy_s / elapsed:.0f}%) / {other:.1f} s "
            f"({100 * other / elapsed:.0f}%)",
        )
    )
    for w in run.workers:
        text = w.log_tail(lines=10**9)
        errors = sum("level=ERROR" in line for line in text.splitlines())
        rows.append((f"{w.name}: log lines / errors", f"{text.count(chr(10)) + 1} / {errors}"))
    for name, value in rows:
        print(f"{name:<48}{value}")
    print("CPU% = CPU seconds over the measured wall time (100% = one core)")
    if run.arrivals is not None and run.arrivals.unparsed:
        run.notes.append(f"{run.arrivals.unparsed} messages had no recipient/incident number")
    for note in run.notes:
        print(f"NOTE {note}")
    print()
    missed = []
    if f.rate < TARGET_RATE:
        missed.append(f"rate<{TARGET_RATE:.0f}/s")
    if not f.lag.p99 < TARGET_P99_S:
        missed.append(f"p99 lag>={TARGET_P99_S:.0f}s")
    print(
        f"targets (not asserted): >= {TARGET_RATE:.0f} notifications/s, p99 lag < "
        f"{TARGET_P99_S:.0f} s: {'met' if not missed else 'missed: ' + ', '.join(missed)}"
    )
    print()
    results: list[tuple[str, float, str]] = [
        ("engine.rate", f.rate, "notifications/s"),
        ("engine.rate_flow", f.rate_flow, "notifications/s"),
        ("engine.lag_p50", f.lag.p50, "s"),
        ("engine.lag_p99", f.lag.p99, "s"),
        ("engine.lag_max", f.lag.max, "s"),
        ("engine.elapsed", f.elapsed_s, "s"),
        ("engine.advance_rate", f.advance_rate, "incidents/s"),
        ("engine.delivered", float(f.delivered), "notifications"),
        ("engine.missing", float(f.missing), "notifications"),
        ("engine.duplicates", float(f.duplicates), "notifications"),
        ("engine.duplicate_webhook_ids", float(f.duplicate_ids), "messages"),
        ("engine.messages", float(f.requests), "messages"),
        ("engine.message_rate", f.message_rate, "messages/s"),
    ]
    for name, seconds in run.phases.items():
        results.append((f"engine.inproc_{name}", seconds, "s"))
    results += [(f"engine.{w.name}_rss", w.peak_rss_mb, "MB") for w in run.workers]
    for key, figure, unit in results:
        print(f"RESULT name={key} value={figure:.3f} unit={unit}")
    if run.profile_text:
        print(run.profile_text)


# --------------------------------------------------------------------------- main


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks: children stop, DB drops


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--incidents", type=int, default=10_000, help="open incidents")
    parser.add_argument("--workers", type=int, default=2, help="ownit worker processes")
    parser.add_argument("--users", type=int, default=3, help="users paged per incident")
    parser.add_argument(
        "--spread",
        type=int,
        default=0,
        metavar="N",
        help="instead: N users, each with its own policy and service; incidents are spread "
        "over the services, so each pages one user (few messages are bundled)",
    )
    parser.add_argument("--timeout", type=int, default=300, help="longest wait, in seconds")
    parser.add_argument(
        "--contact-rate-limit",
        type=int,
        default=0,
        help="OWNIT_CONTACT_RATE_LIMIT for the engine (messages per contact per minute before "
        "holding back and bundling); default 0, off: measure the engine, not the limiter",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run one engine in this process (advance_due / deliver_due timed apart)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="with --in-process: cProfile the engine"
    )
    parser.add_argument(
        "--profile-wall",
        action="store_true",
        help="with --profile: measure wall time instead of each thread's CPU time",
    )
    parser.add_argument("--top", type=int, default=30, help="profile lines to print")
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get("OWNIT_BENCH_PG_ADMIN_URL", PG_ADMIN_URL),
        help="PostgreSQL URL used to create and drop the benchmark database",
    )
    parser.add_argument("--receiver", nargs=2, metavar=("PORT", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 1 <= args.incidents <= 1_000_000:
        parser.error("--incidents must be between 1 and 1000000")
    if not 1 <= args.workers <= 64:
        parser.error("--workers must be between 1 and 64")
    if not 1 <= args.users <= 50:
        parser.error("--users must be between 1 and 50")
    if not 0 <= args.spread <= 5000:
        parser.error("--spread must be between 0 (off) and 5000")
    if not 1 <= args.timeout <= 3600:
        parser.error("--timeout must be between 1 and 3600 seconds")
    if args.profile_wall:
        args.profile = True
    if args.profile:
        args.in_process = True
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.receiver is not None:
        return receiver_main(int(args.receiver[0]), args.receiver[1])
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, even if inherited ignored
    workdir = Path(tempfile.mkdtemp(prefix="ownit-bench-engine-"))
    try:
        return run_bench(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_bench(args: argparse.Namespace, workdir: Path) -> int:
    if args.spread:
        users = [f"bench-user-{i + 1}" for i in range(args.spread)]
        expected = args.incidents  # each incident pages one user
    else:
        users = [f"bench-user-{i + 1}" for i in range(args.users)]
        expected = args.incidents * len(users)  # each incident pages every user
    run = Run(args=args, workdir=workdir, users=users, expected=expected)
    busy_before = warn_if_busy()
    if busy_before > 20:
        run.notes.append(f"machine {busy_before:.0f}% busy before the run")
    port = free_port()
    arrivals_path = workdir / "arrivals.txt"
    arrivals_path.touch()
    run.arrivals = Arrivals(arrivals_path)
    receiver = Proc(
        "receiver",
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--receiver",
            str(port),
            str(arrivals_path),
        ],
        dict(os.environ),
        workdir / "receiver.log",
    )
    run.receiver = receiver
    failed = False
    try:
        receiver.start()
        wait_for_port(port, receiver)
        with postgres_database(args.pg_admin_url) as url:
            try:
                log(f"migrating, applying the catalog, opening {args.incidents} incidents")
                run.version = prepare(
                    url, workdir, f"http://{HOST}:{port}", users, args.incidents, args.spread > 0
                )
                prepared_at = datetime.now(UTC)
                if args.in_process:
                    run_in_process(run, url)
                else:
                    run_workers(run, url)
                receiver.sample()
                run.outbox = read_outbox(url, prepared_at)
            finally:
                for worker in run.workers:
                    worker.stop()  # the database cannot be dropped under live workers
    except BenchError as exc:
        log(f"benchmark stopped: {exc}")
        failed = True
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        failed = True
    finally:
        for worker in run.workers:
            with contextlib.suppress(Exception):
                worker.stop()
        with contextlib.suppress(Exception):
            receiver.stop()
        if run.arrivals is not None:
            run.arrivals.poll()  # the receiver's last flush
    if run.outbox is not None:
        print_report(run, analyse(run))
        if run.timed_out or failed:
            for worker in run.workers:
                log(f"--- {worker.name} log tail ---\n{worker.log_tail(15)}")
    return 1 if failed or run.timed_out else 0


if __name__ == "__main__":
    sys.exit(main())
