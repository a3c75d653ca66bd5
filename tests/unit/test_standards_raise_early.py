"""Raised before they bite, on a fake clock: a daily check opens one low-urgency problem per
dedup key for a tier 1–2 on-call gap in the next 7 days and for an unreachable responder,
never twice while open, and resolves it when an override fills the gap."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ownit.domain.oncall.schedules import Override
from ownit.domain.standards import World
from ownit.domain.standards.raise_early import Raised, plan, problems
from tests.unit.test_standards import BUSINESS_HOURS, person, world

START = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # a Monday morning


def daily(w: World, open_keys: set[str]) -> tuple[list[str], list[str]]:
    """One run of the daily check: opens and resolves, applied to ``open_keys``."""
    step = plan(problems(w), open_keys)
    opened = [r.dedup_key for r in step.open]
    open_keys.update(opened)
    open_keys.difference_update(step.resolve)
    return opened, list(step.resolve)


def test_a_gap_opens_once_and_resolves_when_an_override_fills_it() -> None:
    open_keys: set[str] = set()
    schedules = {"shop": BUSINESS_HOURS}
    runs: list[tuple[list[str], list[str]]] = []
    for day in range(3):
        now = START + timedelta(days=day)
        runs.append(daily(world(now=now, schedules=schedules), open_keys))
    assert runs == [(["standards/oncall-gap/cart"], []), ([], []), ([], [])]
    raised = problems(world(now=START, schedules=schedules))
    assert [(r.team, r.managers, r.service) for r in raised] == [("shop", ("ann",), "cart")]
    assert raised[0].title.startswith("On-call gap for cart in the next 7 days: nobody is on")

    # bob takes every night and weekend of the next weeks: the gap is filled
    cover = Override("bob", START, START + timedelta(days=30))
    filled = {"shop": dataclasses.replace(BUSINESS_HOURS, overrides=(cover,))}
    now = START + timedelta(days=3)
    assert daily(world(now=now, schedules=filled), open_keys) == (
        [],
        ["standards/oncall-gap/cart"],
    )
    assert open_keys == set()
    assert daily(world(now=now + timedelta(days=1), schedules=filled), open_keys) == ([], [])


def test_only_gaps_within_seven_days_and_only_tier_1_and_2() -> None:
    def covered(days: int) -> dict[str, object]:
        cover = Override("bob", START, START + timedelta(days=days))
        return {"shop": dataclasses.replace(BUSINESS_HOURS, overrides=(cover,))}

    assert problems(world(now=START, schedules=covered(8))) == []  # the first gap: day 8
    assert [r.dedup_key for r in problems(world(now=START, schedules=covered(5)))] == [
        "standards/oncall-gap/cart"
    ]
    tier3 = {"cart": dataclasses.replace(world().services["cart"], tier=3)}
    assert problems(world(now=START, schedules=covered(5), services=tier3)) == []


def test_an_unreachable_responder_is_one_problem_whatever_the_services() -> None:
    users = {"ann": person("ann"), "bob": person("bob", contacts=False, rules=False)}
    open_keys: set[str] = set()
    opened, _ = daily(world(now=START, users=users), open_keys)
    assert opened == ["standards/unreachable/bob"]
    raised = problems(world(now=START, users=users))
    assert raised[0].title == "bob can be paged for cart but has no contact"
    assert daily(world(now=START + timedelta(days=1), users=users), open_keys) == ([], [])
    fixed = {"ann": person("ann"), "bob": person("bob")}
    assert daily(world(now=START + timedelta(days=2), users=fixed), open_keys) == (
        [],
        ["standards/unreachable/bob"],
    )


def test_keys_of_other_features_are_never_resolved() -> None:
    step = plan([], {"heartbeat/db", "standards/oncall-gap/gone"})
    assert step.resolve == ("standards/oncall-gap/gone",)


_KEYS = st.sampled_from(
    ["standards/oncall-gap/cart", "standards/oncall-gap/db", "standards/unreachable/bob"]
)


@given(
    days=st.lists(st.sets(_KEYS), min_size=1, max_size=8),
    others=st.sets(st.sampled_from(["heartbeat/db", "drill/x/1"])),
)
def test_each_day_leaves_open_exactly_the_problems_of_the_day(
    days: list[set[str]], others: set[str]
) -> None:
    """Whatever the days' problems, after each run the open ``standards/`` keys are the
    day's problems: nothing opened twice, nothing fixed left open, other keys untouched."""
    open_keys = set(others)
    for today in days:
        current = [Raised(k, "shop", ("ann",), "cart", k) for k in sorted(today)]
        step = plan(current, open_keys)
        opened = [r.dedup_key for r in step.open]
        assert len(opened) == len(set(opened))
        assert not set(opened) & open_keys  # never a second one while one is open
        assert set(step.resolve) <= open_keys - others
        open_keys = (open_keys | set(opened)) - set(step.resolve)
        assert open_keys == today | others
