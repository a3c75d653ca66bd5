"""The engine's claim order: first pages before the rest, services taking turns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ownit.domain.escalation.claims import Candidate, claim_order

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def c(key: str, group: str, second: int, *, first: bool = True) -> Candidate:
    return Candidate(key, group, T0 + timedelta(seconds=second), first)


@pytest.mark.parametrize(
    ("candidates", "limit", "expected"),
    [
        pytest.param([], 5, [], id="nothing due"),
        pytest.param([c("a1", "a", 0)], 0, [], id="no room"),
        pytest.param(
            [c("a1", "a", 0), c("a2", "a", 1), c("a3", "a", 2), c("b1", "b", 3)],
            2,
            ["a1", "b1"],
            id="a flood on a cannot keep b's first page out of the batch",
        ),
        pytest.param(
            [c("a1", "a", 5, first=False), c("b1", "b", 9)],
            1,
            ["b1"],
            id="a first page before an older repeat",
        ),
        pytest.param(
            [c("a2", "a", 1), c("a1", "a", 0), c("b1", "b", 2), c("b2", "b", 3), c("c1", "c", 4)],
            5,
            ["a1", "b1", "c1", "a2", "b2"],
            id="turns in order of each service's oldest, each service in due order",
        ),
        pytest.param(
            [c("a1", "a", 0, first=False), c("b1", "b", 1), c("a2", "a", 2)],
            3,
            ["b1", "a2", "a1"],
            id="every first page, then the rest",
        ),
        pytest.param(
            [c("x", "a", 0), c("y", "a", 0)],
            1,
            ["x"],
            id="ties broken by key",
        ),
    ],
)
def test_claim_order(candidates: list[Candidate], limit: int, expected: list[str]) -> None:
    assert claim_order(candidates, limit) == expected


candidate_lists = st.lists(
    st.builds(
        Candidate,
        key=st.uuids().map(str),
        group=st.sampled_from(["a", "b", "c", "d"]),
        due_at=st.integers(0, 100).map(lambda s: T0 + timedelta(seconds=s)),
        first=st.booleans(),
    ),
    max_size=40,
    unique_by=lambda cand: cand.key,
)


@given(candidate_lists, st.integers(0, 50))
def test_claim_order_properties(candidates: list[Candidate], limit: int) -> None:
    order = claim_order(candidates, limit)
    by_key = {cand.key: cand for cand in candidates}
    # As many as fit, each once, only candidates.
    assert len(order) == min(limit, len(candidates))
    assert len(set(order)) == len(order)
    assert set(order) <= set(by_key)
    # First pages before everything else; none left out while a repeat got in.
    flags = [by_key[k].first for k in order]
    assert flags == sorted(flags, reverse=True)
    if not all(flags):
        assert {k for k, cand in by_key.items() if cand.first} <= set(order)
    # Each service's items in due order within a class.
    for group in {cand.group for cand in candidates}:
        for first in (True, False):
            mine = [
                by_key[k] for k in order if by_key[k].group == group and by_key[k].first is first
            ]
            assert mine == sorted(mine, key=lambda cand: (cand.due_at, cand.key))
    # Fairness: with room for one a service, every service's oldest first page is in.
    groups_waiting = {cand.group for cand in candidates if cand.first}
    if limit >= len(groups_waiting):
        for group in groups_waiting:
            oldest = min(
                (cand for cand in candidates if cand.first and cand.group == group),
                key=lambda cand: (cand.due_at, cand.key),
            )
            assert oldest.key in order
