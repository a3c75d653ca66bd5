"""The ``GameDay`` kind (parse, normal form, file:line problems) and the game-day rules
(step plan, expectations measured, Markdown)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ownit.adapters.catalog.yaml_source import load_text
from ownit.domain.catalog import validate
from ownit.domain.catalog.model import Expectation, GameDay, GameDayStep
from ownit.domain.catalog.spec import from_spec, to_spec
from ownit.domain.gamedays import StepIncident, check, due_steps, markdown, next_due, plan_steps
from tests.unit.test_catalog_validation import BASE, doc
from tests.unit.test_catalog_validation import check as catalog_check

STEP = "    - {after: 0s, service: payments-db, event: {summary: down, severity: critical}}"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param(("  steps:", STEP), [], id="good"),
        pytest.param(
            ("  steps:", STEP, "    - {after: 30s, service: ledger-api, event: {summary: x}}"),
            ['bad.yaml:7: steps[1].service "ledger-api" does not exist'],
            id="unknown-service",
        ),
        pytest.param(
            (
                "  steps:",
                "    - {after: 0s, service: payments-db, event: {summary: x, severity: bad}}",
            ),
            [
                'bad.yaml:6: steps[0].event.severity "bad" is not one of critical, error, '
                "warning, info"
            ],
            id="bad-severity",
        ),
        pytest.param(
            ("  steps:", "    - {after: 0s, service: payments-db}"),
            ["bad.yaml:6: steps[0].event is required: {summary, severity}"],
            id="no-event",
        ),
        pytest.param(
            ("  steps:", STEP, "  expect:", "    - {team: paymnts, pagedWithin: 2m}"),
            ['bad.yaml:8: expect[0].team "paymnts" does not exist (did you mean "payments"?)'],
            id="unknown-team",
        ),
        pytest.param(
            ("  steps:", STEP, "  expect:", "    - {team: payments, acknowledgedWithin: 2m}"),
            ["bad.yaml:8: expect[0] must be {team, pagedWithin} or {service, acknowledgedWithin}"],
            id="mixed-expectation",
        ),
        pytest.param(
            ("  steps: []",),
            ["bad.yaml:5: steps must list at least one step"],
            id="no-steps",
        ),
    ],
)
def test_gameday_problems(spec: tuple[str, ...], expected: list[str]) -> None:
    assert catalog_check(doc("GameDay", "outage", *spec)) == expected


def test_a_gameday_parses_into_its_normal_form_and_back() -> None:
    text = doc(
        "GameDay",
        "outage",
        "  description: the db fails",
        "  steps:",
        STEP,
        "    - {after: 90s, service: checkout-api, event: {summary: slow}}",
        "  expect: [{service: checkout-api, acknowledgedWithin: 600s}]",
    )
    result = validate(load_text(BASE, "b.yaml").documents + load_text(text, "g.yaml").documents)
    assert result.problems == ()
    [day] = [d.obj for d in result.documents if d.kind == "GameDay"]
    spec = to_spec(day)
    assert spec == {
        "description": "the db fails",
        "steps": [
            {
                "after": "0s",
                "service": "payments-db",
                "event": {"summary": "down", "severity": "critical"},
            },
            {
                "after": "90s",
                "service": "checkout-api",
                "event": {"summary": "slow", "severity": "critical"},
            },
        ],
        "expect": [{"service": "checkout-api", "acknowledgedWithin": "10m"}],
    }
    assert from_spec("GameDay", "outage", spec) == day


T = datetime(2026, 12, 1, 9, tzinfo=UTC)
DAY = GameDay(
    "outage",
    steps=(
        GameDayStep(timedelta(0), "db", "down"),
        GameDayStep(timedelta(seconds=30), "api", "slow", "error"),
    ),
)


def test_the_step_plan_and_its_timer() -> None:
    steps = plan_steps(DAY, T)
    assert due_steps(steps, T) == [0]
    assert next_due(steps, T) == T + timedelta(seconds=30)
    steps[0]["injected_at"] = T.isoformat()
    assert due_steps(steps, T + timedelta(seconds=30)) == [1]
    steps[1]["error"] = "paged nobody"
    assert next_due(steps, T) is None


PAGED = Expectation("pagedWithin", "payments", timedelta(minutes=2))
ACKED = Expectation("acknowledgedWithin", "api", timedelta(minutes=10))


def _incident(
    service: str, team: str, at: int, paged: int | None, acked: int | None
) -> StepIncident:
    def later(s: int | None) -> datetime | None:
        return None if s is None else T + timedelta(seconds=s)

    return StepIncident(service, team, T + timedelta(seconds=at), later(paged), later(acked))


@pytest.mark.parametrize(
    ("incidents", "now", "expected"),
    [
        ([_incident("db", "payments", 0, 5, None)], 10, [(5, True), (None, None)]),
        ([_incident("db", "payments", 0, 130, None)], 200, [(130, False), (None, None)]),
        ([_incident("db", "payments", 0, None, None)], 121, [(None, False), (None, None)]),
        ([_incident("db", "payments", 0, None, None)], 119, [(None, None), (None, None)]),
        (
            [_incident("db", "other", 0, 1, None), _incident("api", "payments", 30, 40, 630)],
            700,
            [(10, True), (600, True)],
        ),
        ([_incident("api", "payments", 30, 31, None)], 631, [(1, True), (None, False)]),
    ],
)
def test_expectations(
    incidents: list[StepIncident], now: int, expected: list[tuple[int | None, bool | None]]
) -> None:
    found = check([PAGED, ACKED], incidents, T + timedelta(seconds=now))
    got = [(None if v.measured is None else int(v.measured.total_seconds()), v.met) for v in found]
    assert got == expected


def test_markdown_escapes_table_cells() -> None:
    text = markdown(
        {
            "gameday": "outage",
            "id": 3,
            "description": "",
            "started_at": "2026-12-01T09:00:00+00:00",
            "started_by": "alice",
            "expectations": [],
            "timeline": [{"at": "t", "incident": 1, "message": "a | b\nc"}],
            "findings": [],
            "action_items": [],
        }
    )
    assert "| t | #1 | a \\| b c |" in text
    assert text.count("None yet.") == 2
