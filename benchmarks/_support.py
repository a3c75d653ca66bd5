"""What the benchmarks share: child processes on loopback (start, wait until they answer,
sample memory and CPU, stop with SIGTERM then SIGKILL), the machine's CPU counters, a
throw-away PostgreSQL database, and ``wrk`` runs.

Used by ``ingest.py``, ``worker.py`` and ``routing.py`` (run as scripts: each puts the
repository root on ``sys.path`` first, so ``benchmarks._support`` imports either way).
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

WRK_THREADS = 2
WRK_CONNECTIONS = 32
WRK_TIMEOUT_S = 10  # a slow answer is measured, not dropped as a timeout

WRK_DONE_LUA = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d status_errors=%d connect_errors=%d read_errors=%d "
      .. "write_errors=%d timeouts=%d p50_us=%d p90_us=%d p99_us=%d mean_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
"""
"""The ``done`` function every benchmark's wrk script ends with: one ``BENCH`` line that
:func:`run_wrk` reads."""

_BENCH_LINE = re.compile(r"^BENCH (.*)$", re.MULTILINE)


class BenchError(Exception):
    """The benchmark cannot go on; the message says why."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the machine


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def proc_status_kb(pid: int, field_name: str) -> int | None:
    """A ``kB`` field (``VmRSS``, ``VmHWM``) of ``/proc/<pid>/status``, or None if gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return None


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds used so far by ``pid`` (``/proc/<pid>/stat``); 0 if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # the name may hold spaces; skip past it
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_s() -> float:
    """CPU seconds of the children this process has waited for (here: wrk)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_cpu_s() -> tuple[float, float]:
    """(busy, steal) CPU seconds of the whole machine so far, from ``/proc/stat``."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return 0.0, 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in first[1:9])
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


def machine_busy_s() -> float:
    """Busy CPU seconds of the whole machine so far."""
    return machine_cpu_s()[0]


def machine_busy_pct(seconds: float = 1.0) -> float:
    """How busy the machine is over ``seconds`` (100% = one core)."""
    before = machine_busy_s()
    time.sleep(seconds)
    return 100 * (machine_busy_s() - before) / seconds


def warn_if_busy(limit: float = 20.0) -> float:
    """Say so on stderr when the machine is already busy; returns how busy (%)."""
    busy = machine_busy_pct()
    if busy > limit:
        log(
            f"warning: the machine is already {busy:.0f}% busy (100% = one core) "
            "before the benchmark; the figures will be lower than on a quiet machine"
        )
    return busy


def source_revision() -> str:
    """The checked-out commit of this tree (read-only ``git rev-parse``), or ``unknown``."""
    try:
        done = subprocess.run(  # fixed argv, read-only
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "unknown"


# --------------------------------------------------------------------------- processes


class RssSampler:
    """Samples a process's resident memory every 100 ms; ``stop`` also counts VmHWM."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self._pid = pid
        self._interval = interval
        self._stop = threading.Event()
        self._peak_kb = 0
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = proc_status_kb(self._pid, "VmRSS")
            if rss is not None:
                self._peak_kb = max(self._peak_kb, rss)
            self._stop.wait(self._interval)

    def stop(self) -> float:
        """Stop sampling (the process must still be alive for VmHWM); the peak in MB."""
        hwm = proc_status_kb(self._pid, "VmHWM")
        self._stop.set()
        self._thread.join()
        return max(self._peak_kb, hwm or 0) / 1024


@dataclass
class Proc:
    """A child process on loopback, output to ``log_path``; stopped with SIGTERM."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None
    started: float = 0.0  # epoch seconds
    peak_rss_mb: float = 0.0
    cpu_s: float = 0.0
    returncode: int | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as out:
            self.started = time.time()
            self.popen = subprocess.Popen(  # fixed argv: this interpreter, ownit or a script
                self.argv,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches us; we stop the children ourselves
            )

    @property
    def pid(self) -> int:
        return self.popen.pid if self.popen is not None else -1

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def sample(self) -> None:
        """Keep the peak RSS (VmHWM) and CPU seconds; the process must still be alive."""
        if self.popen is None:
            return
        hwm = proc_status_kb(self.popen.pid, "VmHWM")
        if hwm is not None:
            self.peak_rss_mb = max(self.peak_rss_mb, hwm / 1024)
        self.cpu_s = max(self.cpu_s, proc_cpu_s(self.popen.pid))

    def stop(self) -> None:
        """Sample, then SIGTERM, then SIGKILL after a timeout. Safe to call twice."""
        popen = self.popen
        if popen is None:
            return
        if popen.poll() is None:
            self.sample()
        self.popen = None
        if popen.poll() is None:
            popen.send_signal(signal.SIGTERM)
            try:
                popen.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                log(f"{self.name} ignored SIGTERM for {STOP_TIMEOUT_S:.0f}s; killing it")
                popen.kill()
                popen.wait(timeout=STOP_TIMEOUT_S)
        self.returncode = popen.returncode

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def wait_for_port(port: int, proc: Proc, timeout: float = STARTUP_TIMEOUT_S) -> None:
    """Until something accepts connections on ``port`` (``proc`` must stay alive)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise BenchError(f"{proc.name} exited on start:\n{proc.log_tail()}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.05)
    raise BenchError(f"{proc.name} not listening after {timeout:.0f}s:\n{proc.log_tail()}")


class Server(Proc):
    """An HTTP server child (``ownit serve`` or the ceiling) with its memory sampled."""

    sampler: RssSampler | None = None

    def serve(self, port: int, timeout: float = STARTUP_TIMEOUT_S) -> None:
        """Start it and wait until ``GET /healthz`` answers 200."""
        self.start()
        assert self.popen is not None
        self.sampler = RssSampler(self.popen.pid)
        self.sampler.start()
        deadline = time.monotonic() + timeout
        url = f"http://{HOST}:{port}/healthz"
        while time.monotonic() < deadline:
            if not self.alive():
                raise BenchError(f"{self.name} server exited on start:\n" + self.log_tail())
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
            time.sleep(0.1)
        raise BenchError(f"{self.name} server not up after {timeout:.0f}s:\n" + self.log_tail())

    def cpu_now_s(self) -> float:
        return proc_cpu_s(self.popen.pid) if self.popen is not None else 0.0

    def measured_rss_mb(self) -> float:
        """The peak resident memory so far (stops sampling; the process must be alive)."""
        if self.sampler is None:
            return self.peak_rss_mb
        sampler, self.sampler = self.sampler, None
        self.peak_rss_mb = max(self.peak_rss_mb, sampler.stop())
        return self.peak_rss_mb

    def stop(self) -> None:
        if self.sampler is not None:
            self.sampler.stop()
            self.sampler = None
        super().stop()

    def metrics(self, port: int) -> dict[str, float]:
        """ownit's ``/metrics``, each metric summed over its labels (empty if unavailable)."""
        url = f"http://{HOST}:{port}/metrics"
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                text = answer.read().decode()
        except (OSError, urllib.error.URLError):
            return {}
        figures: dict[str, float] = {}
        for line in text.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            name, _, value = line.rpartition(" ")
            metric = name.split("{", 1)[0]
            with contextlib.suppress(ValueError):
                figures[metric] = figures.get(metric, 0.0) + float(value)
        return figures


def serve_env(database_url: str | None, port: int, **extra: str) -> dict[str, str]:
    """The environment for ``ownit serve`` on loopback with the rate limit off."""
    env = dict(os.environ)
    env.update(
        OWNIT_HOST=HOST,
        OWNIT_PORT=str(port),
        OWNIT_EVENTS_RATE_LIMIT="0",
        OWNIT_BASE_URL=f"http://{HOST}:{port}",
        OWNIT_OUTBOUND_ALLOW="127.0.0.0/8",  # webhook receivers are on loopback
    )
    if database_url is not None:
        env["OWNIT_DATABASE_URL"] = database_url
    env.update(extra)
    return env


# --------------------------------------------------------------------------- databases


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh database ``ownit_bench_<random>``, dropped afterwards; yields its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"ownit_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:
            raise BenchError(f"cannot create a PostgreSQL database at {admin_url}: {exc}") from None
        log(f"created PostgreSQL database {name}")
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            log(f"dropped PostgreSQL database {name}")
    finally:
        admin.dispose()


# --------------------------------------------------------------------------- wrk


@dataclass
class WrkFigures:
    requests: int
    duration_s: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float

    @property
    def accepted(self) -> int:
        return self.requests - self.non_2xx

    @property
    def rate(self) -> float:
        """Accepted (2xx) answers per second."""
        return self.accepted / self.duration_s if self.duration_s > 0 else 0.0


def run_wrk(
    script: Path,
    port: int,
    duration: int,
    script_args: Sequence[str],
    *,
    path: str = "/v2/enqueue",
    threads: int = WRK_THREADS,
    connections: int = WRK_CONNECTIONS,
) -> WrkFigures:
    """``wrk --latency`` with a Lua script ending in :data:`WRK_DONE_LUA`."""
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        f"--timeout={WRK_TIMEOUT_S}s",
        "-s",
        str(script),
        f"http://{HOST}:{port}{path}",
        "--",
        *script_args,
    ]
    try:
        done = subprocess.run(  # fixed argv; wrk from PATH
            argv, capture_output=True, text=True, timeout=duration + 60, check=False
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk did not finish within {duration + 60}s") from None
    match = _BENCH_LINE.search(done.stdout)
    if done.returncode != 0 or match is None:
        raise BenchError(
            f"wrk failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}".rstrip()
        )
    values = dict(pair.split("=", 1) for pair in match.group(1).split())
    n = {k: int(float(v)) for k, v in values.items()}
    return WrkFigures(
        requests=n["requests"],
        duration_s=n["duration_us"] / 1e6,
        non_2xx=n["status_errors"],
        socket_errors=n["connect_errors"] + n["read_errors"] + n["write_errors"] + n["timeouts"],
        p50_ms=n["p50_us"] / 1000,
        p90_ms=n["p90_us"] / 1000,
        p99_ms=n["p99_us"] / 1000,
        mean_ms=n["mean_us"] / 1000,
        max_ms=n["max_us"] / 1000,
    )
