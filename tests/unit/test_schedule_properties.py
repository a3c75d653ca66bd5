"""Properties of the schedule calculator on random schedules around daylight-saving days."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from ownit.domain.oncall.schedules import (
    Layer,
    Override,
    Restriction,
    Rotation,
    Schedule,
    Shift,
    Unit,
    gaps,
    layer_shifts,
    local_to_utc,
    on_call,
    shifts,
    validate,
)

FAST = settings(max_examples=200, deadline=None, database=None)

ZONES = ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "UTC", "Asia/Kolkata"]

# Transition instants of 2026: NY, Berlin and Lord Howe, both directions.
TRANSITIONS = [
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 4, 4, 15, tzinfo=UTC),
    datetime(2026, 10, 3, 15, 30, tzinfo=UTC),
]
UNIT_CHOICES: list[Unit] = ["hour", "day", "week"]
USERS = ["ann", "bob", "cat", "dan", "eve"]
TICK = timedelta(microseconds=1)

# Offsets: quarter hours (so edges collide with handoffs), often within three hours of the
# transition (inside a gap or the repeated hour), sometimes any second.
offsets = st.one_of(
    st.integers(-12, 12).map(lambda q: timedelta(minutes=15 * q)),
    st.integers(-4 * 96, 4 * 96).map(lambda q: timedelta(minutes=15 * q)),
    st.integers(-4 * 86400, 4 * 86400).map(lambda s: timedelta(seconds=s)),
)
instants = st.builds(lambda base, off: base + off, st.sampled_from(TRANSITIONS), offsets)
quarter_hours = st.integers(0, 95).map(lambda q: time(q // 4, q % 4 * 15))


@st.composite
def restrictions(draw: st.DrawFn) -> Restriction:
    return Restriction(
        days=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        start=draw(quarter_hours),
        end=draw(quarter_hours),
    )


@st.composite
def layers(draw: st.DrawFn, index: int) -> Layer:
    near = draw(st.sampled_from(TRANSITIONS)).date() + timedelta(days=draw(st.integers(-6, 2)))
    unit = draw(st.sampled_from(UNIT_CHOICES))
    count = draw(st.integers(1, 8) if unit == "hour" else st.integers(1, 2))
    return Layer(
        name=f"layer{index}",
        start=datetime.combine(near, draw(quarter_hours)),
        rotation=Rotation(count, unit),
        users=tuple(draw(st.lists(st.sampled_from(USERS), min_size=1, max_size=3))),
        restrictions=tuple(draw(st.lists(restrictions(), max_size=2))),
    )


@st.composite
def overrides(draw: st.DrawFn) -> Override:
    start = draw(instants)
    length = timedelta(minutes=draw(st.integers(1, 3 * 96)) * 15)
    return Override(draw(st.sampled_from([*USERS, "ovr"])), start, start + length)


@st.composite
def schedules(draw: st.DrawFn, min_overrides: int = 0) -> Schedule:
    count = draw(st.integers(1, 3))
    return Schedule(
        name="prop",
        timezone=draw(st.sampled_from(ZONES)),
        layers=tuple(draw(layers(i)) for i in range(count)),
        overrides=tuple(draw(st.lists(overrides(), min_size=min_overrides, max_size=3))),
    )


lengths = st.one_of(
    st.integers(0, 4 * 96).map(lambda q: timedelta(minutes=15 * q)),
    st.integers(0, 4 * 86400).map(lambda s: timedelta(seconds=s)),
)
spans = st.builds(lambda since, length: (since, since + length), instants, lengths)


def covering(found: list[Shift], at: datetime) -> str | None:
    """The user of the shift containing ``at``, or ``None``."""
    return next((s.user for s in found if s.start <= at < s.end), None)


def samples(start: datetime, end: datetime) -> list[datetime]:
    """The first, a middle and the last instant of ``[start, end)``."""
    middle = start + (end - start) // 2
    return [start, middle, end - TICK]


@FAST
@given(schedules(), spans)
def test_at_most_one_person_at_any_instant(plan: Schedule, span: tuple[datetime, datetime]) -> None:
    since, until = span
    found = shifts(plan, since, until)
    for shift in found:
        assert since <= shift.start < shift.end <= until
        assert shift.start.tzinfo is UTC
    for before, after in pairwise(found):
        assert before.end <= after.start  # in order, never overlapping
        assert not (before.end == after.start and before.user == after.user)  # merged


@FAST
@given(schedules(), spans)
def test_shifts_and_gaps_tile_the_range(plan: Schedule, span: tuple[datetime, datetime]) -> None:
    since, until = span
    pieces = sorted(
        [(s.start, s.end) for s in shifts(plan, since, until)] + gaps(plan, since, until)
    )
    if since == until:
        assert pieces == []
        return
    assert pieces[0][0] == since
    assert pieces[-1][1] == until
    for (_, end), (start, _) in pairwise(pieces):
        assert end == start


@FAST
@given(schedules(), spans)
def test_gaps_have_nobody_and_shifts_have_their_user(
    plan: Schedule, span: tuple[datetime, datetime]
) -> None:
    since, until = span
    for start, end in gaps(plan, since, until)[:15]:
        for at in samples(start, end):
            assert on_call(plan, at) is None
            assert not any(o.start <= at < o.end for o in plan.overrides)
    for shift in shifts(plan, since, until)[:15]:
        for at in samples(shift.start, shift.end):
            assert on_call(plan, at) == shift.user


@FAST
@given(schedules(min_overrides=1), st.data())
def test_an_override_wins_over_every_layer(plan: Schedule, data: st.DataObject) -> None:
    chosen = data.draw(st.sampled_from(plan.overrides))
    at = chosen.start + (chosen.end - chosen.start) * data.draw(st.floats(0, 1))
    at = min(max(at, chosen.start), chosen.end - TICK)
    winner = [o.user for o in plan.overrides if o.start <= at < o.end][-1]
    assert on_call(plan, at) == winner
    assert shifts(plan, at, at + TICK) == [Shift(winner, at, at + TICK)]


@FAST
@given(schedules(), spans, st.lists(st.floats(0, 1), min_size=1, max_size=10))
def test_on_call_agrees_with_shifts(
    plan: Schedule, span: tuple[datetime, datetime], where: list[float]
) -> None:
    since, until = span
    if since == until:
        return
    found = shifts(plan, since, until)
    for fraction in where:
        at = min(since + (until - since) * fraction, until - TICK)
        assert on_call(plan, at) == covering(found, at)


@FAST
@given(schedules(), spans)
def test_restrictions_never_pause_the_rotation(
    plan: Schedule, span: tuple[datetime, datetime]
) -> None:
    since, until = span
    unrestricted = Schedule(
        plan.name,
        plan.timezone,
        tuple(Layer(x.name, x.start, x.rotation, x.users) for x in plan.layers),
    )
    for index in range(len(plan.layers)):
        free = layer_shifts(unrestricted, index, since, until)
        for shift in layer_shifts(plan, index, since, until):
            owner = [f for f in free if f.start <= shift.start and shift.end <= f.end]
            assert len(owner) == 1
            assert owner[0].user == shift.user


@FAST
@given(schedules(), spans, st.floats(0, 1))
def test_splitting_the_range_changes_nothing(
    plan: Schedule, span: tuple[datetime, datetime], fraction: float
) -> None:
    since, until = span
    middle = since + (until - since) * fraction
    joined = shifts(plan, since, middle) + shifts(plan, middle, until)
    merged: list[Shift] = []
    for shift in joined:
        if merged and merged[-1].end == shift.start and merged[-1].user == shift.user:
            merged[-1] = Shift(shift.user, merged[-1].start, shift.end)
        else:
            merged.append(shift)
    assert merged == shifts(plan, since, until)


@FAST
@given(st.sampled_from(ZONES), st.sampled_from(TRANSITIONS), offsets, offsets)
def test_local_time_is_placed_at_the_first_instant_reaching_it(
    zone_name: str, base: datetime, one: timedelta, other: timedelta
) -> None:
    zone = ZoneInfo(zone_name)
    first, second = sorted(base.replace(tzinfo=None) + x for x in (one, other))

    def reading(at: datetime) -> datetime:
        return at.astimezone(zone).replace(tzinfo=None)

    placed = local_to_utc(first, zone)
    assert reading(placed) >= first
    assert reading(placed - TICK) < first
    assert placed <= local_to_utc(second, zone)


@FAST
@given(schedules())
def test_generated_schedules_are_valid(plan: Schedule) -> None:
    assert validate(plan) == []
