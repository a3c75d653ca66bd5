"""The standards that read other features' records: analytics (``mtta-target``), drills
(``drilled-recently``), postmortems (``postmortems-done``) and action items
(``no-overdue-actions``). Each works on plain values from :class:`~.model.History`; where
the installation does not record a source yet (``None``), the rule passes and says so.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ownit.domain.catalog.model import Service
from ownit.domain.durations import format_duration
from ownit.domain.standards.model import Check, World

DONE = ("in_review", "closed")


def add_business_days(start: datetime, days: int) -> datetime:
    """``start`` moved ``days`` working days (Monday–Friday) later, same time of day."""
    at = start
    left = days
    while left > 0:
        at += timedelta(days=1)
        if at.weekday() < 5:
            left -= 1
    return at


def _seconds(value: float) -> str:
    whole = round(value)
    return format_duration(timedelta(seconds=whole)) if whole else "0s"


def mtta_target(s: Service, world: World) -> Check:
    target = world.bounds.mtta_for(s.tier)
    p50 = world.history.mtta_p50.get(s.name)
    if p50 is None:
        return Check("mtta-target", True, "no acknowledged incidents in the last 30 days")
    if p50 <= target.total_seconds():
        return Check(
            "mtta-target",
            True,
            f"p50 time to acknowledge {_seconds(p50)} ≤ "
            f"{format_duration(target)} over the last 30 days",
        )
    return Check(
        "mtta-target",
        False,
        f"p50 time to acknowledge {_seconds(p50)} is over the "
        f"target of {format_duration(target)} (last 30 days)",
    )


def drilled_recently(s: Service, world: World) -> Check:
    if s.tier is None or s.tier > 2:
        return Check("drilled-recently", True, "not tier 1–2: no drill needed")
    if s.escalation_policy is None:
        return Check("drilled-recently", False, "has no escalation policy to drill")
    drills = world.history.drills
    if drills is None:
        return Check(
            "drilled-recently",
            True,
            "drills are not recorded in this installation yet: passes until they are",
        )
    last = drills.get(s.escalation_policy)
    days = world.bounds.drill_within.days
    if last is None:
        return Check(
            "drilled-recently",
            False,
            f"no drill on policy {s.escalation_policy} was ever acknowledged",
        )
    if world.now - last > world.bounds.drill_within:
        return Check(
            "drilled-recently",
            False,
            f"the last acknowledged drill on policy "
            f"{s.escalation_policy} was on {last:%Y-%m-%d}, over {days} days ago",
        )
    return Check(
        "drilled-recently", True, f"policy {s.escalation_policy} was drilled on {last:%Y-%m-%d}"
    )


def postmortems_done(s: Service, world: World) -> Check:
    records = world.history.postmortems
    if records is None:
        return Check(
            "postmortems-done",
            True,
            "postmortems are not recorded in this installation yet: passes until they are",
        )
    days = world.bounds.postmortem_business_days
    due = [i for i in records.get(s.name, ()) if add_business_days(i.resolved_at, days) < world.now]
    missing = [i.ref for i in due if i.postmortem not in DONE]
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        return Check(
            "postmortems-done",
            False,
            f"high-urgency incidents resolved over {days} "
            f"business days ago without a postmortem in review or closed: {shown}",
        )
    if not due:
        return Check("postmortems-done", True, "no high-urgency incident needs a postmortem yet")
    return Check("postmortems-done", True, f"all {len(due)} high-urgency incidents have one")


def no_overdue_actions(s: Service, world: World) -> Check:
    actions = world.history.actions
    if actions is None:
        return Check(
            "no-overdue-actions",
            True,
            "action items are not recorded in this installation yet: passes until they are",
        )
    today: date = world.now.date()
    late = [a for a in actions.get(s.name, ()) if not a.done and a.due < today]
    if late:
        first = min(late, key=lambda a: a.due)
        return Check(
            "no-overdue-actions",
            False,
            f"{len(late)} action item"
            f"{'' if len(late) == 1 else 's'} past due, the oldest "
            f"{first.title!r} due {first.due:%Y-%m-%d}",
        )
    return Check("no-overdue-actions", True, "no action item is past due")
