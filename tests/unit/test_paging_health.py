"""``ownit doctor``'s one calculation: when every schedule target of a level is in a gap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ownit.domain.paging_health import CHECKS, Finding, uncovered

T = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)


def h(start: int, end: int) -> tuple[datetime, datetime]:
    return (T + timedelta(hours=start), T + timedelta(hours=end))


@pytest.mark.parametrize(
    ("gaps", "expected"),
    [
        ([], []),
        ([[h(0, 5)]], [h(0, 5)]),
        ([[h(0, 5)], []], []),  # the second target always has someone
        ([[h(0, 5)], [h(3, 8)]], [h(3, 5)]),
        ([[h(0, 5)], [h(5, 8)]], []),  # back to back: someone at every instant
        ([[h(0, 2), h(4, 6)], [h(1, 5)]], [h(1, 2), h(4, 5)]),
        ([[h(0, 24)], [h(1, 2), h(3, 4)], [h(0, 24)]], [h(1, 2), h(3, 4)]),
    ],
)
def test_uncovered(
    gaps: list[list[tuple[datetime, datetime]]], expected: list[tuple[datetime, datetime]]
) -> None:
    assert uncovered(gaps) == expected


def _gaps() -> st.SearchStrategy[list[tuple[datetime, datetime]]]:
    """Sorted, disjoint gaps within a week, at whole hours."""
    return st.lists(st.integers(0, 168), max_size=12, unique=True).map(
        lambda points: [
            h(a, b) for a, b in zip(sorted(points)[::2], sorted(points)[1::2], strict=False)
        ]
    )


@given(st.lists(_gaps(), min_size=1, max_size=4), st.integers(0, 167))
def test_an_hour_is_uncovered_exactly_when_every_target_is_in_a_gap(
    gaps: list[list[tuple[datetime, datetime]]], hour: int
) -> None:
    at = T + timedelta(hours=hour, minutes=30)
    every = all(any(s <= at < e for s, e in target) for target in gaps)
    assert any(s <= at < e for s, e in uncovered(gaps)) == every


def test_every_finding_has_a_fix() -> None:
    for check in CHECKS:
        finding = Finding(check, "service x", "m")
        assert finding.to_json() == {
            "check": check,
            "subject": "service x",
            "message": "m",
            "fix": CHECKS[check],
        }
        assert finding.fix
