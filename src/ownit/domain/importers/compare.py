"""Two final schedules side by side: where they name different people (or one has a gap)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from ownit.domain.oncall.rotations import Shift


@dataclass(frozen=True, slots=True)
class Difference:
    """During ``[start, end)`` ownit has ``ours`` on call and the source ``theirs``."""

    start: datetime
    end: datetime
    ours: str | None
    theirs: str | None


def _who(shifts: Sequence[Shift], at: datetime) -> str | None:
    for shift in shifts:
        if shift.start <= at < shift.end:
            return shift.user
    return None


def differences(
    ours: Sequence[Shift], theirs: Sequence[Shift], since: datetime, until: datetime
) -> list[Difference]:
    """Every stretch of ``[since, until)`` where the two disagree, merged, in order."""
    edges = {since, until}
    for shift in (*ours, *theirs):
        edges.update(t for t in (shift.start, shift.end) if since < t < until)
    points = sorted(edges)
    out: list[Difference] = []
    for start, end in pairwise(points):
        a, b = _who(ours, start), _who(theirs, start)
        if a == b:
            continue
        last = out[-1] if out else None
        if last is not None and last.end == start and (last.ours, last.theirs) == (a, b):
            out[-1] = Difference(last.start, end, a, b)
        else:
            out.append(Difference(start, end, a, b))
    return out
