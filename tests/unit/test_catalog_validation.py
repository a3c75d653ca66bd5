"""The catalog validator: one case per message, every problem at once, with file and line."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ownit.adapters.catalog.yaml_source import load_text
from ownit.domain.catalog import (
    EscalationPolicy,
    Grouping,
    Integration,
    PolicyLevel,
    PolicyTarget,
    Problem,
    Service,
    Snapshot,
    Team,
    User,
    validate,
)
from ownit.domain.catalog.spec import to_spec

BASE = "\n".join(
    [
        "apiVersion: ownit/v1",  # 1
        "kind: User",
        "metadata: {name: alice}",
        "spec: {email: alice@example.com}",
        "---",  # 5
        "apiVersion: ownit/v1",
        "kind: User",
        "metadata: {name: bob}",
        "spec: {email: bob@example.com}",
        "---",  # 10
        "apiVersion: ownit/v1",
        "kind: Team",
        "metadata: {name: payments}",
        "spec:",
        "  members: [{user: alice, role: manager}, {user: bob}]",  # 15
        "---",
        "apiVersion: ownit/v1",
        "kind: EscalationPolicy",
        "metadata: {name: payments}",
        "spec:",  # 20
        "  team: payments",
        "  levels: [{after: 5m, targets: [{user: alice}]}]",
        "---",
        "apiVersion: ownit/v1",
        "kind: Service",  # 25
        "metadata: {name: payments-db}",
        "spec: {owner: payments, escalationPolicy: payments}",
        "---",
        "apiVersion: ownit/v1",
        "kind: Service",  # 30
        "metadata: {name: checkout-api}",
        "spec:",
        "  owner: payments",
        "  escalationPolicy: payments",
        "  dependsOn: [payments-db]",  # 35
        "  integrations:",
        '    - {name: events, type: events-v2, key: "checkout00000000000000000000000a"}',
        "",
    ]
)
OTHER_KEY = "other000000000000000000000000000"


def check(bad: str, existing: Snapshot | None = None, *, base: str = BASE) -> list[str]:
    """Problems of ``base.yaml`` and ``bad.yaml`` together, as printed."""
    docs = load_text(base, "base.yaml").documents + load_text(bad, "bad.yaml").documents
    return [str(p) for p in validate(docs, existing).problems]


def doc(kind: str, name: str, *spec: str) -> str:
    """A document whose first spec line is line 5."""
    return "\n".join(
        ["apiVersion: ownit/v1", f"kind: {kind}", f"metadata: {{name: {name}}}", "spec:", *spec, ""]
    )


def test_the_base_catalog_is_clean() -> None:
    assert check("") == []


CASES = [
    # documents
    pytest.param(
        "apiVersion: ownit/v2\nkind: User\nmetadata: {name: x}\nspec: {email: x@example.com}\n",
        ['bad.yaml:1: apiVersion must be "ownit/v1", not "ownit/v2"'],
        id="api-version",
    ),
    pytest.param(
        "apiVersion: ownit/v1\nkind: Servce\nmetadata: {name: x}\nspec: {}\n",
        ['bad.yaml:2: unknown kind "Servce" (did you mean "Service"?)'],
        id="unknown-kind",
    ),
    pytest.param(
        "apiVersion: ownit/v1\nmetadata: {name: x}\nspec: {}\n",
        ["bad.yaml:1: kind is required"],
        id="kind-required",
    ),
    pytest.param(
        "apiVersion: ownit/v1\nkind: Team\nmetadata: {name: Pay_Ments}\nspec: {}\n",
        [
            'bad.yaml:3: metadata.name "Pay_Ments" is not a slug '
            "(lowercase letters, digits and -, starting with a letter or digit)"
        ],
        id="name-not-slug",
    ),
    pytest.param(
        "apiVersion: ownit/v1\nkind: Team\nmetadata: {title: x}\nspec: {}\n",
        [
            'bad.yaml:3: unknown field "title" in metadata',
            "bad.yaml:3: metadata.name is required",
        ],
        id="name-required",
    ),
    pytest.param(
        "apiVersion: ownit/v1\nkind: Team\nmetadata: {name: x}\n",
        ["bad.yaml:1: spec is required"],
        id="spec-required",
    ),
    pytest.param(
        "apiVersion: ownit/v1\nkind: Team\nmetadata: {name: x}\nspec: [a]\n",
        ["bad.yaml:4: spec must be a mapping, not a list"],
        id="spec-mapping",
    ),
    pytest.param(
        "- just a list\n", ["bad.yaml:1: document must be a mapping, not a list"], id="doc"
    ),
    pytest.param(
        doc("Team", "payments"),
        ['bad.yaml:3: Team "payments" is defined twice (also at base.yaml:13)'],
        id="duplicate-name",
    ),
    pytest.param(
        doc("Service", "x", "  escalationPolicy: payments"),
        ["bad.yaml:4: owner is required"],
        id="owner-required",
    ),
    pytest.param(
        doc("Service", "x", "  ownr: payments"),
        ['bad.yaml:5: unknown field "ownr" in spec (did you mean "owner"?)'],
        id="unknown-field",
    ),
    # types and enums
    pytest.param(
        doc("Service", "x", "  owner: payments", "  tier: 5"),
        ["bad.yaml:6: tier must be a whole number from 1 to 4, not 5"],
        id="tier-range",
    ),
    pytest.param(
        doc("Service", "x", "  owner: payments", "  tier: one"),
        ['bad.yaml:6: tier must be a whole number from 1 to 4, not "one"'],
        id="tier-type",
    ),
    pytest.param(
        doc("Service", "x", "  owner: payments", "  urgency: hihg"),
        ['bad.yaml:6: urgency "hihg" is not one of high, low, severity (did you mean "high"?)'],
        id="urgency",
    ),
    pytest.param(
        doc("Service", "x", "  owner: payments", "  lifecycle: retired"),
        ['bad.yaml:6: lifecycle "retired" is not one of experimental, production, deprecated'],
        id="lifecycle",
    ),
    pytest.param(
        doc("Service", "x", "  owner: [payments]"),
        ["bad.yaml:5: owner must be a string, not a list"],
        id="string-type",
    ),
    pytest.param(
        doc("Service", "x", "  owner: payments", "  ackTimeout: 5 minutes"),
        [
            'bad.yaml:6: ackTimeout "5 minutes" is not a duration '
            "(write a whole number and a unit: 30s, 5m, 1h, 1d, 1w)"
        ],
        id="duration",
    ),
    pytest.param(
        doc("Service", "x", "  owner: payments", "  autoResolve: 0m"),
        ["bad.yaml:6: autoResolve must be longer than 0s"],
        id="duration-zero",
    ),
    pytest.param(
        doc("Service", "x", "  owner: payments", "  grouping: {by: []}"),
        ["bad.yaml:6: grouping.by must name at least one label"],
        id="grouping-by-empty",
    ),
    pytest.param(
        doc("Service", "x", "  owner: payments", "  grouping: {window: 10m}"),
        ["bad.yaml:6: grouping.by is required"],
        id="grouping-by-required",
    ),
    pytest.param(
        doc("Service", "x", "  owner: payments", "  grouping: {by: alertname}"),
        ['bad.yaml:6: grouping.by must be a list, not "alertname"'],
        id="grouping-by-not-a-list",
    ),
    pytest.param(
        doc("Service", "x", "  owner: payments", "  grouping:", "    by: [a, 3, '', a]"),
        [
            "bad.yaml:7: grouping.by[1] must be a string, not 3",
            'bad.yaml:7: grouping.by[2] "" is not a label name',
            'bad.yaml:7: grouping.by[3] "a" is named twice',
        ],
        id="grouping-by-items",
    ),
    pytest.param(
        doc("Service", "x", "  owner: payments", "  grouping:", "    by: [a]", "    window: soon"),
        [
            'bad.yaml:8: grouping.window "soon" is not a duration '
            "(write a whole number and a unit: 30s, 5m, 1h, 1d, 1w)"
        ],
        id="grouping-window",
    ),
    pytest.param(
        doc("Service", "x", "  owner: payments", "  grouping: {by: [a], window: 0s}"),
        ["bad.yaml:6: grouping.window must be longer than 0s"],
        id="grouping-window-zero",
    ),
    pytest.param(
        doc("Service", "x", "  owner: payments", "  grouping: {by: [a], windw: 5m}"),
        ['bad.yaml:6: unknown field "windw" in grouping (did you mean "window"?)'],
        id="grouping-unknown-field",
    ),
    pytest.param(
        doc("Service", "x", "  owner: payments", "  grouping: yes"),
        ["bad.yaml:6: grouping must be a mapping, not yes"],
        id="grouping-not-a-mapping",
    ),
    pytest.param(
        doc("Service", "x", "  owner: payments", "  runbook: wiki/checkout"),
        ['bad.yaml:6: runbook "wiki/checkout" is not an http(s) URL'],
        id="runbook-url",
    ),
    pytest.param(
        doc("Service", "x", "  owner: payments", "  runbook: https://w/x", "  runbookText: hi"),
        ["bad.yaml:7: give runbook (a URL) or runbookText, not both"],
        id="runbook-both",
    ),
    pytest.param(
        doc("Service", "x", "  owner: payments", "  components: [refunds]"),
        ["bad.yaml:6: components[0] must be a mapping with a name"],
        id="components-shape",
    ),
    pytest.param(
        doc("User", "x", "  email: x-at-example.com"),
        ['bad.yaml:5: email "x-at-example.com" does not look like an email address'],
        id="email",
    ),
    pytest.param(
        doc("User", "x", "  email: x@example.com", "  timezone: Europe/Berln"),
        [
            'bad.yaml:6: timezone "Europe/Berln" is not an IANA time zone '
            '(did you mean "Europe/Berlin"?)'
        ],
        id="timezone",
    ),
    pytest.param(
        doc("User", "x", "  timezone: UTC"),
        ["bad.yaml:4: email is required"],
        id="email-required",
    ),
    pytest.param(
        doc("Team", "x", "  members: [{user: alice, role: boss}]"),
        ['bad.yaml:5: members[0].role "boss" is not one of manager, responder, observer'],
        id="role",
    ),
    pytest.param(
        doc("Team", "x", "  members: [{user: alice}, {user: alice}]"),
        ['bad.yaml:5: members[1].user "alice" is listed twice'],
        id="member-twice",
    ),
    # contacts and notification rules
    pytest.param(
        doc(
            "User",
            "x",
            "  email: x@example.com",
            "  contacts:",
            "    - {name: mail, type: email, address: x@example.com}",
            "    - {name: mail, type: push, url: 'https://ntfy.example.com/x'}",
        ),
        ['bad.yaml:8: contacts[1].name "mail" is already used by contacts[0]'],
        id="contact-names",
    ),
    pytest.param(
        doc("User", "x", "  email: x@example.com", "  contacts: [{name: a, type: sms}]"),
        ['bad.yaml:6: contacts[0].type "sms" is not one of email, webhook, slack, push'],
        id="contact-type",
    ),
    pytest.param(
        doc("User", "x", "  email: x@example.com", "  contacts: [{name: a, type: slack}]"),
        ["bad.yaml:6: contacts[0].webhookUrl is required"],
        id="contact-required",
    ),
    pytest.param(
        doc(
            "User",
            "x",
            "  email: x@example.com",
            "  contacts: [{name: a, type: slack, webhookUrl: 'https://h/x', userId: bob}]",
        ),
        [
            'bad.yaml:6: contacts[0].userId "bob" is not a Slack member id (U or W, then '
            "capital letters and digits: U012AB3CD)"
        ],
        id="slack-user-id",
    ),
    pytest.param(
        doc(
            "User",
            "x",
            "  email: x@example.com",
            "  contacts: [{name: a, type: email, address: x@example.com, userId: U0X1}]",
        ),
        ["bad.yaml:6: contacts[0].userId is not a field of an email contact"],
        id="user-id-only-on-slack",
    ),
    pytest.param(
        doc(
            "User",
            "x",
            "  email: x@example.com",
            "  contacts: [{name: a, type: email, address: x@example.com, url: 'http://h'}]",
        ),
        ["bad.yaml:6: contacts[0].url is not a field of an email contact"],
        id="contact-foreign-field",
    ),
    pytest.param(
        doc(
            "User",
            "x",
            "  email: x@example.com",
            "  contacts: [{name: hook, type: webhook, url: 'http://127.0.0.1:9/p', "
            " secret: whsec_AAAAAAAAAAAAAAAAAAAAAAAA}]",
            "  notificationRules: [{contact: hok, after: 1m}]",
        ),
        [
            'bad.yaml:7: notificationRules[0].contact "hok" is not one of this user\'s contacts '
            '(did you mean "hook"?)'
        ],
        id="rule-contact",
    ),
    # references
    pytest.param(
        doc("Service", "x", "  owner: paymens"),
        ['bad.yaml:5: owner "paymens" does not exist (did you mean "payments"?)'],
        id="owner-ref",
    ),
    pytest.param(
        doc("Service", "x", "  owner: payments", "  escalationPolicy: payment"),
        ['bad.yaml:6: escalationPolicy "payment" does not exist (did you mean "payments"?)'],
        id="policy-ref",
    ),
    pytest.param(
        doc("Service", "x", "  owner: payments", "  dependsOn:", "    - payments-db", "    - cart"),
        ['bad.yaml:8: dependsOn[1] "cart" does not exist'],
        id="depends-on-ref",
    ),
    pytest.param(
        doc("Team", "x", "  members:", "    - {user: carol}", "    - {user: bobb}"),
        [
            'bad.yaml:6: members[0].user "carol" does not exist',
            'bad.yaml:7: members[1].user "bobb" does not exist (did you mean "bob"?)',
        ],
        id="member-ref",
    ),
    pytest.param(
        doc(
            "EscalationPolicy",
            "x",
            "  team: paymnts",
            "  levels: [{after: 1m, targets: [{user: bob}]}]",
        ),
        ['bad.yaml:5: team "paymnts" does not exist (did you mean "payments"?)'],
        id="policy-team-ref",
    ),
    pytest.param(
        doc(
            "EscalationPolicy",
            "x",
            "  levels:",
            "    - after: 1m",
            "      targets: [{user: bob}, {user: eve}]",
        ),
        ['bad.yaml:7: levels[0].targets[1].user "eve" does not exist'],
        id="target-user-ref",
    ),
    pytest.param(
        doc("EscalationPolicy", "x", "  levels: [{after: 1m, targets: [{schedule: primary}]}]"),
        ['bad.yaml:5: levels[0].targets[0].schedule "primary" does not exist'],
        id="target-schedule-ref",
    ),
    # escalation policies
    pytest.param(
        doc("EscalationPolicy", "x", "  levels: []"),
        ["bad.yaml:5: levels is empty: a policy needs at least one level"],
        id="no-levels",
    ),
    pytest.param(
        doc("EscalationPolicy", "x", "  repeat: 1"),
        ["bad.yaml:4: levels is required"],
        id="levels-required",
    ),
    pytest.param(
        doc("EscalationPolicy", "x", "  levels:", "    - after: 5m", "      targets: []"),
        ["bad.yaml:7: levels[0].targets is empty: a level needs a target"],
        id="no-targets",
    ),
    pytest.param(
        doc("EscalationPolicy", "x", "  levels: [{targets: [{user: bob}]}]"),
        ["bad.yaml:5: levels[0].after is required"],
        id="after-required",
    ),
    pytest.param(
        doc(
            "EscalationPolicy", "x", "  levels: [{after: 1m, targets: [{user: bob, schedule: s}]}]"
        ),
        [
            "bad.yaml:5: levels[0].targets[0] must name one user or one schedule: "
            "{user: NAME} or {schedule: NAME}"
        ],
        id="target-both",
    ),
    pytest.param(
        doc(
            "EscalationPolicy",
            "x",
            "  repeat: -1",
            "  levels: [{after: 1m, targets: [{user: bob}]}]",
        ),
        ["bad.yaml:5: repeat must be a whole number of 0 or more, not -1"],
        id="repeat",
    ),
    # integrations
    pytest.param(
        doc("Service", "x", "  owner: payments", "  integrations: [{name: e, type: events-v3}]"),
        [
            'bad.yaml:6: integrations[0].type "events-v3" is not one of events-v2, alertmanager '
            '(did you mean "events-v2"?)'
        ],
        id="integration-type",
    ),
    pytest.param(
        doc(
            "Service",
            "x",
            "  owner: payments",
            "  integrations: [{name: e, type: events-v2, key: abc}]",
        ),
        ['bad.yaml:6: integrations[0].key "abc" must be exactly 32 letters and digits'],
        id="key-length",
    ),
    pytest.param(
        doc(
            "Service",
            "x",
            "  owner: payments",
            '  integrations: [{name: e, type: events-v2, key: "checkout-0000000000000000000000a"}]',
        ),
        [
            'bad.yaml:6: integrations[0].key "checkout-0000000000000000000000a" '
            "must be exactly 32 letters and digits"
        ],
        id="key-characters",
    ),
    pytest.param(
        doc(
            "Service",
            "x",
            "  owner: payments",
            "  integrations: [{name: e, type: events-v2, key: 12345678901234567890123456789012}]",
        ),
        [
            "bad.yaml:6: integrations[0].key must be a string (put it in quotes), "
            "not 12345678901234567890123456789012"
        ],
        id="key-number",
    ),
    pytest.param(
        doc(
            "Service",
            "x",
            "  owner: payments",
            "  integrations: [{name: e, type: events-v2, key: 0000000000000000000000000000000_}]",
        ),
        [
            "bad.yaml:6: integrations[0].key must be a string (put it in quotes), "
            "not 0000000000000000000000000000000_"
        ],
        id="key-yaml-number",
    ),
    pytest.param(
        doc(
            "Service",
            "x",
            "  owner: payments",
            "  integrations:",
            "    - {name: e, type: events-v2, key: checkout00000000000000000000000a}",
        ),
        [
            "bad.yaml:7: integrations[0].key is already used by "
            'integration "events" of service "checkout-api"'
        ],
        id="key-unique",
    ),
    pytest.param(
        doc(
            "Service",
            "x",
            "  owner: payments",
            "  integrations:",
            "    - {name: e, type: events-v2}",
            "    - {name: e, type: alertmanager}",
        ),
        ['bad.yaml:8: integrations[1].name "e" is already used by integrations[0]'],
        id="integration-names",
    ),
    # cycles
    pytest.param(
        doc("Service", "x", "  owner: payments", "  dependsOn: [x]"),
        ["bad.yaml:6: dependsOn forms a cycle: x → x"],
        id="self-cycle",
    ),
    pytest.param(
        "\n".join(
            [
                doc("Service", "a", "  owner: payments", "  dependsOn: [b]"),
                "---",
                doc("Service", "b", "  owner: payments", "  dependsOn: [payments-db, c]"),
                "---",
                doc("Service", "c", "  owner: payments", "  dependsOn: [a]"),
            ]
        ),
        ["bad.yaml:6: dependsOn forms a cycle: a → b → c → a"],
        id="cycle",
    ),
]


@pytest.mark.parametrize(("bad", "expected"), CASES)
def test_one_problem_each(bad: str, expected: list[str]) -> None:
    assert check(bad) == expected


def test_every_problem_at_once_in_file_and_line_order() -> None:
    bad = "\n".join(
        [
            "apiVersion: ownit/v1",  # 1
            "kind: Service",
            "metadata: {name: cart}",
            "spec:",
            "  owner: payment",  # 5
            "  tier: 0",
            "  integrations:",
            "    - {name: events, type: events-v2}",
            "---",
            "apiVersion: ownit/v1",  # 10
            "kind: Team",
            "metadata: {name: search}",
            "spec:",
            "  members:",
            "    - {user: Frank}",  # 15
            "    - {user: bob, role: lead}",
            "    - {user: erin}",
            "",
        ]
    )
    assert check(bad) == [
        'bad.yaml:5: owner "payment" does not exist (did you mean "payments"?)',
        "bad.yaml:6: tier must be a whole number from 1 to 4, not 0",
        'bad.yaml:15: members[0].user "Frank" is not a slug '
        "(lowercase letters, digits and -, starting with a letter or digit)",
        'bad.yaml:16: members[1].role "lead" is not one of manager, responder, observer',
        'bad.yaml:17: members[2].user "erin" does not exist',
    ]


def test_problems_keep_the_order_of_the_files() -> None:
    docs = (
        load_text(doc("Team", "z", "  members: [{user: nobody}]"), "b.yaml").documents
        + load_text(doc("Team", "y", "  members: [{user: ghost}]"), "a.yaml").documents
    )
    problems = validate(docs).problems
    assert [p.file for p in problems] == ["b.yaml", "a.yaml"]


def test_references_resolve_in_any_order_across_files() -> None:
    service = doc("Service", "web", "  owner: web-team", "  escalationPolicy: web")
    policy = doc(
        "EscalationPolicy",
        "web",
        "  team: web-team",
        "  levels: [{after: 1m, targets: [{user: wes}]}]",
    )
    team = doc("Team", "web-team", "  members: [{user: wes}]")
    user = doc("User", "wes", "  email: wes@example.com")
    docs = [
        *load_text(service, "1.yaml").documents,
        *load_text(policy, "2.yaml").documents,
        *load_text(team, "3.yaml").documents,
        *load_text(user, "4.yaml").documents,
    ]
    assert validate(docs).problems == ()


def test_a_schedule_in_the_files_satisfies_a_schedule_target() -> None:
    schedule = doc(
        "Schedule",
        "primary",
        "  team: payments",
        "  timezone: Europe/Berlin",
        "  layers: [{name: l, start: '2026-01-05T09:00:00', rotation: 1w, users: [alice]}]",
    )
    policy = doc("EscalationPolicy", "x", "  levels: [{after: 1m, targets: [{schedule: primary}]}]")
    assert check(schedule + "---\n" + policy) == []


def test_a_schedule_is_checked_for_its_team_and_zone() -> None:
    schedule = doc("Schedule", "primary", "  team: paymnts", "  timezone: Mars/Olympus")
    assert check(schedule) == [
        "bad.yaml:4: layers is required",
        'bad.yaml:5: team "paymnts" does not exist (did you mean "payments"?)',
        'bad.yaml:6: timezone "Mars/Olympus" is not an IANA time zone',
    ]


EXISTING = Snapshot(
    users={"dora": User("dora", email="dora@example.com")},
    teams={"ops": Team("ops")},
    policies={
        "ops": EscalationPolicy("ops", levels=(PolicyLevel(None, (PolicyTarget("user", "dora"),)),))
    },
    services={
        "legacy": Service(
            "legacy",
            owner="ops",
            depends_on=("x",),
            integrations=(Integration("events", "events-v2", OTHER_KEY),),
        )
    },
    sources={("Service", "legacy"): "catalog", ("Team", "ops"): "api"},
)


def test_references_to_stored_objects_resolve() -> None:
    bad = doc(
        "Service",
        "x",
        "  owner: ops",
        "  escalationPolicy: ops",
        "  dependsOn: [legacy]",
    )
    assert check(bad, EXISTING) == ["bad.yaml:7: dependsOn forms a cycle: x → legacy → x"]
    assert check(doc("Team", "t", "  members: [{user: dora}]"), EXISTING) == []


def test_integration_keys_are_unique_against_the_database() -> None:
    bad = doc(
        "Service",
        "x",
        "  owner: payments",
        f"  integrations: [{{name: e, type: events-v2, key: {OTHER_KEY}}}]",
    )
    assert check(bad, EXISTING) == [
        "bad.yaml:6: integrations[0].key is already used by "
        'integration "events" of service "legacy"'
    ]
    # A service redefined in the files gives up its stored keys unless it keeps the integration.
    moved = doc("Service", "legacy", "  owner: ops") + "---\n" + bad.replace("name: x", "name: y")
    assert check(moved, EXISTING) == []


def test_a_kept_key_counts_as_taken() -> None:
    keeps = doc(
        "Service", "legacy", "  owner: ops", "  integrations: [{name: events, type: events-v2}]"
    )
    steals = doc(
        "Service",
        "y",
        "  owner: ops",
        f"  integrations: [{{name: e, type: events-v2, key: {OTHER_KEY}}}]",
    )
    assert check(keeps + "---\n" + steals, EXISTING) == [
        "bad.yaml:13: integrations[0].key is already used by "
        'integration "events" of service "legacy"'
    ]


def test_a_prune_must_not_orphan_what_the_files_still_name() -> None:
    docs = (
        load_text(BASE, "base.yaml").documents
        + load_text(
            doc("Service", "z", "  owner: payments", "  dependsOn: [legacy]"), "bad.yaml"
        ).documents
    )
    result = validate(docs, EXISTING, prune_source="catalog")
    assert result.removed == (("Service", "legacy"),)
    assert [str(p) for p in result.problems] == [
        'bad.yaml:6: dependsOn[0] "legacy" would be deleted by the prune (it is not in these files)'
    ]


def test_a_prune_must_not_orphan_stored_objects() -> None:
    existing = Snapshot(
        users={"dora": User("dora", email="dora@example.com")},
        teams={"ops": Team("ops", members=())},
        services={"legacy": Service("legacy", owner="ops")},
        sources={("Team", "ops"): "catalog", ("Service", "legacy"): "api"},
    )
    result = validate(load_text(BASE, "base.yaml").documents, existing, prune_source="catalog")
    assert result.removed == (("Team", "ops"),)
    assert result.problems == (
        Problem(
            "",
            0,
            'cannot prune team "ops": service "legacy" (not in these files) refers to it in owner',
        ),
    )


@pytest.mark.parametrize(
    ("line", "by", "window", "spec"),
    [
        (
            "  grouping: {by: [alertname, cluster], window: 10m}",
            ("alertname", "cluster"),
            timedelta(minutes=10),
            {"by": ["alertname", "cluster"], "window": "10m"},
        ),
        ("  grouping: {by: [alertname]}", ("alertname",), None, {"by": ["alertname"]}),
    ],
)
def test_a_good_grouping_parses_and_round_trips(
    line: str, by: tuple[str, ...], window: timedelta | None, spec: dict[str, object]
) -> None:
    bad = doc("Service", "x", "  owner: payments", line)
    result = validate(load_text(BASE, "base.yaml").documents + load_text(bad, "x.yaml").documents)
    assert result.problems == ()
    [service] = [d.obj for d in result.documents if d.obj.name == "x"]
    assert isinstance(service, Service)
    assert service.grouping == Grouping(by, window)
    assert to_spec(service)["grouping"] == spec


# --- Maintenance windows and heartbeats (decision 0013) ------------------------------------

WINDOW = doc(
    "MaintenanceWindow",
    "db-upgrade",
    "  services: [checkout-api, payments-db]",
    '  start: "2026-12-01T22:00:00+01:00"',
    "  end: 2026-12-01T23:30:00Z",
    "  description: Postgres 17",
)
BEAT = doc("Heartbeat", "nightly-backup", "  service: payments-db", "  interval: 1d")

OPS_CASES = [
    pytest.param(
        doc(
            "MaintenanceWindow", "w", "  services: [checkout-api]", "  start: 2026-12-01T22:00:00Z"
        ),
        ["bad.yaml:4: end is required"],
        id="window-end-required",
    ),
    pytest.param(
        doc(
            "MaintenanceWindow",
            "w",
            "  services: [checkout-api]",
            "  start: 2026-12-01T22:00:00Z",
            "  end: 2026-12-01T22:00:00+00:00",
        ),
        [
            'bad.yaml:7: end "2026-12-01T22:00:00+00:00" is not after start '
            '"2026-12-01T22:00:00+00:00": a maintenance window must end after it starts'
        ],
        id="window-ends-at-start",
    ),
    pytest.param(
        doc(
            "MaintenanceWindow",
            "w",
            "  services: [checkout-api]",
            "  start: 2026-12-01T22:00:00Z",
            "  end: 2026-12-01T23:00:00+02:00",
        ),
        [
            'bad.yaml:7: end "2026-12-01T23:00:00+02:00" is not after start '
            '"2026-12-01T22:00:00+00:00": a maintenance window must end after it starts'
        ],
        id="window-ends-before-start-with-offsets",
    ),
    pytest.param(
        doc(
            "MaintenanceWindow",
            "w",
            "  services: [checkout-apy]",
            "  start: 2026-12-01T22:00:00Z",
            "  end: 2026-12-01T23:00:00",
        ),
        [
            'bad.yaml:5: services[0] "checkout-apy" does not exist (did you mean "checkout-api"?)',
            'bad.yaml:7: end "2026-12-01T23:00:00" has no UTC offset '
            "(add Z or +hh:mm: 2026-12-01T22:00:00Z or 2026-12-01T23:00:00+01:00)",
        ],
        id="window-unknown-service-and-no-offset",
    ),
    pytest.param(
        doc(
            "MaintenanceWindow", "w", "  services: []", "  start: soon", "  end: 2026-12-01T23:00Z"
        ),
        [
            "bad.yaml:5: services must name at least one service",
            'bad.yaml:6: start "soon" is not a date and time '
            "(write it like 2026-12-01T22:00:00Z or 2026-12-01T23:00:00+01:00)",
        ],
        id="window-no-services-bad-start",
    ),
    pytest.param(
        doc("MaintenanceWindow", "w", "  service: [checkout-api]"),
        [
            "bad.yaml:4: start is required",
            "bad.yaml:4: end is required",
            'bad.yaml:5: unknown field "service" in spec (did you mean "services"?)',
        ],
        id="window-misspelt-field",
    ),
    pytest.param(
        doc("Heartbeat", "hb", "  service: payments-dc", "  interval: 30s", "  grace: often"),
        [
            'bad.yaml:5: service "payments-dc" does not exist (did you mean "payments-db"?)',
            'bad.yaml:6: interval "30s" is shorter than a minute '
            "(the engine checks heartbeats about every second, but pings are not that exact)",
            'bad.yaml:7: grace "often" is not a duration '
            "(write a whole number and a unit: 30s, 5m, 1h, 1d, 1w)",
        ],
        id="heartbeat-bad-fields",
    ),
    pytest.param(
        doc("Heartbeat", "hb", "  service: payments-db"),
        ["bad.yaml:4: interval is required"],
        id="heartbeat-interval-required",
    ),
    pytest.param(
        doc(
            "Heartbeat",
            "hb",
            "  service: payments-db",
            "  interval: 1h",
            '  key: "checkout00000000000000000000000a"',
        ),
        ['bad.yaml:7: key is already used by integration "events" of service "checkout-api"'],
        id="heartbeat-key-unique",
    ),
    pytest.param(
        "\n".join([BEAT, "---", BEAT]),
        ['bad.yaml:11: Heartbeat "nightly-backup" is defined twice (also at bad.yaml:3)'],
        id="heartbeat-twice",
    ),
]


@pytest.mark.parametrize(("bad", "expected"), OPS_CASES)
def test_maintenance_and_heartbeat_problems(bad: str, expected: list[str]) -> None:
    assert check(bad) == expected


def test_a_window_and_a_heartbeat_parse_into_their_normal_form() -> None:
    docs = (
        load_text(BASE, "base.yaml").documents
        + load_text("\n".join([WINDOW, "---", BEAT]), "ops.yaml").documents
    )
    result = validate(docs)
    assert result.problems == ()
    specs = {d.name: to_spec(d.obj, keys=True) for d in result.documents}
    assert specs["db-upgrade"] == {
        "services": ["checkout-api", "payments-db"],
        "start": "2026-12-01T21:00:00Z",
        "end": "2026-12-01T23:30:00Z",
        "description": "Postgres 17",
    }
    assert specs["nightly-backup"] == {"service": "payments-db", "interval": "1d", "grace": "5m"}
