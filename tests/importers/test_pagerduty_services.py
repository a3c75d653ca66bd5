"""PagerDuty users, teams, escalation policies and services: one rule per case."""

from __future__ import annotations

from typing import Any

import pytest

from ownit.domain.importers import AnswerError
from tests.importers.pd_answers import answers, convert, spec, texts, user


def _policy(rules: list[Any], loops: int = 0, **extra: Any) -> dict[str, Any]:
    return {"id": "PE", "name": "Ops", "num_loops": loops, "escalation_rules": rules} | extra


def _rule(delay: int, *targets: tuple[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "escalation_delay_in_minutes": delay,
        "targets": [{"type": k, "id": i} for k, i in targets],
    } | extra


def _service(**extra: Any) -> dict[str, Any]:
    return {
        "id": "PSV",
        "name": "Checkout",
        "teams": [{"id": "PT"}],
        "escalation_policy": {"id": "PE"},
    } | extra


def _with_service(**extra: Any) -> Any:
    policy = _policy([_rule(5, ("user_reference", "PA"))])
    return convert(
        answers(
            escalation_policies={"escalation_policies": [policy]},
            services={"services": [_service(**extra)]},
        )
    )


@pytest.mark.parametrize(
    ("rules", "loops", "expected"),
    [
        (
            [_rule(10, ("user_reference", "PA")), _rule(15, ("user_reference", "PB"))],
            2,
            {
                "repeat": 2,
                "levels": [
                    {"after": "10m", "targets": [{"user": "pa"}]},
                    {"after": "15m", "targets": [{"user": "pb"}]},
                ],
            },
        ),
        (  # a target named twice in a rule is paged once; 'user' without _reference too
            [_rule(30, ("user_reference", "PA"), ("user", "PA"), ("user_reference", "PC"))],
            0,
            {"levels": [{"after": "30m", "targets": [{"user": "pa"}, {"user": "pc"}]}]},
        ),
        (
            [_rule(60, ("user_reference", "PA"))],
            9,
            {"repeat": 9, "levels": [{"after": "1h", "targets": [{"user": "pa"}]}]},
        ),
    ],
)
def test_escalation_rules_become_levels(rules: list[Any], loops: int, expected: Any) -> None:
    state = convert(answers(escalation_policies={"escalation_policies": [_policy(rules, loops)]}))
    assert spec(state, "EscalationPolicy", "ops") == expected


def test_a_schedule_target_and_round_robin() -> None:
    layer = {
        "id": "L",
        "name": "L",
        "start": "2026-01-05T00:00:00Z",
        "rotation_virtual_start": "2026-01-05T00:00:00Z",
        "rotation_turn_length_seconds": 86400,
        "users": [{"user": {"id": "PA"}}],
    }
    rule = _rule(
        5,
        ("schedule_reference", "PS"),
        ("user_reference", "PGONE"),
        escalation_rule_assignment_strategy={"type": "round_robin"},
    )
    state = convert(
        answers(
            schedules={
                "schedules": [
                    {"id": "PS", "name": "Main", "time_zone": "UTC", "schedule_layers": [layer]}
                ]
            },
            escalation_policies={"escalation_policies": [_policy([rule])]},
        )
    )
    assert spec(state, "EscalationPolicy", "ops")["levels"] == [
        {"after": "5m", "targets": [{"schedule": "main"}]}
    ]
    assert any("round robin" in t for t in texts(state, "check"))
    assert any("target user PGONE was not imported" in t for t in texts(state, "skipped"))


@pytest.mark.parametrize(
    ("extra", "field", "value"),
    [
        ({"acknowledgement_timeout": 1800}, "ackTimeout", "30m"),
        ({"acknowledgement_timeout": None}, "ackTimeout", None),
        ({"acknowledgement_timeout": 0}, "ackTimeout", None),
        ({"auto_resolve_timeout": 14400}, "autoResolve", "4h"),
        ({"auto_resolve_timeout": None}, "autoResolve", None),
        ({"incident_urgency_rule": {"type": "constant", "urgency": "low"}}, "urgency", "low"),
        (
            {"incident_urgency_rule": {"type": "constant", "urgency": "severity_based"}},
            "urgency",
            "severity",
        ),
        (
            {
                "alert_grouping_parameters": {
                    "type": "content_based",
                    "config": {
                        "aggregate": "all",
                        "fields": ["component", "custom_details.host"],
                        "time_window": 300,
                    },
                }
            },
            "grouping",
            {"by": ["component", "host"], "window": "5m"},
        ),
        (
            {"alert_grouping_parameters": {"type": "time", "config": {"timeout": 5}}},
            "grouping",
            None,
        ),
        (
            {
                "integrations": [
                    {
                        "id": "I2",
                        "type": "events_api_v2_inbound_integration",
                        "name": "Prometheus",
                        "integration_key": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                    },
                    {
                        "id": "I1",
                        "type": "events_api_v2_inbound_integration",
                        "name": "Events",
                        "integration_key": "A1B2C3D4E5F60718293A4B5C6D7E8F90",
                    },
                ]
            },
            "integrations",
            [
                {"name": "events", "type": "events-v2", "key": "A1B2C3D4E5F60718293A4B5C6D7E8F90"},
                {
                    "name": "prometheus",
                    "type": "events-v2",
                    "key": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                },
            ],
        ),
    ],
)
def test_service_fields(extra: dict[str, Any], field: str, value: Any) -> None:
    assert spec(_with_service(**extra), "Service", "checkout").get(field) == value


@pytest.mark.parametrize(
    ("extra", "section", "words"),
    [
        (
            {
                "incident_urgency_rule": {
                    "type": "use_support_hours",
                    "during_support_hours": {"urgency": "high"},
                }
            },
            "changed",
            "support hours",
        ),
        (
            {"alert_grouping_parameters": {"type": "intelligent", "config": {}}},
            "skipped",
            "alert grouping 'intelligent'",
        ),
        (
            {
                "alert_grouping_parameters": {
                    "type": "content_based",
                    "config": {"aggregate": "any", "fields": ["source"]},
                }
            },
            "changed",
            "any of the fields",
        ),
        (
            {"integrations": [{"id": "I", "type": "email_inbound_integration", "name": "Mail"}]},
            "skipped",
            "integration 'Mail'",
        ),
        (
            {
                "integrations": [
                    {
                        "id": "I",
                        "type": "events_api_v2_inbound_integration",
                        "name": "Short",
                        "integration_key": "abc",
                    }
                ]
            },
            "skipped",
            "no 32-character integration_key",
        ),
        ({"status": "disabled"}, "check", "disabled in PagerDuty"),
        ({"teams": []}, "check", "no team in PagerDuty"),
    ],
)
def test_what_ownit_cannot_express_is_reported(
    extra: dict[str, Any], section: str, words: str
) -> None:
    assert any(words in t for t in texts(_with_service(**extra), section))


def test_contacts_and_notification_rules() -> None:
    alice = user(
        "PA",
        contact_methods=[
            {"id": "C1", "type": "email_contact_method", "label": "Work", "address": "a@x.io"},
            {"id": "C2", "type": "phone_contact_method", "label": "Mobile", "address": "1"},
            {"id": "C3", "type": "push_notification_contact_method", "label": "Phone"},
        ],
        notification_rules=[
            {
                "start_delay_in_minutes": 3,
                "urgency": "high",
                "contact_method": {"id": "C1", "type": "email_contact_method"},
            },
            {
                "start_delay_in_minutes": 0,
                "urgency": "high",
                "contact_method": {"id": "C2", "type": "phone_contact_method"},
            },
            {
                "start_delay_in_minutes": 0,
                "urgency": "low",
                "contact_method": {"id": "C1", "type": "email_contact_method"},
            },
        ],
    )
    state = convert(answers(users={"users": [alice]}))
    out = spec(state, "User", "pa")
    assert out["contacts"] == [{"name": "email-work", "type": "email", "address": "a@x.io"}]
    assert out["notificationRules"] == [{"contact": "email-work", "after": "3m"}]
    skipped = texts(state, "skipped")
    assert any("'Mobile' (phone calls)" in t for t in skipped)
    assert any("'Phone' (PagerDuty's mobile app)" in t for t in skipped)
    assert any("after 0 min to phone calls" in t for t in skipped)
    assert any("low-urgency" in t for t in texts(state, "changed"))


def test_users_the_catalog_has_are_matched_by_email_whatever_the_case() -> None:
    state = convert(
        answers(
            users={"users": [user("PA", email="Alice@Example.COM"), user("PB")]},
            **{
                "team_members/PT": {
                    "members": [
                        {"user": {"id": "PA"}, "role": "manager"},
                        {"user": {"id": "PB"}, "role": "observer"},
                    ]
                }
            },
        ),
        known={"alice@example.com": "alice"},
    )
    assert "alice" not in state.documents["User"]
    assert spec(state, "Team", "ops")["members"] == [
        {"user": "alice", "role": "manager"},
        {"user": "pb", "role": "observer"},
    ]


def test_a_user_in_two_teams() -> None:
    state = convert(
        answers(
            teams={"teams": [{"id": "PT", "name": "Ops"}, {"id": "PT2", "name": "Web"}]},
            **{"team_members/PT2": {"members": [{"user": {"id": "PA"}, "role": "responder"}]}},
        )
    )
    assert spec(state, "Team", "ops")["members"] == [{"user": "pa", "role": "manager"}]
    assert spec(state, "Team", "web")["members"] == [{"user": "pa"}]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"users": {"users": [{"id": "PA", "name": "A"}]}}, "users.json: users[0].email: missing"),
        ({"users": {"users": "none"}}, "users.json.users: expected a list"),
        (
            {
                "schedules": {
                    "schedules": [
                        {
                            "id": "PS",
                            "name": "S",
                            "time_zone": "UTC",
                            "schedule_layers": [
                                {
                                    "id": "L",
                                    "start": "soon",
                                    "rotation_turn_length_seconds": 3600,
                                    "users": [{"user": {"id": "PA"}}],
                                }
                            ],
                        }
                    ]
                }
            },
            "schedules.json: schedules[0].schedule_layers[0].start: 'soon' is not an ISO 8601",
        ),
    ],
)
def test_bad_answers_name_the_file_and_field(data: dict[str, Any], message: str) -> None:
    with pytest.raises(AnswerError, match=message.replace("[", r"\[").replace("]", r"\]")):
        convert(answers(**data))


def test_dependencies_and_maintenance_windows() -> None:
    services = [
        {"id": "S1", "name": "Web", "teams": [{"id": "PT"}], "escalation_policy": {"id": "PE"}},
        {"id": "S2", "name": "DB", "teams": [{"id": "PT"}], "escalation_policy": {"id": "PE"}},
    ]
    relationships = [
        {"supporting_service": {"id": "S2"}, "dependent_service": {"id": "S1"}},
        {"supporting_service": {"id": "S1"}, "dependent_service": {"id": "BIZ"}},
    ]
    windows = [
        {
            "id": "W1",
            "start_time": "2026-11-01T02:00:00Z",
            "end_time": "2026-11-01T03:00:00Z",
            "description": "upgrade",
            "services": [{"id": "S2"}],
        },
        {
            "id": "W2",
            "start_time": "2026-09-01T02:00:00Z",
            "end_time": "2026-09-01T03:00:00Z",
            "services": [{"id": "S1"}],
        },
    ]
    state = convert(
        answers(
            services={"services": services},
            service_dependencies={"relationships": relationships},
            maintenance_windows={"maintenance_windows": windows},
        )
    )
    assert spec(state, "Service", "web")["dependsOn"] == ["db"]
    assert "dependsOn" not in spec(state, "Service", "db")
    assert spec(state, "MaintenanceWindow", "pagerduty-w1") == {
        "services": ["db"],
        "start": "2026-11-01T02:00:00+00:00",
        "end": "2026-11-01T03:00:00+00:00",
        "description": "upgrade",
    }
    assert "pagerduty-w2" not in state.documents["MaintenanceWindow"]
    assert any("dependency on web" in t for t in texts(state, "skipped"))
