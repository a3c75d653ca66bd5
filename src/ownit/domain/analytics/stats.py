"""Mean and nearest-rank percentiles of a list of seconds."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Summary:
    """Mean, p50 and p90 of some durations in seconds; ``None`` each when there are none."""

    mean: float | None = None
    p50: float | None = None
    p90: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        return {"mean": self.mean, "p50": self.p50, "p90": self.p90}


def nearest_rank(ordered: list[float], p: float) -> float:
    """The ``p``-th percentile (0 < p ≤ 100) of ``ordered`` (ascending, not empty) by the
    nearest-rank method: the element at rank ``ceil(p/100 × n)``, counting from 1."""
    if not ordered:
        raise ValueError("no values: a percentile needs at least one")
    if not 0 < p <= 100:
        raise ValueError(f"a percentile is above 0 and at most 100 (got {p})")
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize(values: Iterable[float]) -> Summary:
    ordered = sorted(values)
    if not ordered:
        return Summary()
    return Summary(
        mean=math.fsum(ordered) / len(ordered),
        p50=nearest_rank(ordered, 50),
        p90=nearest_rank(ordered, 90),
    )
