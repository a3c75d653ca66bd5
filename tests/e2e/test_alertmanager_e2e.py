"""End to end with a real Prometheus Alertmanager: alerts posted to its API reach ownit
through ``webhook_configs`` (via a router key, to services and monolith components) and
``pagerduty_configs`` (Events v2), and resolve when Alertmanager resolves them."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.app import catalog
from ownit.app.clock import SystemClock
from ownit.app.tokens import create_token
from tests.integration.live import free_port, live_server
from tests.integration.test_routing_ingest import CATALOG, ROUTER_KEY

ALERTMANAGER = shutil.which("prometheus-alertmanager")
PD_KEY = "pdviaalertmanager000000000000001"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(  # CI installs it and never skips
        ALERTMANAGER is None and not os.environ.get("CI"),
        reason="apt-get install prometheus-alertmanager",
    ),
]

EXTRA = f"""
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: billing}}
spec:
  owner: payments
  integrations: [{{name: am-pd, type: events-v2, key: {PD_KEY}}}]
"""


def _config(ownit: str) -> str:
    return f"""
route:
  receiver: ownit-router
  group_by: [alertname, module]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - matchers: ['pager="pd"']
      receiver: ownit-pd
receivers:
  - name: ownit-router
    webhook_configs:
      - url: "{ownit}/integrations/alertmanager"
        send_resolved: true
        http_config:
          authorization: {{credentials: "{ROUTER_KEY}"}}
  - name: ownit-pd
    pagerduty_configs:
      - routing_key: "{PD_KEY}"
        url: "{ownit}/v2/enqueue"
        send_resolved: true
"""


@pytest.fixture
def alertmanager(engine: Engine, tmp_path: Path) -> Iterator[tuple[str, str, dict[str, str]]]:
    assert ALERTMANAGER is not None
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG + EXTRA)
    clock = SystemClock()
    catalog.apply(
        store=SqlCatalogStore(engine), documents=load_files([str(path)]).documents, clock=clock
    )
    token = create_token(store=SqlTokenStore(engine), clock=clock, name="e2e", role="viewer")
    with live_server(engine) as ownit:
        port = free_port()
        config = tmp_path / "am.yml"
        config.write_text(_config(ownit))
        log = (tmp_path / "am.log").open("wb")
        proc = subprocess.Popen(
            [
                ALERTMANAGER,
                f"--config.file={config}",
                f"--storage.path={tmp_path / 'am-data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
            ],
            stdout=log,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/-/ready", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "Alertmanager did not become ready"
                time.sleep(0.1)
            yield base, ownit, {"Authorization": f"Bearer {token}"}
        finally:
            proc.terminate()
            proc.wait(10)
            log.close()


def _post(am: str, alerts: list[dict[str, Any]]) -> None:
    assert httpx.post(f"{am}/api/v2/alerts", json=alerts, timeout=5).status_code == 200


def _wait(ownit: str, auth: dict[str, str], want: dict[str, tuple[str, str | None, str]]) -> None:
    deadline = time.monotonic() + 30
    seen: dict[str, tuple[str, str | None, str]] = {}
    while time.monotonic() < deadline:
        found = httpx.get(f"{ownit}/api/v1/incidents", headers=auth, timeout=5).json()
        seen = {i["title"]: (i["service"], i["component"], i["status"]) for i in found["incidents"]}
        if seen == want:
            return
        time.sleep(0.3)
    raise AssertionError(f"wanted {want}, ownit has {seen}")


def test_alerts_through_real_alertmanager(alertmanager: tuple[str, str, dict[str, str]]) -> None:
    am, ownit, auth = alertmanager
    firing = [
        {
            "labels": {"alertname": "RefundsFailing", "team": "payments", "module": "refunds"},
            "annotations": {"summary": "refunds failing"},
        },
        {
            "labels": {"alertname": "LedgerLag", "team": "payments", "module": "ledger-core"},
            "annotations": {"summary": "ledger lagging"},
        },
        {
            "labels": {"alertname": "SearchSlow", "team": "search"},
            "annotations": {"summary": "search slow"},
        },
        {"labels": {"alertname": "InvoicesStuck", "pager": "pd"}, "annotations": {"summary": "x"}},
    ]
    _post(am, firing)
    _wait(
        ownit,
        auth,
        {
            "refunds failing": ("monolith", "refunds", "triggered"),
            "ledger lagging": ("monolith", "ledger", "triggered"),
            "search slow": ("other", None, "triggered"),
            "[FIRING:1] InvoicesStuck (pd)": ("billing", None, "triggered"),
        },
    )
    ended = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    _post(am, [alert | {"endsAt": ended} for alert in firing])
    _wait(
        ownit,
        auth,
        {
            "refunds failing": ("monolith", "refunds", "resolved"),
            "ledger lagging": ("monolith", "ledger", "resolved"),
            "search slow": ("other", None, "resolved"),
            "[FIRING:1] InvoicesStuck (pd)": ("billing", None, "resolved"),
        },
    )
