"""The benchmarks still run: each at a tiny size, checked for its RESULT lines (figures are
not judged here; see docs/benchmarks.md). Needs ``wrk`` (``.ci/debian-packages.txt``)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def bench(*argv: str, timeout: float = 240) -> str:
    done = subprocess.run(  # fixed argv: this interpreter and a benchmark script
        [sys.executable, str(BENCH / argv[0]), *argv[1:]],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_routing_in_process_and_through_http() -> None:
    out = bench("routing.py", "--teams", "3", "--services", "2", "--events", "500", "--repeat", "1")
    assert re.search(r"^RESULT name=routing-inprocess rate=\d+", out, re.MULTILINE)
    out = bench(
        "routing.py", "--http", "--teams", "3", "--services", "2", "--duration", "1", "--no-engine"
    )
    plain = re.search(r"^RESULT name=routing-http-plain rate=([\d.]+)", out, re.MULTILINE)
    routed = re.search(r"^RESULT name=routing-http-routed rate=([\d.]+)", out, re.MULTILINE)
    ratio = re.search(r"^RESULT name=routing-http ratio=([\d.]+)", out, re.MULTILINE)
    assert plain, out
    assert routed, out
    assert ratio, out
    assert float(plain[1]) > 0
    assert float(routed[1]) > 0
    stored = re.search(r"incidents stored: (\d+) on routed services, (\d+)", out)
    assert stored, out
    assert int(stored[1]) > 0, out
    assert int(stored[2]) > 0, out


def test_ingest_on_sqlite() -> None:
    out = bench("ingest.py", "--only", "sqlite", "--duration", "1", "--no-engine")
    assert re.search(r"^RESULT name=sqlite-distinct rate=[\d.]+", out, re.MULTILINE), out
    assert "CHECK sqlite-distinct ok" in out, out
    assert "CHECK sqlite-storm ok" in out, out


def test_engine_delivers_everything() -> None:
    out = bench("worker.py", "--incidents", "20", "--workers", "1", "--timeout", "60")
    assert "RESULT name=engine.missing value=0.000" in out, out
    assert "RESULT name=engine.delivered value=60.000" in out, out


def test_ui_pages_answer_under_load() -> None:
    out = bench("ui.py", "--incidents", "300", "--services", "20", "--duration", "1")
    for page in ("incidents", "incident", "service"):
        found = re.search(rf"^RESULT name=ui-{page} rate=([\d.]+) p99_ms=[\d.]+", out, re.MULTILINE)
        assert found, out
        assert float(found[1]) > 0, out


def test_paging_on_sqlite() -> None:
    out = bench("paging.py", "--only", "sqlite", "--duration", "1", "--grace", "20")
    for phase in ("idle", "flood"):
        found = re.search(
            rf"^RESULT name=paging-sqlite-{phase} probes=(\d+) .* lost=(\d+) dup=(\d+)",
            out,
            re.MULTILINE,
        )
        assert found, out
        assert int(found[1]) > 0, out
        assert found[2] == "0", out
        assert found[3] == "0", out


def test_analytics_on_both_databases() -> None:
    out = bench("analytics.py", "--incidents", "300", "--repeat", "2")
    for db in ("sqlite", "postgresql"):
        for figure in ("incidents-by-service", "responders", "page"):
            assert re.search(
                rf"^RESULT name=analytics-{db}-{figure} p50_ms=[\d.]+ p99_ms=[\d.]+",
                out,
                re.MULTILINE,
            ), out


def test_standards_report() -> None:
    out = bench("standards.py", "--services", "20", "--repeat", "1")
    found = re.search(r"^RESULT name=standards-report services=20 seconds=([\d.]+)", out, re.M)
    assert found, out
    assert float(found[1]) > 0
