"""Personal notification rules: when each contact is notified after a page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ownit.domain.incidents import Status, Urgency
from ownit.domain.oncall.notification_rules import (
    Contact,
    Notify,
    Rule,
    default_rules,
    plan_notifications,
    still_due,
    validate_rules,
)

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HIGH, LOW = Urgency.HIGH, Urgency.LOW
FAST = settings(max_examples=200, deadline=None)

MAIL = Contact("mail", "email", "alice@example.com")
HOOK = Contact("hook", "webhook", "http://127.0.0.1:9000/pages")
PHONE = Contact("phone", "push", "https://ntfy.example.com/alice")
CONTACTS = (MAIL, HOOK, PHONE)


def m(minutes: int) -> timedelta:
    return timedelta(minutes=minutes)


def rule(contact: str, minutes: int) -> Rule:
    return Rule(contact, m(minutes))


@pytest.mark.parametrize(
    ("rules", "urgency", "planned"),
    [
        pytest.param(
            [rule("hook", 0), rule("mail", 2)],
            HIGH,
            [("hook", 0), ("mail", 2)],
            id="each-rule-at-its-after",
        ),
        pytest.param(
            [rule("mail", 5), rule("hook", 0), rule("phone", 5)],
            HIGH,
            [("hook", 0), ("mail", 5), ("phone", 5)],
            id="by-due-time-ties-keep-rule-order",
        ),
        pytest.param(
            [rule("mail", 5), rule("hook", 0)], LOW, [("mail", 5)], id="low-urgency-first-rule"
        ),
        pytest.param(
            [], HIGH, [("mail", 0), ("hook", 0), ("phone", 0)], id="no-rules-every-contact-now"
        ),
        pytest.param([], LOW, [("mail", 0)], id="no-rules-low-urgency-first-contact"),
        pytest.param(
            [rule("hook", 0), rule("hook", 5), rule("mail", 2)],
            HIGH,
            [("hook", 0), ("mail", 2), ("hook", 5, "5m")],
            id="a-reminder-on-the-same-contact-has-its-own-key",
        ),
        pytest.param(
            [rule("hook", 5), rule("hook", 0)],
            HIGH,
            [("hook", 0), ("hook", 5, "5m")],
            id="the-earliest-rule-keeps-the-plain-key-whatever-the-order",
        ),
        pytest.param(
            [rule("hook", 0), rule("hook", 0), rule("hook", 3)],
            HIGH,
            [("hook", 0), ("hook", 3, "3m")],
            id="the-same-rule-twice-is-sent-once",
        ),
        pytest.param(
            [rule("hook", 5), rule("hook", 0)], LOW, [("hook", 5)], id="low-urgency-first-only"
        ),
    ],
)
def test_plan_notifications(
    rules: list[Rule], urgency: Urgency, planned: list[tuple[Any, ...]]
) -> None:
    got = plan_notifications(rules, T0, urgency, contacts=CONTACTS)
    assert got == [Notify(p[0], T0 + m(p[1]), *p[2:]) for p in planned]


@FAST
@given(
    st.lists(st.tuples(st.sampled_from(["mail", "hook", "phone"]), st.integers(0, 30)), max_size=8)
)
def test_every_planned_notification_has_a_key_of_its_own(raw: list[tuple[str, int]]) -> None:
    planned = plan_notifications([rule(c, a) for c, a in raw], T0, HIGH, contacts=CONTACTS)
    keys = [(n.contact, n.rule) for n in planned]
    assert len(keys) == len(set(keys))
    # one notification per distinct rule, none lost
    assert len(planned) == (len({(c, a) for c, a in raw}) if raw else len(CONTACTS))


def test_plan_without_rules_or_contacts_is_empty() -> None:
    assert plan_notifications([], T0, HIGH) == []


@pytest.mark.parametrize(
    ("rules", "paged_at", "message"),
    [
        pytest.param([rule("mail", -1)], T0, "notificationRules\\[0\\].after", id="negative"),
        pytest.param([rule("mail", 0)], datetime(2026, 1, 1), "aware", id="naive-page-time"),
    ],
)
def test_plan_refuses(rules: list[Rule], paged_at: datetime, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan_notifications(rules, paged_at, HIGH)


def test_plan_keeps_the_page_time_zone_instant() -> None:
    berlin = T0.astimezone(timezone(timedelta(hours=1)))
    (only,) = plan_notifications([rule("mail", 3)], berlin, HIGH)
    assert only.due_at == T0 + m(3)


def test_default_rules() -> None:
    assert default_rules(CONTACTS) == (rule("mail", 0), rule("hook", 0), rule("phone", 0))


@pytest.mark.parametrize(
    ("status", "paged", "acked", "due"),
    [
        pytest.param(Status.TRIGGERED, None, None, True, id="triggered"),
        pytest.param(Status.ACKNOWLEDGED, None, None, False, id="acknowledged"),
        pytest.param(Status.RESOLVED, None, None, False, id="resolved"),
        pytest.param(Status.TRIGGERED, 10, 5, True, id="acked-before-this-page"),
        pytest.param(Status.TRIGGERED, 10, 12, False, id="acked-after-page-then-retriggered"),
        pytest.param(Status.TRIGGERED, 10, 10, False, id="acked-at-the-page"),
        pytest.param(Status.TRIGGERED, 10, None, True, id="never-acked"),
    ],
)
def test_still_due(status: Status, paged: int | None, acked: int | None, due: bool) -> None:
    paged_at = None if paged is None else T0 + m(paged)
    acked_at = None if acked is None else T0 + m(acked)
    assert still_due(status, paged_at=paged_at, acknowledged_at=acked_at) is due


BAD_TYPE = Contact("sms", cast(Any, "sms"), "+4912345")


@pytest.mark.parametrize(
    ("rules", "contacts", "problems"),
    [
        pytest.param([rule("hook", 0), rule("mail", 2)], CONTACTS, [], id="valid"),
        pytest.param([], CONTACTS, [], id="no-rules"),
        pytest.param(
            [rule("pager", 0)],
            CONTACTS,
            [
                "notificationRules[0].contact: 'pager' is not one of this user's contacts "
                "(mail, hook, phone)"
            ],
            id="unknown-contact",
        ),
        pytest.param(
            [rule("mail", 0)],
            (),
            ["notificationRules[0].contact: 'mail' is not one of this user's contacts (none)"],
            id="no-contacts",
        ),
        pytest.param(
            [rule("mail", -2)],
            CONTACTS,
            ["notificationRules[0].after: must not be negative (got -1 day, 23:58:00)"],
            id="negative-after",
        ),
        pytest.param(
            [rule("mail", 0), rule("hook", 1), rule("mail", 5)],
            CONTACTS,
            [],
            id="a-reminder-on-the-same-contact",
        ),
        pytest.param(
            [rule("mail", 5), rule("hook", 1), rule("mail", 5)],
            CONTACTS,
            [
                "notificationRules[2]: 'mail' after 5m is already notificationRules[0]; "
                "a reminder on the same contact needs another delay"
            ],
            id="the-same-rule-twice",
        ),
        pytest.param(
            [],
            (MAIL, Contact("mail", "webhook", "http://x")),
            ["contacts[1].name: duplicate contact 'mail' (also contacts[0])"],
            id="duplicate-contact",
        ),
        pytest.param(
            [],
            (BAD_TYPE, Contact("", "email", "")),
            [
                "contacts[0].type: 'sms' is not one of email, webhook, slack, push",
                "contacts[1].name: a contact needs a name",
                "contacts[1].address: a contact needs an address",
            ],
            id="bad-contacts",
        ),
    ],
)
def test_validate_rules(
    rules: list[Rule], contacts: tuple[Contact, ...], problems: list[str]
) -> None:
    assert validate_rules(rules, contacts) == problems


# --- properties --------------------------------------------------------------------------

rule_lists = st.lists(
    st.builds(Rule, st.sampled_from(["mail", "hook", "phone"]), st.integers(0, 120).map(m)),
    max_size=5,
    unique_by=lambda r: r.contact,
)


@FAST
@given(rule_lists, st.sampled_from([HIGH, LOW]))
def test_plan_properties(rules: list[Rule], urgency: Urgency) -> None:
    plan = plan_notifications(rules, T0, urgency, contacts=CONTACTS)
    assert all(n.due_at >= T0 for n in plan)
    assert [n.due_at for n in plan] == sorted(n.due_at for n in plan)
    if urgency is LOW:
        first = rules[0] if rules else Rule(MAIL.name, timedelta(0))
        assert plan == [Notify(first.contact, T0 + first.after)]
    else:
        expected = rules or list(default_rules(CONTACTS))
        assert sorted((n.contact, n.due_at) for n in plan) == sorted(
            (r.contact, T0 + r.after) for r in expected
        )
    assert validate_rules(rules, CONTACTS) == []
