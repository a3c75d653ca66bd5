"""Baselines: capture per service and team; regressions, improvements, steady, too few."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ownit.domain.analytics.baselines import BaselineGroup, Verdict, capture, compare, judge
from ownit.domain.analytics.history import Acknowledgement, IncidentHistory
from ownit.domain.analytics.period import Period
from tests.analytics_cases import HAND_MADE, PERIOD, T0, at


@pytest.mark.parametrize(
    ("baseline", "recent", "count", "change", "verdict"),
    [
        (100.0, 126.0, 5, 0.26, Verdict.REGRESSION),
        (100.0, 125.0, 5, 0.25, Verdict.STEADY),  # exactly 25 %: not more than
        (100.0, 75.0, 5, -0.25, Verdict.STEADY),
        (100.0, 74.0, 5, -0.26, Verdict.IMPROVEMENT),
        (100.0, 500.0, 4, None, Verdict.TOO_FEW),  # fewer than 5 incidents
        (None, 100.0, 9, None, Verdict.TOO_FEW),
        (100.0, None, 9, None, Verdict.TOO_FEW),
        (0.0, 0.0, 5, None, Verdict.STEADY),
        (0.0, 1.0, 5, None, Verdict.REGRESSION),
    ],
)
def test_judge(
    baseline: float | None,
    recent: float | None,
    count: int,
    change: float | None,
    verdict: Verdict,
) -> None:
    got_change, got = judge(baseline, recent, count)
    assert got == verdict
    assert got_change == (None if change is None else pytest.approx(change))


def test_capture_keeps_each_service_and_team() -> None:
    groups = {(g.kind, g.key): g for g in capture(HAND_MADE, PERIOD)}
    assert sorted(groups) == [
        ("service", "api"),
        ("service", "db"),
        ("service", "web"),
        ("team", "core"),
    ]
    api = groups[("service", "api")]
    assert (api.count, api.tta_p50, api.ttr_p50, api.ttr_p90) == (3, None, 180.0, 3600.0)
    assert api.noise_ratio == pytest.approx(1 / 3)
    assert groups[("team", "core")].count == 3  # the incidents without a team are in no team


def test_compare_the_last_week() -> None:
    base = [BaselineGroup("service", "api", 3, 60.0, 60.0, 180.0, 3600.0, 0.3)]
    now = T0 + timedelta(days=20)
    recent = Period(now - timedelta(days=7), now)
    slow = [
        IncidentHistory(
            f"r{n}",
            "api",
            at(60 * 24 * 19 + n),
            acknowledgements=(Acknowledgement("alice", at(60 * 24 * 19 + n + 0.5), "web"),),
            resolved_at=at(60 * 24 * 19 + n + 10),
        )
        for n in range(5)
    ]
    found = {c.metric: c for c in compare(base, slow, recent)}
    assert found["tta"].verdict is Verdict.IMPROVEMENT  # 30 s against 60 s: -50 %
    assert found["tta"].change == pytest.approx(-0.5)
    assert found["ttr"].verdict is Verdict.REGRESSION  # 600 s against 180 s
    assert found["ttr"].as_dict()["recent_p50"] == 600.0
    fewer = {c.metric: c.verdict for c in compare(base, slow[:4], recent)}
    assert fewer == {"tta": Verdict.TOO_FEW, "ttr": Verdict.TOO_FEW}
