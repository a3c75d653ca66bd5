"""The stored per-incident figures (``incident_figures``, migration 0013) agree with the
figures computed from the incidents' histories, on SQLite and PostgreSQL: random histories
(Hypothesis), the hand-made ones, and after changes made by paths that do not write them."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, select, update

from ownit.adapters.db import tables as t
from ownit.adapters.db.analytics_figures import SqlFigureCatchUp, backfill_stale, refresh
from ownit.adapters.db.analytics_store import SqlAnalyticsStore
from ownit.adapters.db.incident_store import SqlIncidentStore
from ownit.app import analytics as uc
from ownit.bootstrap import build_worker
from ownit.domain.analytics.history import (
    Acknowledgement,
    Drills,
    IncidentHistory,
    Page,
    Resolution,
)
from ownit.domain.analytics.incidents import GroupBy, incident_report
from ownit.domain.analytics.noise import noise_report
from ownit.domain.analytics.records import record_of
from ownit.domain.analytics.responders import report_of_responses, responder_report
from ownit.domain.incidents import Status
from ownit.settings import Settings
from tests.analytics_cases import HAND_MADE, MERGE_SOURCE, MERGE_TARGET, PERIOD, T0, at, seed
from tests.builders import FakeClock

TEAMS = {"api": "payments", "web": "frontend", "db": None}
USERS = ("alice", "bob", "carol")


def _clear(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in (t.incident_figures, t.incident_responses, t.log_entries, t.incidents):
            conn.execute(delete(table))


@st.composite
def histories(draw: st.DrawFn) -> list[IncidentHistory]:
    found = []
    for n in range(draw(st.integers(min_value=1, max_value=8))):
        service = draw(st.sampled_from(sorted(TEAMS)))
        created = T0 + timedelta(
            minutes=draw(st.integers(min_value=-2 * 1440, max_value=40 * 1440))
        )
        minutes = st.integers(min_value=0, max_value=600)
        acks = []
        for user in draw(st.lists(st.sampled_from(USERS), unique=True, max_size=3)):
            via = draw(st.sampled_from(("web", "api", "cli", "link", "slack", "reassign")))
            acks.append(Acknowledgement(user, created + timedelta(minutes=draw(minutes)), via))
        if draw(st.booleans()):  # a monitoring tool's acknowledgement: never counts
            acks.append(
                Acknowledgement("integration/events", created + timedelta(seconds=30), "event")
            )
        pages = tuple(
            Page(user, created + timedelta(minutes=draw(minutes)), draw(st.integers(1, 3)))
            for user in draw(st.lists(st.sampled_from(USERS), unique=True, max_size=3))
        )
        resolution = draw(
            st.sampled_from((None, Resolution.PERSON, Resolution.EVENT, Resolution.HEARTBEAT))
        )
        resolved_after = timedelta(seconds=draw(st.integers(min_value=0, max_value=7200)))
        found.append(
            IncidentHistory(
                id=f"inc_h{n}",
                service=service,
                created_at=created,
                urgency=draw(st.sampled_from(("high", "low"))),
                team=TEAMS[service],
                component=draw(st.sampled_from((None, "disk"))),
                alert_key="heartbeat/db" if resolution is Resolution.HEARTBEAT else f"k{n % 3}",
                acknowledgements=tuple(acks),
                pages=pages,
                resolved_at=None if resolution is None else created + resolved_after,
                resolved_by=resolution,
            )
        )
    return found


def _check_agreement(engine: Engine, made: list[IncidentHistory]) -> None:
    store = SqlAnalyticsStore(engine)
    # Read back through the tables (what ownit recorded of them), then stored: the same.
    read_back = store.histories(PERIOD.since, PERIOD.until)
    recomputed = {h.id: record_of(h) for h in read_back}
    stored = {r.id: r for r in store.records(PERIOD.since, PERIOD.until)}
    assert stored == recomputed
    expected = {h.id: record_of(h).stored for h in made if PERIOD.holds(h.created_at)}
    assert {i: r.stored for i, r in stored.items()} == expected
    for by in (None, *GroupBy):
        assert incident_report(stored.values(), PERIOD, by=by) == incident_report(
            read_back, PERIOD, by=by
        )
    assert noise_report(stored.values(), PERIOD) == noise_report(read_back, PERIOD)
    for drills in Drills:
        responses = store.responses(PERIOD.since, PERIOD.until, drills=drills)
        assert report_of_responses(responses, [], [], {}, PERIOD) == responder_report(
            made, [], [], {}, PERIOD, drills=drills
        )


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(made=histories())
def test_stored_figures_agree_with_the_histories(
    engine: Engine, made: list[IncidentHistory]
) -> None:
    _clear(engine)
    seed(engine, made)
    _check_agreement(engine, made)  # computed at the first read (none were stored)
    with engine.begin() as conn:
        backfill_stale(conn)  # as migration 0020 does: the same figures
    _check_agreement(engine, made)


@pytest.mark.parametrize(
    "made",
    [HAND_MADE, [*HAND_MADE, MERGE_TARGET, MERGE_SOURCE]],
    ids=["hand-made", "with-a-merge"],
)
def test_stored_figures_of_the_hand_made_cases(engine: Engine, made: list[IncidentHistory]) -> None:
    seed(engine, made)
    _check_agreement(engine, made)  # computed in memory: a read stores nothing
    assert SqlFigureCatchUp(engine)(T0) == len(made)  # the worker's pass stores them
    _check_agreement(engine, made)
    with engine.connect() as conn:
        merged = conn.execute(
            select(t.incident_figures.c.merged_into).where(
                t.incident_figures.c.incident_id == MERGE_SOURCE.id
            )
        ).scalar()
    assert merged == (MERGE_TARGET.id if MERGE_SOURCE in made else None)


# A path that changes the incident row without writing the figures (an event's resolution
# on the ingest path, the autoResolve timer, a merge): the next report sees the change
# (computed in memory, nothing written), and the worker's next pass stores it.
STALE_CASES = [
    (
        "resolved by its event",
        {"status": "resolved", "resolved_at": at(2), "resolved_by": "integration/events"},
        (None, 120.0, False, True, True),
    ),
    (
        "resolved by a person",
        {"status": "resolved", "resolved_at": at(30), "resolved_by": "bob"},
        (None, 1800.0, False, False, False),
    ),
    (
        "acknowledged by a person, not recorded how",
        {"status": "acknowledged", "acknowledged_at": at(3), "acknowledged_by": "bob"},
        (180.0, None, False, False, False),
    ),
    (
        "acknowledged by an event",
        {
            "status": "acknowledged",
            "acknowledged_at": at(3),
            "acknowledged_by": "integration/events",
        },
        (None, None, False, False, False),
    ),
    (
        "its alerts moved away (a merge)",
        {"status": "resolved", "resolved_at": at(40), "resolved_by": "alice", "alert_count": 0},
        (None, 2400.0, False, False, False),
    ),
]


@pytest.mark.parametrize(
    ("change", "values", "facts"), STALE_CASES, ids=[c[0] for c in STALE_CASES]
)
def test_a_change_the_figures_were_not_written_for_shows_at_the_next_read(
    engine: Engine, change: str, values: dict[str, object], facts: tuple[object, ...]
) -> None:
    opened = IncidentHistory("inc_open", "api", at(0), alert_key="disk")
    seed(engine, [opened])
    store, catch_up = SqlAnalyticsStore(engine), SqlFigureCatchUp(engine)
    assert catch_up(T0) == 1  # stored as they are now
    [before] = store.records(PERIOD.since, PERIOD.until)
    assert tuple(before.stored) == (None, None, False, False, False)
    with engine.begin() as conn:
        conn.execute(update(t.incidents).where(t.incidents.c.id == opened.id).values(**values))
    [after] = store.records(PERIOD.since, PERIOD.until)
    assert tuple(after.stored) == facts, change
    assert _stored(engine, opened.id) == (None, None)  # the read wrote nothing
    assert catch_up(T0) == 1
    assert _stored(engine, opened.id) == facts[:2]  # the worker's pass stored them
    assert catch_up(T0) == 0  # and nothing is left behind
    [again] = store.records(PERIOD.since, PERIOD.until)
    assert again == after


def _stored(engine: Engine, incident_id: str) -> tuple[object, ...]:
    with engine.connect() as conn:
        row = conn.execute(
            select(t.incident_figures.c.tta, t.incident_figures.c.ttr).where(
                t.incident_figures.c.incident_id == incident_id
            )
        ).one()
    return tuple(row)


def test_refresh_writes_the_figures_in_the_callers_transaction(engine: Engine) -> None:
    seed(engine, [IncidentHistory("inc_x", "api", at(0), alert_key="disk")])
    with engine.begin() as conn:
        conn.execute(
            update(t.incidents)
            .where(t.incidents.c.id == "inc_x")
            .values(status="resolved", resolved_at=at(10), resolved_by="alice")
        )
        refresh(conn, ["inc_x"])
        ttr = conn.execute(select(t.incident_figures.c.ttr)).scalar()
    assert ttr == 600.0


# What a person does through the incident store writes the figures in its own transaction
# (no report has read the incident yet): (status, via, at minute) → stored TTA and TTR.
PERSON_CASES = [
    ([("acknowledged", "web", 4)], (240.0, None)),
    ([("acknowledged", "slack", 2), ("resolved", None, 30)], (120.0, 1800.0)),
    ([("resolved", None, 10)], (None, 600.0)),
]


@pytest.mark.parametrize(("steps", "expected"), PERSON_CASES)
def test_the_incident_store_writes_the_figures_with_the_acknowledgement_and_resolution(
    engine: Engine, steps: list[tuple[str, str | None, int]], expected: tuple[object, ...]
) -> None:
    seed(engine, [IncidentHistory("inc_p", "api", at(0), alert_key="disk")])
    store = SqlIncidentStore(engine)
    for status, via, minute in steps:
        store.set_status("inc_p", Status(status), by="bob", at=at(minute), message="", via=via)
    with engine.connect() as conn:
        row = conn.execute(
            select(t.incident_figures.c.tta, t.incident_figures.c.ttr).where(
                t.incident_figures.c.incident_id == "inc_p"
            )
        ).one()
    assert tuple(row) == expected


@pytest.mark.parametrize("stale", [1, 3], ids=["one", "three"])
def test_the_worker_stores_figures_a_path_left_behind(engine: Engine, stale: int) -> None:
    made = [IncidentHistory(f"inc_w{n}", "api", at(n), alert_key="disk") for n in range(stale)]
    seed(engine, made)  # no figures stored: every one is stale
    clock = FakeClock(T0)
    work = build_worker(Settings(database_url=str(engine.url)), engine, clock=clock)
    try:
        work.run_once()
        with engine.connect() as conn:
            stored = conn.execute(select(t.incident_figures.c.incident_id)).scalars().all()
        assert sorted(stored) == [h.id for h in made]
        with engine.begin() as conn:  # an event resolves one on the ingest path
            conn.execute(
                update(t.incidents)
                .where(t.incidents.c.id == "inc_w0")
                .values(status="resolved", resolved_at=at(2), resolved_by="integration/events")
            )
        work.run_once()  # within FIGURES_EVERY of the last pass: not yet
        assert _stored(engine, "inc_w0") == (None, None)
        clock.advance(seconds=10)
        work.run_once()
        assert _stored(engine, "inc_w0") == (None, 120.0)
    finally:
        work.stop()


@pytest.mark.parametrize("stored", [False, True], ids=["computed", "stored"])
@pytest.mark.parametrize("service", [None, "api"], ids=["every-service", "api"])
def test_the_page_reports_read_once_equal_the_separate_reports(
    engine: Engine, stored: bool, service: str | None
) -> None:
    # The /analytics page asks for its three groupings (and the total) in one read and one
    # pass: the same reports as asking for each alone, and as the rules give.
    made = [*HAND_MADE, MERGE_TARGET, MERGE_SOURCE]
    seed(engine, made)
    if stored:
        with engine.begin() as conn:
            assert backfill_stale(conn) == len(made)
    store, clock = SqlAnalyticsStore(engine), FakeClock(PERIOD.until)
    bys = (GroupBy.TEAM, GroupBy.SERVICE, GroupBy.WEEK, None)
    query = uc.Query(service=service)
    together = uc.incident_reports(store=store, clock=clock, query=query, bys=bys)
    alone = [
        uc.incidents(
            store=store, clock=clock, query=replace(query, by=None if by is None else by.value)
        )
        for by in bys
    ]
    assert together == alone
    # The rules on the histories as read back from the tables (what ownit recorded).
    read_back = store.histories(PERIOD.since, PERIOD.until, service=service)
    assert together == [incident_report(read_back, PERIOD, by=by) for by in bys]
    assert together[0].total.count > 0
    assert [r.total for r in together] == [together[0].total] * len(bys)


def test_figures_stored_with_another_creation_instant_are_computed_afresh(
    engine: Engine,
) -> None:
    # A report joins each incident's figures on its id and creation instant (one seek in
    # the covering index, decision 0066): a stored row that does not match reads as stale.
    opened = IncidentHistory(
        "inc_moved", "api", at(0), alert_key="disk", resolved_at=at(10), resolved_by=None
    )
    seed(engine, [opened])
    with engine.begin() as conn:
        backfill_stale(conn)
        conn.execute(
            update(t.incident_figures)
            .where(t.incident_figures.c.incident_id == opened.id)
            .values(created_at=at(1), ttr=12345.0)
        )
    [record] = SqlAnalyticsStore(engine).records(PERIOD.since, PERIOD.until)
    assert record.stored.ttr == 600.0  # from its history, not the mismatched row's 12345
    assert _stored(engine, opened.id) == (None, 12345.0)  # and the read wrote nothing
