"""Whole incidents told as stories: the pure escalation rules driven on a fake clock.

:class:`Incident` is a tiny simulation of what the engine does: it opens the incident, then
on every :meth:`Incident.wait` moves the clock to each due time in turn (escalation timers
and personal notification timers alike) and calls the rules, keeping what they decide.
:meth:`Incident.happened` reads what happened since the last look, as short lines with the
minutes since the incident opened: ``"10m page erin level 2 loop 0"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from ownit.domain.escalation import (
    AllLevelsEmpty,
    EscalationExhausted,
    Intent,
    Level,
    LogEntry,
    Page,
    Policy,
    Step,
    Target,
    acknowledge,
    escalate_to,
    page_key,
    reassign,
    resolve,
    start,
    tick,
)
from ownit.domain.incidents import Status, Urgency
from ownit.domain.oncall.notification_rules import Rule, plan_notifications, still_due
from ownit.domain.oncall.schedules import Layer, Restriction, Rotation, Schedule, on_call

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # a Thursday, 13:00 in Berlin
BERLIN = "Europe/Berlin"
WEEKDAYS = frozenset(range(5))


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def user(name: str) -> Target:
    return Target("user", name)


def schedule(name: str) -> Target:
    return Target("schedule", name)


def rotation(name: str, start: str, every: Rotation, *users: str) -> Schedule:
    """A one-layer Berlin schedule: ``users`` take turns from local time ``start``."""
    layer = Layer(name, datetime.fromisoformat(start), every, users)
    return Schedule(name, BERLIN, (layer,))


def office_hours(name: str, *users: str) -> Schedule:
    """Berlin weekdays 09:00–17:00 only; nobody on call at night or at weekends."""
    hours = Restriction(WEEKDAYS, time(9), time(17))
    layer = Layer(name, datetime(2026, 1, 5, 9), Rotation(1, "week"), users, (hours,))
    return Schedule(name, BERLIN, (layer,))


@dataclass(frozen=True)
class _Timer:
    """A personal notification rule waiting to fire."""

    due_at: datetime
    page: Page
    contact: str
    rule: str = ""  # a later rule on the same contact: its own key


class Incident:
    """One incident, driven through the pure rules by a fake clock."""

    def __init__(
        self,
        policy: Policy,
        *,
        schedules: Sequence[Schedule] = (),
        urgency: Urgency = Urgency.HIGH,
        ack_timeout: timedelta | None = None,
        rules: Mapping[str, Sequence[Rule]] | None = None,
        opened_at: datetime = T0,
        incident_id: str = "inc_1",
    ) -> None:
        self.policy = policy
        self.schedules = {s.name: s for s in schedules}
        self.urgency = urgency
        self.ack_timeout = ack_timeout
        self.rules = rules
        self.opened_at = self.now = opened_at
        self.incident_id = incident_id
        self.lines: list[str] = []
        self.intents: list[Intent] = []
        self.sent_keys: list[str] = []
        self.timers: list[_Timer] = []
        self.acknowledged_at: datetime | None = None
        self._read = 0
        self._take(start(policy, urgency, self.on_call, self.now))

    # --- the world the rules see ---

    def on_call(self, target: Target, at: datetime) -> tuple[str, ...]:
        """Who is on call in a schedule target: the real schedule calculator."""
        person = on_call(self.schedules[target.name], at)
        return () if person is None else (person,)

    # --- what people and time do ---

    def wait(self, *, minutes: float = 0, hours: float = 0) -> None:
        """Let time pass, firing every escalation and notification timer on the way."""
        end = self.now + timedelta(minutes=minutes, hours=hours)
        while (due := self._next_due()) is not None and due <= end:
            self.now = due
            if self.state.next_due_at is not None and self.state.next_due_at <= due:
                self._take(tick(self.state, self.policy, self.on_call, due))
            self._fire_notifications()
        self.now = end

    def acknowledge(self) -> None:
        self.acknowledged_at = self.now
        self._take(acknowledge(self.state, self.now, self.ack_timeout))

    def resolve(self) -> None:
        self._take(resolve(self.state, self.now))

    def escalate_to(self, level: int) -> None:
        self._take(escalate_to(self.state, self.policy, level, self.on_call, self.now))

    def reassign(self, *users: str) -> None:
        self._take(reassign(self.state, self.policy, users, self.now))

    # --- reading the story ---

    def happened(self) -> list[str]:
        """What happened since the last look (the ``paged`` timeline lines are left out:
        each one goes with its pages)."""
        news, self._read = self.lines[self._read :], len(self.lines)
        return news

    def status(self) -> Status:
        return self.state.status

    def log(self, kind: str) -> list[str]:
        """Every timeline message of ``kind`` so far."""
        return [i.message for i in self.intents if isinstance(i, LogEntry) and i.kind == kind]

    # --- the engine's part ---

    def _take(self, step: Step) -> None:
        if step.next_due_at is not None:
            assert step.next_due_at > self.now, "a timer must point to the future"
        self.state = step.state
        self.intents.extend(step.intents)
        for intent in step.intents:
            line = self._line(intent)
            if line:
                self.lines.append(f"{self._minute(self.now)} {line}")
            if isinstance(intent, Page) and self.rules is not None:
                self._plan(intent)

    def _line(self, intent: Intent) -> str | None:
        if isinstance(intent, Page):
            return f"page {intent.user} level {intent.level} loop {intent.loop}"
        if isinstance(intent, AllLevelsEmpty):
            return "ALERT nobody can be paged"
        if isinstance(intent, EscalationExhausted):
            return "ALERT escalation exhausted"
        return None if intent.kind == "paged" else intent.kind

    def _plan(self, page: Page) -> None:
        assert self.rules is not None
        for notify in plan_notifications(self.rules.get(page.user, ()), page.at, self.urgency):
            self.timers.append(_Timer(notify.due_at, page, notify.contact, notify.rule))

    def _next_due(self) -> datetime | None:
        times = [t.due_at for t in self.timers]
        if self.state.next_due_at is not None:
            times.append(self.state.next_due_at)
        return min(times, default=None)

    def _fire_notifications(self) -> None:
        due = sorted((t for t in self.timers if t.due_at <= self.now), key=lambda t: t.due_at)
        self.timers = [t for t in self.timers if t.due_at > self.now]
        for timer in due:
            page = timer.page
            if not still_due(
                self.state.status, paged_at=page.at, acknowledged_at=self.acknowledged_at
            ):
                continue
            key = page_key(
                self.incident_id, page.loop, page.level, page.user, timer.contact, timer.rule
            )
            self.sent_keys.append(key)
            self.lines.append(f"{self._minute(self.now)} send {timer.contact} to {page.user}")

    def _minute(self, at: datetime) -> str:
        return f"{(at - self.opened_at) / timedelta(minutes=1):g}m"


# --- the stories -------------------------------------------------------------------------

ANN_THEN_BOB = Policy(
    "payments", (Level(minutes(10), (user("ann"),)), Level(minutes(15), (user("bob"),))), repeat=1
)


def test_escalate_acknowledge_time_out_and_resolve() -> None:
    incident = Incident(ANN_THEN_BOB, ack_timeout=minutes(30))
    assert incident.happened() == ["0m page ann level 1 loop 0"]

    incident.wait(minutes=9)
    assert incident.happened() == []  # ann still has a minute

    incident.wait(minutes=1)
    assert incident.happened() == ["10m page bob level 2 loop 0"]

    incident.wait(minutes=2)
    incident.acknowledge()  # bob, at 12m
    incident.wait(minutes=29)
    assert incident.happened() == ["12m acknowledged"]  # nobody else is bothered

    incident.wait(minutes=1)  # 42m: the 30m ack timeout runs out
    assert incident.happened() == ["42m retriggered", "42m page ann level 1 loop 1"]
    assert incident.status() is Status.TRIGGERED

    incident.wait(minutes=10)
    assert incident.happened() == ["52m page bob level 2 loop 1"]

    incident.wait(minutes=3)
    incident.resolve()
    incident.wait(hours=24)
    assert incident.happened() == ["55m resolved"]
    assert incident.status() is Status.RESOLVED
    assert incident.state.next_due_at is None


def test_repeats_then_exhaustion() -> None:
    policy = Policy(
        "payments",
        (Level(minutes(5), (user("ann"),)), Level(minutes(5), (user("bob"),))),
        repeat=2,
    )
    incident = Incident(policy)
    incident.wait(hours=6)
    assert incident.happened() == [
        "0m page ann level 1 loop 0",
        "5m page bob level 2 loop 0",
        "10m repeated",
        "10m page ann level 1 loop 1",
        "15m page bob level 2 loop 1",
        "20m repeated",
        "20m page ann level 1 loop 2",
        "25m page bob level 2 loop 2",
        "30m exhausted",
        "30m ALERT escalation exhausted",
    ]
    assert incident.log("repeated") == [
        "nobody acknowledged: starting policy payments again from level 1 (repeat 1 of 2)",
        "nobody acknowledged: starting policy payments again from level 1 (repeat 2 of 2)",
    ]
    assert incident.status() is Status.TRIGGERED  # stays visible
    assert incident.state.exhausted


def test_an_empty_level_is_skipped_and_logged() -> None:
    night = datetime(2026, 11, 26, 1, 30, tzinfo=UTC)  # 02:30 in Berlin
    policy = Policy(
        "payments",
        (
            Level(minutes(10), (schedule("payments-primary"),)),
            Level(minutes(15), (user("alice"),)),
        ),
    )
    incident = Incident(
        policy, schedules=[office_hours("payments-primary", "ann", "bob")], opened_at=night
    )
    assert incident.happened() == ["0m skipped", "0m page alice level 2 loop 0"]
    assert incident.log("skipped") == [
        "level 1 has nobody on call (schedule payments-primary has a gap): skipped"
    ]
    incident.wait(minutes=15)
    assert incident.happened() == ["15m exhausted", "15m ALERT escalation exhausted"]


def test_every_level_empty_is_an_alert_then_retried_until_someone_is_on_call() -> None:
    before_work = datetime(2026, 11, 26, 7, 30, tzinfo=UTC)  # 08:30 in Berlin
    policy = Policy(
        "payments",
        (
            Level(minutes(10), (schedule("payments-primary"),)),
            Level(minutes(15), (schedule("payments-secondary"),)),
        ),
    )
    incident = Incident(
        policy,
        schedules=[
            office_hours("payments-primary", "ann"),
            office_hours("payments-secondary", "bob"),
        ],
        opened_at=before_work,
    )
    assert incident.happened() == ["0m unreachable", "0m ALERT nobody can be paged"]
    assert incident.log("unreachable") == [
        "nobody can be paged: every level of policy payments is empty ("
        "level 1 has nobody on call (schedule payments-primary has a gap); "
        "level 2 has nobody on call (schedule payments-secondary has a gap)); "
        "trying again at 2026-11-26 07:40:00 UTC"
    ]
    assert incident.status() is Status.TRIGGERED

    incident.wait(minutes=29)
    assert incident.happened() == []  # retried at 10m and 20m, quietly: the alert is out

    incident.wait(minutes=1)  # 09:00 in Berlin: office hours begin
    assert incident.happened() == ["30m page ann level 1 loop 0"]
    incident.wait(minutes=10)
    assert incident.happened() == ["40m page bob level 2 loop 0"]


def test_low_urgency_never_escalates() -> None:
    incident = Incident(ANN_THEN_BOB, urgency=Urgency.LOW, ack_timeout=minutes(30))
    incident.wait(hours=24)
    assert incident.happened() == ["0m page ann level 1 loop 0"]

    incident.acknowledge()
    incident.wait(hours=1)  # the ack timeout still brings it back, to level 1 only
    assert incident.happened() == [
        "1440m acknowledged",
        "1470m retriggered",
        "1470m page ann level 1 loop 1",
    ]


def test_low_urgency_notifies_by_the_first_rule_only() -> None:
    rules = {"ann": [Rule("hook", minutes(0)), Rule("mail", minutes(2))]}
    incident = Incident(ANN_THEN_BOB, urgency=Urgency.LOW, rules=rules)
    incident.wait(hours=1)
    assert incident.happened() == ["0m page ann level 1 loop 0", "0m send hook to ann"]


def test_escalate_by_hand() -> None:
    policy = Policy(
        "payments",
        (
            Level(minutes(10), (user("ann"),)),
            Level(minutes(10), (user("bob"),)),
            Level(minutes(20), (user("carol"),)),
        ),
        repeat=1,
    )
    incident = Incident(policy)
    incident.wait(minutes=3)
    incident.escalate_to(3)  # ann is stuck: straight to the manager
    assert incident.happened() == [
        "0m page ann level 1 loop 0",
        "3m escalated",
        "3m page carol level 3 loop 0",
    ]

    incident.wait(minutes=20)  # level 3's 20m run out: the repeat starts at level 1
    assert incident.happened() == ["23m repeated", "23m page ann level 1 loop 1"]

    incident.escalate_to(1)  # again from the top: a new loop, so ann is paged anew
    assert incident.happened() == ["23m escalated", "23m page ann level 1 loop 2"]


def test_reassign_gives_the_new_person_a_full_window() -> None:
    incident = Incident(ANN_THEN_BOB)
    incident.wait(minutes=4)
    incident.reassign("dave")
    incident.wait(minutes=13)
    assert incident.happened() == [
        "0m page ann level 1 loop 0",
        "4m reassigned",
        "4m page dave level 1 loop 1",
        "14m page bob level 2 loop 1",
    ]


def test_schedule_targets_are_resolved_when_their_level_is_notified() -> None:
    # Berlin local times; the incident opens at 13:00 Berlin (12:00 UTC).
    primary = rotation("payments-primary", "2026-11-19T13:20", Rotation(1, "week"), "ann", "bob")
    secondary = rotation(
        "payments-secondary", "2026-11-25T13:05", Rotation(1, "day"), "dave", "erin"
    )
    policy = Policy(
        "payments",
        (
            Level(minutes(10), (schedule("payments-primary"),)),
            Level(minutes(15), (schedule("payments-secondary"),)),
        ),
        repeat=1,
    )
    incident = Incident(policy, schedules=[primary, secondary])
    assert on_call(secondary, T0) == "dave"  # dave holds the pager when it opens …
    incident.wait(hours=1)
    assert incident.happened() == [
        "0m page ann level 1 loop 0",
        "10m page erin level 2 loop 0",  # … but erin took over at 13:05, before level 2
        "25m repeated",
        "25m page bob level 1 loop 1",  # the weekly handoff to bob was at 13:20
        "35m page erin level 2 loop 1",
        "50m exhausted",
        "50m ALERT escalation exhausted",
    ]
    assert [p.via for p in incident.intents if isinstance(p, Page)] == [
        schedule("payments-primary"),
        schedule("payments-secondary"),
        schedule("payments-primary"),
        schedule("payments-secondary"),
    ]


def test_a_reminder_on_the_same_contact_fires_until_acknowledged() -> None:
    """GoAlert's usual rules: the app at once and again 20 s later, mail after 2 minutes."""
    rules = {"ann": [Rule("app", timedelta(0)), Rule("app", timedelta(seconds=20))]}
    rules["ann"].append(Rule("mail", minutes(2)))
    incident = Incident(ANN_THEN_BOB, rules=rules)
    incident.wait(minutes=1)
    incident.acknowledge()
    incident.wait(minutes=30)
    assert incident.happened() == [
        "0m page ann level 1 loop 0",
        "0m send app to ann",
        "0.333333m send app to ann",
        "1m acknowledged",
    ]
    assert incident.sent_keys == ["inc_1:0:1:ann:app", "inc_1:0:1:ann:app:20s"]


def test_personal_rules_stop_at_acknowledge() -> None:
    rules = {
        "ann": [Rule("hook", minutes(0)), Rule("mail", minutes(2)), Rule("phone", minutes(5))],
        "bob": [Rule("mail", minutes(0))],
    }
    incident = Incident(ANN_THEN_BOB, rules=rules, ack_timeout=minutes(30))
    incident.wait(minutes=3)
    incident.acknowledge()  # ann, after the hook and the mail, before the phone
    incident.wait(minutes=40)
    assert incident.happened() == [
        "0m page ann level 1 loop 0",
        "0m send hook to ann",
        "2m send mail to ann",
        "3m acknowledged",
        "33m retriggered",
        "33m page ann level 1 loop 1",
        "33m send hook to ann",  # the re-trigger pages anew; the old phone rule stays dead
        "35m send mail to ann",
        "38m send phone to ann",
        "43m page bob level 2 loop 1",
        "43m send mail to bob",
    ]
    assert incident.sent_keys == [
        "inc_1:0:1:ann:hook",
        "inc_1:0:1:ann:mail",
        "inc_1:1:1:ann:hook",
        "inc_1:1:1:ann:mail",
        "inc_1:1:1:ann:phone",
        "inc_1:1:2:bob:mail",
    ]
    assert len(set(incident.sent_keys)) == len(incident.sent_keys)


def test_resolve_ends_everything() -> None:
    rules = {"ann": [Rule("hook", minutes(0)), Rule("mail", minutes(5))]}
    incident = Incident(ANN_THEN_BOB, rules=rules)
    incident.wait(minutes=1)
    incident.resolve()
    incident.wait(hours=48)
    assert incident.happened() == [
        "0m page ann level 1 loop 0",
        "0m send hook to ann",
        "1m resolved",
    ]
