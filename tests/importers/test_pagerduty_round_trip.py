"""Import → lint → apply → who is on call → an Events v2 trigger with PagerDuty's key pages
the person on call (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from ownit.cli.main import main
from tests.importers.pd_fixture import KEYS, ROOT
from tests.integration.paging_world import World, paging_world

EMAIL = {
    "alice": "alice@example.com",
    "bob": "bob@example.com",
    "carol": "carol@example.com",
    "dave": "dave@example.com",
    "erin": "erin@example.com",
}
USERS = {
    "PU1ALIC": "alice",
    "PU2BOB0": "bob",
    "PU3CARO": "carol",
    "PU4DAVE": "dave",
    "PU5ERIN": "erin",
}


def _pagerduty_says(schedule: str, at: datetime) -> str | None:
    """Who PagerDuty's own final schedule (in the saved answer) has on call at ``at``."""
    found = json.loads((ROOT / "schedules" / f"{schedule}.json").read_text())["schedule"]
    for entry in found["final_schedule"]["rendered_schedule_entries"]:
        if datetime.fromisoformat(entry["start"]) <= at < datetime.fromisoformat(entry["end"]):
            return USERS[entry["user"]["id"]]
    return None


def _who(world: World, schedule: str, at: datetime) -> str | None:
    r = world.client.get(
        f"/api/v1/schedules/{schedule}/oncall",
        params={"at": at.isoformat()},
        headers={"Authorization": f"Bearer {world.token}"},
    )
    assert r.status_code == 200, r.text
    users: list[dict[str, Any]] = r.json()["users"]
    return users[0]["name"] if users else None


@pytest.fixture
def imported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OWNIT_DATABASE_URL", f"sqlite:///{tmp_path / 'absent.db'}")
    out = tmp_path / "out"
    args = ["import", "pagerduty", "--from", str(ROOT), "-o", str(out)]
    assert main([*args, "--now", "2026-10-20T00:00:00Z"]) == 0
    files = sorted(str(p) for p in out.glob("*.yaml"))
    assert main(["catalog", "lint", *files]) == 0
    return "".join(Path(f).read_text() for f in files)


# (schedule, instant, who): around New York's fall-back (1 Nov 2026, 02:00 EDT → 01:00 EST)
# and Berlin's (25 Oct 2026, 03:00 CEST → 02:00 CET).
INSTANTS = [
    ("payments-primary", "2026-10-28T17:00:00Z", "erin"),  # override, 13:00 EDT
    ("payments-primary", "2026-11-01T04:45:00Z", "carol"),  # override 00:45 EDT
    ("payments-primary", "2026-11-01T06:15:00Z", "carol"),  # same override, 01:15 EST
    ("payments-primary", "2026-11-01T06:45:00Z", "dave"),  # weekend layer, Sunday 01:45 EST
    ("payments-primary", "2026-11-02T13:59:00Z", "alice"),  # Monday 08:59 EST, weekly layer
    ("payments-primary", "2026-11-02T14:00:00Z", "bob"),  # 09:00 EST: business hours
    ("payments-primary", "2026-11-02T22:00:00Z", "bob"),  # 17:00 EST: weekly handoff Mon 09:00
    ("platform", "2026-10-26T06:59:00Z", None),  # Monday 07:59 CET: before the window
    ("platform", "2026-10-26T07:00:00Z", "dave"),  # 08:00 CET: the window opens
    ("platform", "2026-10-26T18:59:00Z", "dave"),
    ("platform", "2026-10-26T19:00:00Z", "erin"),  # 20:00 CET
    # 12h turns from 08:00 CET in January hand off in elapsed time: 09:00/21:00 in summer
    ("platform", "2026-10-22T18:59:00Z", "erin"),  # Thursday 20:59 CEST
    ("platform", "2026-10-22T19:00:00Z", "bob"),  # 21:00 CEST: PagerDuty's hand-off
]


def test_imported_catalog_is_on_call_and_pages_like_pagerduty(
    engine: Engine, tmp_path: Path, imported: str
) -> None:
    with paging_world(engine, tmp_path, imported, KEYS["checkout-events"]) as world:
        for schedule, text, expected in INSTANTS:
            at = datetime.fromisoformat(text)
            assert _who(world, schedule, at) == expected, (schedule, text)
            ids = {"payments-primary": "PS1PAYM", "platform": "PS2PLAT"}
            assert _pagerduty_says(ids[schedule], at) == expected, (schedule, text)

        world.clock.current = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # 10:00 EST Monday
        world.send(dedup="card-declines")  # the checkout service's old PagerDuty key
        world.cycle(seconds=1)
        assert [m["To"] for m in world.mail] == [EMAIL["bob"]]  # business hours: bob
        assert world.incident()["service"] == "checkout-api"
