"""The built-in standards: a table of catalogs where each passes and fails, with the reason
in words; levels; custom standards and scorecards; team roll-ups."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ownit.adapters.catalog.yaml_source import load_text
from ownit.domain.catalog.model import (
    Contact,
    Contract,
    EscalationPolicy,
    Member,
    NotificationRule,
    PolicyLevel,
    PolicyTarget,
    Service,
    Team,
    User,
)
from ownit.domain.oncall.rotations import Layer, Restriction, Rotation
from ownit.domain.oncall.schedules import Override
from ownit.domain.oncall.schedules import Schedule as Calc
from ownit.domain.standards import (
    BUILTIN_IDS,
    ActionItem,
    Bounds,
    History,
    ResolvedIncident,
    World,
    build_report,
    parse_rules,
)
from ownit.domain.standards.history import add_business_days

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # a Wednesday
MAIL = (Contact("mail", "email", address="x@example.com"),)
RULES = (NotificationRule("mail"),)


def person(name: str, *, contacts: bool = True, rules: bool = True) -> User:
    return User(name, contacts=MAIL if contacts else (), notification_rules=RULES if rules else ())


def everyone() -> dict[str, User]:
    return {n: person(n) for n in ("ann", "bob", "cat")}


GOOD = Service(
    "cart",
    description="Takes the customer's basket to checkout.",
    owner="shop",
    escalation_policy="shop",
    tier=1,
    runbook="https://wiki.example.com/cart",
    depends_on=("db",),
    dependencies_stated=True,
)
DB = Service(
    "db",
    description="The shop's database, Postgres 16.",
    owner="shop",
    escalation_policy="shop",
    tier=3,
    runbook_text="Restart it.",
    dependencies_stated=True,
    contract=Contract("https://api.example.com/db"),
)
TEAM = Team("shop", members=(Member("ann", "manager"), Member("bob")))
TWO_LEVELS = EscalationPolicy(
    "shop",
    levels=(
        PolicyLevel(timedelta(minutes=5), (PolicyTarget("schedule", "shop"),)),
        PolicyLevel(timedelta(minutes=10), (PolicyTarget("user", "ann"),)),
    ),
)
WEEKLY = Calc(
    "shop", "UTC", (Layer("l", datetime(2026, 11, 2), Rotation(1, "week"), ("ann", "bob")),)
)


def world(**changes: Any) -> World:
    base: dict[str, Any] = {
        "now": NOW,
        "services": {"cart": GOOD, "db": DB},
        "teams": {"shop": TEAM},
        "users": everyone(),
        "policies": {"shop": TWO_LEVELS},
        "schedules": {"shop": WEEKLY},
    }
    base.update(changes)
    return World(**base)


def verdict(w: World, standard: str, service: str = "cart") -> tuple[bool, str]:
    report = build_report(w, service=service)
    check = next(c for c in report.services[0].checks if c.id == standard)
    return check.ok, check.why


def with_cart(**fields: Any) -> dict[str, Service]:
    return {"cart": dataclasses.replace(GOOD, **fields), "db": DB}


BUSINESS_HOURS = Calc(
    "shop",
    "UTC",
    (
        Layer(
            "day",
            datetime(2026, 11, 2),
            Rotation(1, "week"),
            ("ann", "bob"),
            (Restriction(frozenset(range(5)), time(9), time(17)),),
        ),
    ),
)
GAP_FILLED = dataclasses.replace(
    BUSINESS_HOURS, overrides=(Override("bob", NOW - timedelta(days=1), NOW + timedelta(days=30)),)
)
ONE_LEVEL = EscalationPolicy("shop", levels=(TWO_LEVELS.levels[0],))
PM_OLD = NOW - timedelta(days=10)
PM_NEW = NOW - timedelta(days=2)

CASES: list[tuple[str, str, dict[str, Any], bool, str]] = [
    # (standard, case, world changes, ok, reason contains)
    ("has-owner", "owned", {}, True, "owned by team shop"),
    ("has-owner", "no owner", {"services": with_cart(owner=None)}, False, "names no owning team"),
    ("has-owner", "unknown team", {"teams": {}}, False, "its owner 'shop' is not a team"),
    (
        "has-owner",
        "component of no team",
        {"services": with_cart(components=({"name": "refunds", "owner": "ghosts"},))},
        False,
        "components owned by no team: refunds ('ghosts')",
    ),
    ("team-size", "two", {}, True, "team shop has 2 members (2–8)"),
    (
        "team-size",
        "alone",
        {"teams": {"shop": Team("shop", members=(Member("ann"),))}},
        False,
        "team shop has 1 member; at least 2 are needed",
    ),
    (
        "team-size",
        "bounds per org",
        {"bounds": Bounds(team_min=3)},
        False,
        "team shop has 2 members; at least 3",
    ),
    (
        "team-size",
        "too big",
        {"teams": {"shop": Team("shop", members=tuple(Member(f"u{i}") for i in range(9)))}},
        False,
        "team shop has 9 members; more than 8 (two pizzas)",
    ),
    ("escalation-depth", "two levels", {}, True, "policy shop: 2 levels, reaching 2 people"),
    (
        "escalation-depth",
        "one level",
        {"policies": {"shop": ONE_LEVEL}},
        False,
        "has one level and does not repeat",
    ),
    (
        "escalation-depth",
        "repeats",
        {"policies": {"shop": dataclasses.replace(ONE_LEVEL, repeat=2)}},
        True,
        "1 level, repeated 2×, reaching 2 people",
    ),
    (
        "escalation-depth",
        "one person",
        {
            "policies": {
                "shop": EscalationPolicy(
                    "shop",
                    levels=(
                        PolicyLevel(timedelta(minutes=5), (PolicyTarget("user", "ann"),)),
                        PolicyLevel(timedelta(minutes=5), (PolicyTarget("user", "ann"),)),
                    ),
                )
            }
        },
        False,
        "reaches 1 person; at least 2",
    ),
    ("escalation-depth", "no policy", {"policies": {}}, False, "has no escalation policy"),
    ("oncall-coverage", "weekly rotation", {}, True, "covered for the next 14 days"),
    (
        "oncall-coverage",
        "business hours only",
        {"schedules": {"shop": BUSINESS_HOURS}},
        False,
        "nobody is on call in shop from 2026-12-02 17:00 UTC to 2026-12-03 09:00 UTC",
    ),
    (
        "oncall-coverage",
        "an override fills the gap",
        {"schedules": {"shop": GAP_FILLED}},
        True,
        "covered",
    ),
    (
        "oncall-coverage",
        "tier 3 needs none",
        {"schedules": {"shop": BUSINESS_HOURS}, "services": with_cart(tier=3)},
        True,
        "not tier 1–2",
    ),
    ("responders-reachable", "everyone", {}, True, "all 2 people the policy pages"),
    (
        "responders-reachable",
        "no contact",
        {"users": {**everyone(), "bob": person("bob", contacts=False, rules=False)}},
        False,
        "no contact: bob",
    ),
    (
        "responders-reachable",
        "no rule",
        {"users": {**everyone(), "ann": person("ann", rules=False)}},
        False,
        "no notification rule: ann",
    ),
    ("has-runbook", "url", {}, True, "runbook at https://wiki.example.com/cart"),
    ("has-runbook", "text", {}, True, "runbookText is written"),
    ("has-runbook", "none", {"services": with_cart(runbook=None)}, False, "neither runbook"),
    ("has-description", "long", {}, True, "described in 40 characters"),
    (
        "has-description",
        "short",
        {"services": with_cart(description="A cart.")},
        False,
        "its description has 7 characters; at least 20",
    ),
    ("has-description", "none", {"services": with_cart(description="")}, False, "no description"),
    ("dependencies-declared", "listed", {}, True, "depends on db"),
    (
        "dependencies-declared",
        "stated empty",
        {"services": with_cart(depends_on=())},
        True,
        "states it depends on nothing",
    ),
    (
        "dependencies-declared",
        "unsaid",
        {"services": with_cart(depends_on=(), dependencies_stated=False)},
        False,
        "does not state dependsOn",
    ),
    ("has-contract", "nobody needs it", {}, True, "nobody depends on it"),
    ("has-contract", "needed, named", {}, True, "contract at https://api.example.com/db"),
    (
        "has-contract",
        "needed, missing",
        {"services": {"cart": GOOD, "db": dataclasses.replace(DB, contract=None)}},
        False,
        "cart depends on it but it names no contract",
    ),
    ("mtta-target", "no incidents", {}, True, "no acknowledged incidents"),
    ("mtta-target", "fast", {"history": History(mtta_p50={"cart": 120.0})}, True, "2m ≤ 5m"),
    (
        "mtta-target",
        "slow",
        {"history": History(mtta_p50={"cart": 600.0})},
        False,
        "10m is over the target of 5m",
    ),
    (
        "mtta-target",
        "per tier",
        {
            "history": History(mtta_p50={"cart": 120.0}),
            "bounds": Bounds(mtta_by_tier={1: timedelta(minutes=1)}),
        },
        False,
        "over the target of 1m",
    ),
    ("drilled-recently", "no drills recorded", {}, True, "drills are not recorded"),
    (
        "drilled-recently",
        "never",
        {"history": History(drills={})},
        False,
        "no drill on policy shop was ever acknowledged",
    ),
    (
        "drilled-recently",
        "lately",
        {"history": History(drills={"shop": NOW - timedelta(days=30)})},
        True,
        "drilled on 2026-11-02",
    ),
    (
        "drilled-recently",
        "long ago",
        {"history": History(drills={"shop": NOW - timedelta(days=91)})},
        False,
        "over 90 days ago",
    ),
    ("postmortems-done", "not recorded", {}, True, "postmortems are not recorded"),
    (
        "postmortems-done",
        "missing",
        {"history": History(postmortems={"cart": (ResolvedIncident("#7", PM_OLD),)})},
        False,
        "without a postmortem in review or closed: #7",
    ),
    (
        "postmortems-done",
        "draft is not done",
        {"history": History(postmortems={"cart": (ResolvedIncident("#7", PM_OLD, "draft"),)})},
        False,
        "#7",
    ),
    (
        "postmortems-done",
        "in review",
        {"history": History(postmortems={"cart": (ResolvedIncident("#7", PM_OLD, "in_review"),)})},
        True,
        "all 1 high-urgency incidents have one",
    ),
    (
        "postmortems-done",
        "not due yet",
        {"history": History(postmortems={"cart": (ResolvedIncident("#8", PM_NEW),)})},
        True,
        "no high-urgency incident needs a postmortem yet",
    ),
    ("no-overdue-actions", "not recorded", {}, True, "action items are not recorded"),
    (
        "no-overdue-actions",
        "overdue",
        {"history": History(actions={"cart": (ActionItem("Add alert", date(2026, 11, 30)),)})},
        False,
        "1 action item past due, the oldest 'Add alert' due 2026-11-30",
    ),
    (
        "no-overdue-actions",
        "done",
        {"history": History(actions={"cart": (ActionItem("x", date(2026, 11, 30), True),)})},
        True,
        "no action item is past due",
    ),
]


@pytest.mark.parametrize(
    ("standard", "changes", "ok", "why"),
    [pytest.param(s, ch, ok, why, id=f"{s}: {case}") for s, case, ch, ok, why in CASES],
)
def test_each_builtin_standard_passes_and_fails_with_its_reason(
    standard: str, changes: dict[str, Any], ok: bool, why: str
) -> None:
    service = "db" if "contract" in why or "runbookText" in why else "cart"
    got_ok, got_why = verdict(world(**changes), standard, service)
    assert (got_ok, why in got_why) == (ok, True), got_why


def test_every_builtin_has_a_passing_and_a_failing_case() -> None:
    covered = {(s, ok) for s, _, _, ok, _ in CASES}
    assert covered == {(s, ok) for s in BUILTIN_IDS for ok in (True, False)}


@pytest.mark.parametrize(
    ("changes", "level", "missing"),
    [
        ({"history": History(drills={"shop": NOW})}, "gold", ()),
        ({}, "gold", ()),  # sources not recorded yet pass
        ({"history": History(mtta_p50={"cart": 900.0})}, "silver", ("mtta-target",)),
        ({"services": with_cart(runbook=None)}, "bronze", ("has-runbook",)),
        (
            {"services": with_cart(description="", runbook=None)},
            "none",
            ("has-description",),
        ),
        (
            {"schedules": {"shop": BUSINESS_HOURS}, "history": History(mtta_p50={"cart": 900.0})},
            "bronze",
            ("oncall-coverage",),
        ),
    ],
)
def test_a_services_level_is_the_highest_whose_standards_all_pass(
    changes: dict[str, Any], level: str, missing: tuple[str, ...]
) -> None:
    report = build_report(world(**changes), service="cart")
    assert (report.services[0].level, report.services[0].missing) == (level, missing)


def test_team_counts_roll_up_to_the_parent_team() -> None:
    teams = {
        "shop": dataclasses.replace(TEAM, parent="retail"),
        "retail": Team("retail", members=TEAM.members),
    }
    bare = Service("bare", owner="retail")
    w = world(teams=teams, services={"cart": GOOD, "db": DB, "bare": bare})
    report = build_report(w)
    counts = {t.team: (t.services, dict(t.by_level)) for t in report.teams}
    assert counts["shop"] == (2, {"none": 0, "bronze": 0, "silver": 0, "gold": 2})
    assert counts["retail"] == (3, {"none": 1, "bronze": 0, "silver": 0, "gold": 2})
    only = build_report(w, team="retail")
    assert [s.service for s in only.services] == ["bare", "cart", "db"]
    assert [s.service for s in build_report(w, team="shop").services] == ["cart", "db"]


RULES_YAML = """\
apiVersion: ownit/v1
kind: Standard
metadata: {name: pci-contract, description: PCI services publish a contract}
spec:
  when: {tier: [1, 2], tags: [pci], labels: {region: eu}}
  require: [contract, "label:data-owner"]
---
apiVersion: ownit/v1
kind: Scorecard
metadata: {name: ours}
spec:
  levels:
    - {name: basic, standards: [has-owner]}
    - {name: safe, standards: [pci-contract, has-runbook]}
"""


@pytest.mark.parametrize(
    ("fields", "ok", "why", "level"),
    [
        ({}, True, "does not apply (only tier 1 or 2; tagged pci; region=eu)", "safe"),
        ({"tags": ("pci",)}, True, "does not apply", "safe"),
        (
            {"tags": ("pci",), "labels": (("region", "eu"),)},
            False,
            "tier 1 or 2; tagged pci; region=eu: lacks contract, label:data-owner",
            "basic",
        ),
        (
            {
                "tags": ("pci", "java"),
                "labels": (("data-owner", "ann"), ("region", "eu")),
                "contract": Contract("https://api.example.com/cart"),
            },
            True,
            "has contract, label:data-owner",
            "safe",
        ),
        ({"tags": ("pci",), "labels": (("region", "eu"),), "tier": 3}, True, "does not", "safe"),
    ],
)
def test_custom_standards_select_by_fields_tags_and_labels(
    fields: dict[str, Any], ok: bool, why: str, level: str
) -> None:
    rules = parse_rules(load_text(RULES_YAML, "rules.yaml").documents)
    assert rules.problems == ()
    report = build_report(
        world(services=with_cart(**fields)),
        levels=rules.levels,
        custom=rules.custom,
        service="cart",
    )
    check = next(c for c in report.services[0].checks if c.id == "pci-contract")
    assert (check.ok, why in check.why) == (ok, True), check.why
    assert report.services[0].level == level


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "kind: Scorecard\nmetadata: {name: s}\nspec:\n  levels:\n"
            "    - {name: bronze, standards: [has-ownr]}\n",
            'r.yaml:6: levels[0].standards[0] "has-ownr" is not a standard (built-in or kind: '
            'Standard) (did you mean "has-owner"?)',
        ),
        (
            "kind: Scorecard\nmetadata: {name: s}\nspec:\n  levels:\n"
            "    - {name: b, standards: [has-owner]}\n    - {name: b, standards: [has-runbook]}\n",
            'r.yaml:7: levels[1].name "b" is used twice',
        ),
        (
            "kind: Scorecard\nmetadata: {name: s}\nspec:\n  levels:\n"
            "    - {name: none, standards: [has-owner]}\n",
            'r.yaml:6: levels[0].name "none" is the level below all levels',
        ),
        (
            "kind: Standard\nmetadata: {name: x}\nspec:\n  require: [contrat]\n",
            'r.yaml:5: require[0] "contrat" is not a field a standard can require',
        ),
        (
            "kind: Standard\nmetadata: {name: x}\nspec:\n  when: {tier: [7]}\n  require: [docs]\n",
            "r.yaml:5: when.tier[0] must be a tier from 1 to 4, not 7",
        ),
        (
            "kind: Standard\nmetadata: {name: x}\nspec:\n  when: {team: [a]}\n  require: [docs]\n",
            'r.yaml:5: unknown field "team" in when',
        ),
        (
            "kind: Standard\nmetadata: {name: has-owner}\nspec:\n  require: [docs]\n",
            'r.yaml:3: Standard "has-owner" is a built-in standard\'s id',
        ),
        (
            "kind: Standard\nmetadata: {name: x}\nspec:\n  when: {tier: [1]}\n",
            "r.yaml:4: require is required",
        ),
    ],
)
def test_bad_scorecards_and_standards_name_file_and_line(text: str, message: str) -> None:
    rules = parse_rules(load_text("apiVersion: ownit/v1\n" + text, "r.yaml").documents)
    assert rules.problems, text
    assert str(rules.problems[0]).startswith(message), rules.problems


@given(
    start=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
    days=st.integers(min_value=1, max_value=30),
)
def test_business_days_skip_weekends(start: datetime, days: int) -> None:
    end = add_business_days(start, days)
    counted = sum(
        1 for i in range(1, (end - start).days + 1) if (start + timedelta(days=i)).weekday() < 5
    )
    assert counted == days
    assert end.weekday() < 5
    assert end.time() == start.time()
