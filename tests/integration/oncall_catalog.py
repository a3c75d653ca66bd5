"""A small on-call organisation for the schedule tests, applied through the catalog.

``primary`` (Europe/Berlin) hands off daily at 09:00 local between alice and bob, starting
Monday 2026-11-23 (alice); carol's ``office`` layer covers weekdays 12:00–14:00 local on top;
a catalog override gives Saturday 2026-11-28 09:00–21:00 local to carol. ``weekend`` has dave
on Saturdays and Sundays only. ``payments-api`` pages ``primary`` first, then alice.
"""

from __future__ import annotations

from sqlalchemy import Engine

from ownit.adapters.catalog.yaml_source import load_text
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.app import catalog as use
from tests.builders import FakeClock

USERS = "\n".join(
    f"---\napiVersion: ownit/v1\nkind: User\nmetadata: {{name: {name}}}\n"
    f"spec: {{displayName: {display}, email: {name}@example.com}}"
    for name, display in (
        ("alice", "Alice Liddell"),
        ("bob", "Bob Builder"),
        ("carol", "Carol Danvers"),
        ("dave", "Dave Bowman"),
    )
)

ORG = (
    USERS
    + """
---
apiVersion: ownit/v1
kind: Team
metadata: {name: payments}
spec: {members: [{user: alice}, {user: bob}, {user: carol}, {user: dave}]}
---
apiVersion: ownit/v1
kind: Schedule
metadata: {name: primary}
spec:
  team: payments
  timezone: Europe/Berlin
  layers:
    - name: daily
      start: "2026-11-23T09:00:00"
      rotation: 1d
      users: [alice, bob]
    - name: office
      start: "2026-11-23T09:00:00"
      rotation: 1w
      users: [carol]
      restrictions: [{days: [mon, tue, wed, thu, fri], from: "12:00", to: "14:00"}]
  overrides:
    - {user: carol, start: "2026-11-28T09:00:00+01:00", end: "2026-11-28T21:00:00+01:00"}
---
apiVersion: ownit/v1
kind: Schedule
metadata: {name: weekend}
spec:
  timezone: Europe/Berlin
  layers:
    - name: weekend
      start: "2026-11-23T00:00:00"
      rotation: 1w
      users: [dave]
      restrictions: [{days: [sat, sun], from: "00:00", to: "00:00"}]
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {name: payments}
spec:
  team: payments
  levels:
    - {after: 10m, targets: [{schedule: primary}]}
    - {after: 10m, targets: [{user: alice}, {schedule: weekend}]}
---
apiVersion: ownit/v1
kind: Service
metadata: {name: payments-api}
spec: {owner: payments, escalationPolicy: payments}
"""
)


def apply(engine: Engine, text: str = ORG) -> use.ApplyResult:
    loaded = load_text(text, "oncall.yaml")
    assert loaded.problems == ()
    return use.apply(store=SqlCatalogStore(engine), documents=loaded.documents, clock=FakeClock())
