"""The on-call use cases on an in-memory store: escalation lookups, everyone, feed windows."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ownit.app import calendar_feed as feeds
from ownit.app import oncall as uc
from ownit.app.oncall import Person, ServicePolicy, StoredOverride
from ownit.app.tokens import hash_token
from ownit.domain.catalog import EscalationPolicy, PolicyLevel, PolicyTarget, Schedule
from ownit.domain.errors import NotFound
from ownit.domain.oncall.rotations import Layer, Rotation
from tests.builders import FakeClock

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
ALWAYS_ALICE = Schedule(
    "solo",
    timezone="Europe/Berlin",
    layers=(Layer("all", datetime(2025, 1, 6, 9), Rotation(1, "week"), ("alice",)),),
)
PAIR = Schedule(
    "pair",
    timezone="UTC",
    layers=(Layer("days", datetime(2026, 11, 23), Rotation(1, "day"), ("alice", "bob")),),
)


class FakeStore:
    def __init__(self, *schedules: Schedule) -> None:
        self.by_name = {s.name: s for s in schedules}
        self.added: list[StoredOverride] = []
        self.policies: list[ServicePolicy] = []
        self.users = {"alice": "Alice", "bob": "Bob"}
        self.tokens: dict[str, str] = {}

    def schedules(self) -> list[Schedule]:
        return [self.by_name[n] for n in sorted(self.by_name)]

    def schedule(self, name: str) -> Schedule | None:
        return self.by_name.get(name)

    def overrides(
        self, *, since: datetime, until: datetime | None = None, schedule: str | None = None
    ) -> list[StoredOverride]:
        return [
            o
            for o in self.added
            if o.end > since
            and (until is None or o.start < until)
            and schedule in (None, o.schedule)
        ]

    def add_override(
        self,
        *,
        schedule: str,
        user: str,
        start: datetime,
        end: datetime,
        created_by: str,
        created_at: datetime,
    ) -> StoredOverride | None:
        found = StoredOverride(
            len(self.added) + 1, schedule, user, start, end, created_by, created_at
        )
        self.added.append(found)
        return found

    def delete_override(self, *, schedule: str, override_id: int, at: datetime) -> bool:
        return False

    def people(self, names: Collection[str]) -> dict[str, Person]:
        return {n: Person(n, self.users[n]) for n in names if n in self.users}

    def service_policies(self, only: Collection[str] | None = None) -> list[ServicePolicy]:
        return [p for p in self.policies if only is None or p.service in only]

    def set_calendar_token(self, *, user: str, token_hash: str, at: datetime) -> bool:
        if user not in self.users:
            return False
        self.tokens = {h: u for h, u in self.tokens.items() if u != user}
        self.tokens[token_hash] = user
        return True

    def calendar_user(self, token_hash: str) -> str | None:
        return self.tokens.get(token_hash)


def test_the_escalation_lookup_finds_nobody_in_an_unknown_schedule() -> None:
    store = FakeStore(PAIR)
    assert uc.on_call_names(store=store, name="pair", at=NOW) == ("bob",)  # Thursday
    assert uc.on_call_names(store=store, name="gone", at=NOW) == ()
    broken = replace(PAIR, name="broken", timezone="Nowhere/Else")
    assert uc.on_call_names(store=FakeStore(broken), name="broken", at=NOW) == ()


def test_the_escalation_lookup_uses_what_the_caller_read_as_the_store_would() -> None:
    """A service page reads the schedules (its kept catalog) and every override ending after
    now once; the lookup picks from them what the store's own queries would return."""
    store = FakeStore(PAIR)
    hour = timedelta(hours=1)
    for schedule, user, start, end in (
        ("pair", "alice", NOW - hour, NOW + hour),  # now: alice instead of bob
        ("solo", "bob", NOW - hour, NOW + hour),  # another schedule's
        ("pair", "bob", NOW + hour, NOW + 2 * hour),  # later: not now
    ):
        store.add_override(
            schedule=schedule, user=user, start=start, end=end, created_by="x", created_at=NOW
        )
    read = store.overrides(since=NOW)
    known = {"pair": PAIR}
    empty = FakeStore()  # nothing left to read from the store
    assert uc.on_call_names(store=store, name="pair", at=NOW) == ("alice",)
    assert uc.on_call_names(store=empty, name="pair", at=NOW, known=known, overrides=read) == (
        "alice",
    )
    later = NOW + hour + timedelta(minutes=1)
    assert uc.on_call_names(store=empty, name="pair", at=later, known=known, overrides=read) == (
        "bob",
    )
    assert uc.on_call_names(store=empty, name="gone", at=NOW, known=known, overrides=read) == ()


def test_everyone_resolves_each_level_once_per_person() -> None:
    store = FakeStore(PAIR, ALWAYS_ALICE)
    policy = EscalationPolicy(
        "p",
        levels=(
            PolicyLevel(
                timedelta(minutes=5),
                (PolicyTarget("schedule", "pair"), PolicyTarget("schedule", "solo")),
            ),
            PolicyLevel(
                timedelta(minutes=5),
                (
                    PolicyTarget("schedule", "gone"),
                    PolicyTarget("user", "bob"),
                    PolicyTarget("schedule", "pair"),
                ),
            ),
        ),
    )
    store.policies = [ServicePolicy("api", policy), ServicePolicy("db", None)]
    found = uc.everyone(store=store, at=NOW)
    assert [(s.schedule, [p.name for p in s.people]) for s in found.schedules] == [
        ("pair", ["bob"]),
        ("solo", ["alice"]),
    ]
    api, db = found.services
    assert [(lv.level, [p.display_name for p in lv.people]) for lv in api.levels] == [
        (1, ["Bob", "Alice"]),
        (2, ["Bob"]),  # nobody in "gone"; bob once
    ]
    assert (db.escalation_policy, db.levels) == (None, ())


def test_everyone_for_some_services_reads_only_their_schedules() -> None:
    store = FakeStore(PAIR, ALWAYS_ALICE)
    only_solo = EscalationPolicy(
        "s", levels=(PolicyLevel(timedelta(minutes=5), (PolicyTarget("schedule", "solo"),)),)
    )
    store.policies = [ServicePolicy("api", only_solo), ServicePolicy("db", None)]
    found = uc.everyone(store=store, at=NOW, services=["api"])
    assert [s.schedule for s in found.schedules] == ["solo"]  # not "pair"
    assert [(s.service, [p.name for p in s.levels[0].people]) for s in found.services] == [
        ("api", ["alice"])
    ]
    assert uc.everyone(store=store, at=NOW, services=[]).services == ()


def test_overrides_are_checked_before_they_are_stored() -> None:
    store = FakeStore(PAIR)
    clock = FakeClock(NOW)
    start, end = NOW + timedelta(hours=1), NOW + timedelta(hours=2)

    def add(schedule: str = "pair", user: str = "alice", **times: datetime) -> StoredOverride:
        return uc.add_override(
            store=store,
            clock=clock,
            schedule=schedule,
            user=user,
            start=times.get("start", start),
            end=times.get("end", end),
            by="test",
        )

    with pytest.raises(NotFound):
        add(schedule="nope", user="zoe")
    with pytest.raises(uc.InvalidOnCallRequest) as caught:
        add(user="zoe")
    assert caught.value.field == "user"
    with pytest.raises(uc.InvalidOnCallRequest) as caught:
        add(start=datetime(2026, 11, 26, 13))
    assert caught.value.field == "start"
    assert store.added == []
    assert add().created_at == NOW
    assert uc.on_call(store=store, name="pair", at=start).people == (Person("alice", "Alice"),)


def test_a_long_shift_keeps_its_feed_start_for_a_week() -> None:
    store = FakeStore(ALWAYS_ALICE)
    token = feeds.rotate_calendar_token(tokens=store, clock=FakeClock(NOW), user="alice")
    starts = set()
    for days in range(4):  # Thursday 26 November to Sunday: the same week boundary
        now = NOW + timedelta(days=days)
        feed = feeds.calendar_feed(store=store, tokens=store, token=token, now=now)
        (shift,) = feed.shifts  # alice is always on call: one shift
        assert shift.start <= now - feeds.PAST
        assert shift.end >= now + feeds.AHEAD
        starts.add(shift.start)
    assert starts == {datetime(2026, 10, 26, tzinfo=UTC)}  # a Monday, 00:00 UTC


def test_feed_tokens_are_checked_by_hash_and_replaced() -> None:
    store = FakeStore(PAIR)
    first = feeds.rotate_calendar_token(tokens=store, clock=FakeClock(NOW), user="bob")
    assert first.startswith("ownitcal_")
    assert store.tokens == {hash_token(first): "bob"}
    second = feeds.rotate_calendar_token(tokens=store, clock=FakeClock(NOW), user="bob")
    for token in (first, "not-ours", "ownitcal_guess"):
        with pytest.raises(feeds.FeedNotFound, match="no calendar feed at this address"):
            feeds.calendar_feed(store=store, tokens=store, token=token, now=NOW)
    feed = feeds.calendar_feed(store=store, tokens=store, token=second, now=NOW)
    assert feed.person == Person("bob", "Bob")
    assert {s.schedule for s in feed.shifts} == {"pair"}
    with pytest.raises(NotFound):
        feeds.rotate_calendar_token(tokens=store, clock=FakeClock(NOW), user="zoe")
