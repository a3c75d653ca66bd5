"""A Service's ``postmortem`` field: validated by the one validator, normalised, and read
back into the policy override it names."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ownit.adapters.catalog.yaml_source import load_text
from ownit.domain.catalog import Service, validate
from ownit.domain.catalog.spec import to_spec
from ownit.domain.postmortems.policy import PolicyOverride
from tests.unit.test_catalog_validation import BASE, check, doc


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "  postmortem: {required: maybe}",
            ["bad.yaml:6: postmortem.required must be true or false, not maybe"],
        ),
        (
            "  postmortem: {urgency: urgent}",
            ['bad.yaml:6: postmortem.urgency "urgent" is not one of high, low, any'],
        ),
        (
            "  postmortem: {minDuration: soon}",
            [
                'bad.yaml:6: postmortem.minDuration "soon" is not a duration '
                "(write a whole number and a unit: 30s, 5m, 1h, 1d, 1w)"
            ],
        ),
        (
            "  postmortem: {days: 0}",
            ["bad.yaml:6: postmortem.days must be a whole number from 1 to 60, not 0"],
        ),
        (
            "  postmortem: {dayz: 3}",
            ['bad.yaml:6: unknown field "dayz" in postmortem (did you mean "days"?)'],
        ),
    ],
)
def test_bad_postmortem_fields(line: str, expected: list[str]) -> None:
    assert check(doc("Service", "x", "  owner: payments", line)) == expected


@pytest.mark.parametrize(
    ("line", "override", "spec"),
    [
        (
            "  postmortem: {required: true, urgency: any, minDuration: 30m, days: 3}",
            PolicyOverride(True, "any", timedelta(minutes=30), 3),
            {"required": True, "urgency": "any", "minDuration": "30m", "days": 3},
        ),
        ("  postmortem: {required: false}", PolicyOverride(required=False), {"required": False}),
        (
            "  postmortem: {minDuration: 0s}",
            PolicyOverride(min_duration=timedelta(0)),
            {"minDuration": "0s"},
        ),
    ],
)
def test_a_good_postmortem_field_parses_and_round_trips(
    line: str, override: PolicyOverride, spec: dict[str, object]
) -> None:
    text = doc("Service", "x", "  owner: payments", line)
    result = validate(load_text(BASE, "base.yaml").documents + load_text(text, "x.yaml").documents)
    assert result.problems == ()
    [service] = [d.obj for d in result.documents if d.obj.name == "x"]
    assert isinstance(service, Service)
    assert service.postmortem == override
    assert to_spec(service)["postmortem"] == spec
