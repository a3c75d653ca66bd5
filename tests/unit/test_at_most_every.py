"""``at_most_every``: the engine's timers run at most once per interval of the time given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ownit.app.clock import at_most_every

T = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offsets", "runs"),
    [
        ([0], [0]),
        ([0, 5, 9.999], [0]),
        ([0, 10], [0, 10]),
        ([0, 3, 10, 19, 20, 45], [0, 10, 20, 45]),
    ],
)
def test_runs_at_most_once_per_interval(offsets: list[float], runs: list[float]) -> None:
    seen: list[float] = []

    def run(now: datetime) -> int:
        seen.append((now - T).total_seconds())
        return 7

    maybe = at_most_every(timedelta(seconds=10), run)
    answers = [maybe(T + timedelta(seconds=s)) for s in offsets]
    assert seen == runs
    assert answers == [7 if s in runs else 0 for s in offsets]
