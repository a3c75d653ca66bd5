"""The Chaos Toolkit extension's probes and actions against a running ownit (SQLite and
PostgreSQL), and the sentence each wrong setting gives instead of a traceback."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from chaoslib.exceptions import ActivityFailed
from sqlalchemy import Engine

from chaosownit import actions, discover, probes
from tests.integration.chaos_world import Ownit, running_ownit
from tests.integration.live import free_port
from tests.integration.receivers import http_receiver


@pytest.fixture
def ownit(engine: Engine, tmp_path: Path) -> Iterator[Ownit]:
    with running_ownit(engine, tmp_path) as found:
        yield found


def test_an_event_pages_the_owner_and_the_probes_see_it(ownit: Ownit) -> None:
    conf, viewer = ownit.configuration(), ownit.secrets()
    assert probes.team_paged("payments", 60, configuration=conf, secrets=viewer) is False
    assert probes.open_incidents("checkout-api", configuration=conf, secrets=viewer) == 0
    sent = actions.send_event(
        "disk full", routing_key=ownit.key, dedup_key="disk", configuration=conf, secrets={}
    )
    assert sent["status"] == "success"
    assert probes.team_paged("payments", 60, wait_seconds=20, configuration=conf, secrets=viewer)
    _wait_for(lambda: [r.path for r in ownit.hook.requests] == ["/alice"])  # a real page
    assert probes.team_paged("search", 60, configuration=conf, secrets=viewer) is False
    assert probes.incident_opened("checkout-api", 60, configuration=conf, secrets=viewer)
    assert probes.open_incidents("checkout-api", configuration=conf, secrets=viewer) == 1
    assert not probes.incident_acknowledged("checkout-api", 60, configuration=conf, secrets=viewer)
    r = httpx.post(
        f"{ownit.url}/api/v1/incidents/1/acknowledge",
        headers={"Authorization": f"Bearer {ownit.admin}"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    assert probes.incident_acknowledged("checkout-api", 60, configuration=conf, secrets=viewer)
    assert probes.open_incidents("checkout-api", configuration=conf, secrets=viewer) == 1


def test_send_event_by_service_pages_the_owner_as_a_drill(ownit: Ownit) -> None:
    """By name, with a responder token (ownit keeps integration keys hashed, so it never
    hands one out): the test-event endpoint opens a drill-marked incident that pages."""
    conf, viewer = ownit.configuration(), ownit.secrets()
    sent = actions.send_event(
        "chaos: checkout-api is failing",
        service="checkout-api",
        severity="error",
        dedup_key="chaos-by-name",
        configuration=conf,
        secrets=ownit.secrets(ownit.responder),
    )
    assert sent["dedup_key"] == "chaos-by-name"
    incident = sent["incident"]
    assert (incident["drill"], incident["severity"]) == (True, "error")
    assert incident["title"] == "[DRILL] test event: chaos: checkout-api is failing"
    assert probes.team_paged("payments", 60, wait_seconds=20, configuration=conf, secrets=viewer)
    _wait_for(lambda: [r.path for r in ownit.hook.requests] == ["/alice"])  # a real page
    assert orjson.loads(ownit.hook.requests[0].body)["data"]["drill"] is True
    assert probes.open_incidents("checkout-api", configuration=conf, secrets=viewer) == 1


def test_maintenance_means_nobody_is_paged(ownit: Ownit) -> None:
    conf, admin = ownit.configuration(), ownit.secrets(ownit.admin)
    window = actions.start_maintenance("checkout-api", "10m", configuration=conf, secrets=admin)
    assert window["services"] == ["checkout-api"]
    assert window["state"] == "active"
    actions.send_event("quiet", routing_key=ownit.key, configuration=conf, secrets={})
    # kept as an event, suppressed: no incident, nobody paged
    assert not probes.team_paged("payments", 60, wait_seconds=3, configuration=conf, secrets=admin)
    assert not probes.incident_opened("checkout-api", 60, configuration=conf, secrets=admin)
    assert ownit.hook.requests == []


def _wait_for(check: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within time"
        time.sleep(0.1)


def _closed_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


CASES: list[tuple[str, Callable[[Ownit], Any], str]] = [
    (
        "nothing listens at the URL",
        lambda o: probes.team_paged(
            "payments", configuration={"ownit_url": _closed_url()}, secrets=o.secrets()
        ),
        "cannot reach",
    ),
    (
        "a wrong token",
        lambda o: probes.team_paged(
            "payments", configuration=o.configuration(), secrets={"ownit_token": "own_wrong"}
        ),
        "refused the token",
    ),
    (
        "no URL",
        lambda o: probes.open_incidents("checkout-api", configuration={}, secrets=o.secrets()),
        "set 'ownit_url'",
    ),
    (
        "no token",
        lambda o: probes.open_incidents("checkout-api", configuration=o.configuration()),
        "no 'ownit_token' secret",
    ),
    (
        "an unknown team",
        lambda o: probes.team_paged("nobody", configuration=o.configuration(), secrets=o.secrets()),
        "no team is named 'nobody'",
    ),
    (
        "an unknown service",
        lambda o: probes.open_incidents(
            "nowhere", configuration=o.configuration(), secrets=o.secrets()
        ),
        "no service is named 'nowhere'",
    ),
    (
        "a viewer starting maintenance",
        lambda o: actions.start_maintenance(
            "checkout-api", configuration=o.configuration(), secrets=o.secrets()
        ),
        "403",
    ),
    (
        "a bad duration",
        lambda o: actions.start_maintenance(
            "checkout-api", "soon", configuration=o.configuration(), secrets=o.secrets(o.admin)
        ),
        "duration",
    ),
    (
        "both a service and a key",
        lambda o: actions.send_event(
            "x", service="checkout-api", routing_key=o.key, configuration=o.configuration()
        ),
        "exactly one of 'service' or 'routing_key'",
    ),
    (
        "an unknown severity",
        lambda o: actions.send_event(
            "x", routing_key=o.key, severity="dire", configuration=o.configuration()
        ),
        "severity 'dire'",
    ),
    (
        "a viewer sending by service",
        lambda o: actions.send_event(
            "x", service="checkout-api", configuration=o.configuration(), secrets=o.secrets()
        ),
        "403",
    ),
    (
        "an unknown service to send to",
        lambda o: actions.send_event(
            "x", service="nowhere", configuration=o.configuration(), secrets=o.secrets(o.admin)
        ),
        "ownit answered 404 to POST /api/v1/services/nowhere/test-event",
    ),
    (
        "a wrong routing key",
        lambda o: actions.send_event("x", routing_key="f" * 32, configuration=o.configuration()),
        "ownit answered 4",
    ),
]


@pytest.mark.parametrize(("why", "run", "says"), CASES, ids=[c[0] for c in CASES])
def test_wrong_settings_fail_with_a_sentence(
    ownit: Ownit, why: str, run: Callable[[Ownit], Any], says: str
) -> None:
    with pytest.raises(ActivityFailed, match=r".") as failed:
        run(ownit)
    assert says in str(failed.value), why
    assert "Traceback" not in str(failed.value)


def test_run_drill_posts_to_the_drills_endpoint() -> None:
    """Against a small loopback receiver standing in for ownit: the method, the path (the
    name quoted), the token; the answer's incident is what the action returns."""
    incident = {"number": 7, "title": "[DRILL] weekly check", "service": "checkout-api"}
    with http_receiver() as fake:
        fake.status = 201
        fake.reply = orjson.dumps({"incident": incident})
        found = actions.run_drill(
            "weekly check",
            configuration={"ownit_url": fake.url + "/"},
            secrets={"ownit_token": "own_secret"},
        )
        [request] = fake.requests
    assert found == incident
    assert request.path == "/api/v1/drills/weekly%20check/run"
    assert request.headers["authorization"] == "Bearer own_secret"


def test_run_drill_refused_says_why() -> None:
    with http_receiver() as fake:
        fake.status = 409
        fake.reply = orjson.dumps({"detail": "the previous run of drill 'weekly' is still open"})
        with pytest.raises(ActivityFailed, match=r"409.*still open"):
            actions.run_drill(
                "weekly", configuration={"ownit_url": fake.url}, secrets={"ownit_token": "t"}
            )


def test_discovery_lists_every_activity() -> None:
    found = discover(discover_system=False)
    names = {(a["type"], a["name"]) for a in found["activities"]}
    assert names == {
        ("probe", "team_paged"),
        ("probe", "incident_opened"),
        ("probe", "incident_acknowledged"),
        ("probe", "open_incidents"),
        ("action", "send_event"),
        ("action", "start_maintenance"),
        ("action", "run_drill"),
    }
