"""Schedules through the catalog on a real database: apply, diff, export, prune, references."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select

from ownit.adapters.catalog.yaml_source import dump_documents, load_text
from ownit.adapters.db import tables as t
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.oncall_store import SqlScheduleStore
from ownit.app import catalog as use
from ownit.domain.catalog import Schedule
from tests.builders import FakeClock
from tests.integration.oncall_catalog import ORG


def run(engine: Engine, text: str, **kwargs: Any) -> use.ApplyResult:
    loaded = load_text(text, "catalog.yaml")
    assert loaded.problems == ()
    return use.apply(
        store=SqlCatalogStore(engine), documents=loaded.documents, clock=FakeClock(), **kwargs
    )


def schedule_rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(t.schedules).order_by(t.schedules.c.name))
        return [dict(r._mapping) for r in rows]


def documents(text: str) -> list[str]:
    return ["---\n" + d for d in text.split("---\n") if d.strip()]


def test_apply_stores_schedules_with_their_core_columns(engine: Engine) -> None:
    result = run(engine, ORG, source="ci")
    created = [(c.kind, c.name) for c in result.diff.of("create")]
    assert created.index(("Team", "payments")) < created.index(("Schedule", "primary"))
    assert created.index(("Schedule", "weekend")) < created.index(("EscalationPolicy", "payments"))
    primary, weekend = schedule_rows(engine)
    with engine.connect() as conn:
        team_id = conn.execute(select(t.teams.c.id)).scalar_one()
    assert (primary["name"], primary["team_id"], primary["timezone"]) == (
        "primary",
        team_id,
        "Europe/Berlin",
    )
    assert primary["source"] == "ci"
    assert primary["spec"]["layers"][0] == {
        "name": "daily",
        "start": "2026-11-23T09:00:00",
        "rotation": "1d",
        "users": ["alice", "bob"],
    }
    assert weekend["team_id"] is None
    snapshot = SqlCatalogStore(engine).snapshot()
    assert sorted(snapshot.schedules) == ["primary", "weekend"]
    assert isinstance(snapshot.schedules["primary"], Schedule)
    assert snapshot.source_of("Schedule", "primary") == "ci"


def test_export_round_trips_byte_for_byte_with_schedules(engine: Engine) -> None:
    run(engine, ORG)
    store = SqlCatalogStore(engine)
    first = dump_documents(use.export(store=store))
    kinds = [line for line in first.splitlines() if line.startswith("kind: ")]
    assert kinds.index("kind: Schedule") > kinds.index("kind: Team")
    assert kinds.index("kind: Schedule") < kinds.index("kind: EscalationPolicy")
    assert "from: '12:00'" in first
    assert run(engine, first).diff.is_empty
    assert dump_documents(use.export(store=store)) == first


def test_a_changed_schedule_is_updated_in_place_and_keeps_api_overrides(engine: Engine) -> None:
    run(engine, ORG)
    (before, _) = schedule_rows(engine)
    store = SqlScheduleStore(engine)
    added = store.add_override(
        schedule="primary",
        user="dave",
        start=datetime(2026, 12, 1, 8, tzinfo=UTC),
        end=datetime(2026, 12, 1, 9, tzinfo=UTC),
        created_by="test",
        created_at=datetime(2026, 11, 26, tzinfo=UTC),
    )
    assert added is not None
    changed = ORG.replace("      rotation: 1d\n", "      rotation: 2d\n")
    diff = use.plan(load_text(changed, "c.yaml").documents, SqlCatalogStore(engine).snapshot())
    (update,) = diff.of("update")
    assert (update.kind, update.name) == ("Schedule", "primary")
    assert [f.path for f in update.fields] == ["layers"]
    run(engine, changed)
    (after, _) = schedule_rows(engine)
    assert after["id"] == before["id"]
    assert after["spec"]["layers"][0]["rotation"] == "2d"
    assert [o.id for o in store.overrides(since=datetime(2026, 11, 1, tzinfo=UTC))] == [added.id]


def test_a_policy_may_target_a_schedule_applied_earlier(engine: Engine) -> None:
    parts = documents(ORG)
    policy = next(d for d in parts if "kind: EscalationPolicy" in d)
    rest = "".join(d for d in parts if d is not policy and "kind: Service" not in d)
    run(engine, rest)
    assert use.lint(load_text(policy, "p.yaml").documents) != []  # alone, the files lack it
    assert use.lint(load_text(policy, "p.yaml").documents, SqlCatalogStore(engine).snapshot()) == []
    result = run(engine, policy)
    assert [(c.action, c.kind) for c in result.diff.changes] == [("create", "EscalationPolicy")]


def test_prune_deletes_schedules_and_their_overrides(engine: Engine) -> None:
    run(engine, ORG, source="team")
    SqlScheduleStore(engine).add_override(
        schedule="weekend",
        user="dave",
        start=datetime(2026, 12, 1, 8, tzinfo=UTC),
        end=datetime(2026, 12, 1, 9, tzinfo=UTC),
        created_by="test",
        created_at=datetime(2026, 11, 26, tzinfo=UTC),
    )
    without = "".join(
        d for d in documents(ORG) if "name: weekend}" not in d and "kind: Escalation" not in d
    ).replace("escalationPolicy: payments", "tier: 1")
    result = run(engine, without, source="team", prune=True)
    assert ("delete", "Schedule", "weekend") in [
        (c.action, c.kind, c.name) for c in result.diff.changes
    ]
    assert [r["name"] for r in schedule_rows(engine)] == ["primary"]
    with engine.connect() as conn:
        assert conn.execute(select(t.schedule_overrides)).all() == []


def test_prune_refuses_to_orphan_a_policy_that_targets_the_schedule(engine: Engine) -> None:
    parts = documents(ORG)
    schedules = "".join(
        d for d in parts if "kind: Escalation" not in d and "kind: Service" not in d
    )
    policy = next(d for d in parts if "kind: EscalationPolicy" in d)
    run(engine, schedules, source="team-a")
    run(engine, policy, source="team-b")
    without = "".join(d for d in documents(schedules) if "name: weekend}" not in d)
    with pytest.raises(use.InvalidCatalog) as caught:
        run(engine, without, source="team-a", prune=True)
    assert [str(p) for p in caught.value.problems] == [
        'cannot prune schedule "weekend": escalation policy "payments" (not in these files) '
        "refers to it in levels[1].targets[1].schedule"
    ]
    assert len(schedule_rows(engine)) == 2
