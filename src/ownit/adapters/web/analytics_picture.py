"""The geometry of the analytics charts: a weekly trend line and an hour × weekday heat map.

Pure layout, no drawing: ``templates/analytics.html`` turns these into SVG. Every mark keeps
the number it shows, so the chart and the table beside it print the same values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

LEFT = 48.0
TOP = 12.0
BOTTOM = 28.0
CELL = 18.0
LEVELS = 5  # heat map shades 0 … 4; the stylesheet defines classes h0 … h4


@dataclass(frozen=True, slots=True)
class Point:
    label: str
    value: float | None  # minutes; None: no value that week (no mark)
    x: float
    y: float | None


@dataclass(frozen=True, slots=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True, slots=True)
class Trend:
    width: float
    height: float
    left: float
    base: float  # the y of the zero line
    points: tuple[Point, ...]
    ticks: tuple[Tick, ...]
    lines: tuple[str, ...]  # SVG ``points`` of each run of weeks with values


def _nice(top: float) -> float:
    """A round upper bound at or above ``top`` (1, 2 or 5 times a power of ten)."""
    if top <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(top))
    for step in (1, 2, 5, 10):
        if step * power >= top:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _text(value: float) -> str:
    return f"{value:g}"


def trend(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    width: float = 420.0,
    height: float = 170.0,
) -> Trend:
    """A line through ``values`` (minutes, one per label), on a zero-based axis."""
    plot_w, plot_h = width - LEFT - 8, height - TOP - BOTTOM
    top = _nice(max((v for v in values if v is not None), default=0.0))
    step = plot_w / max(len(labels) - 1, 1)
    base = TOP + plot_h
    points = tuple(
        Point(
            label,
            value,
            round(LEFT + i * step if len(labels) > 1 else LEFT + plot_w / 2, 1),
            None if value is None else round(base - value / top * plot_h, 1),
        )
        for i, (label, value) in enumerate(zip(labels, values, strict=True))
    )
    runs: list[list[Point]] = [[]]
    for p in points:
        if p.y is None:
            runs.append([])
        else:
            runs[-1].append(p)
    lines = tuple(" ".join(f"{p.x},{p.y}" for p in run) for run in runs if len(run) > 1)
    ticks = tuple(Tick(round(base - f * plot_h, 1), _text(top * f)) for f in (0.0, 0.5, 1.0))
    return Trend(width, height, LEFT, base, points, ticks, lines)


@dataclass(frozen=True, slots=True)
class Cell:
    weekday: int
    hour: int
    count: int
    x: float
    y: float
    level: int  # 0 … LEVELS-1


@dataclass(frozen=True, slots=True)
class HeatMap:
    width: float
    height: float
    cells: tuple[Cell, ...]
    most: int


def heat(counts: Sequence[Sequence[int]]) -> HeatMap:
    """Seven rows (Monday first) of 24 hours; shade by count relative to the busiest cell."""
    most = max((c for row in counts for c in row), default=0)
    cells = tuple(
        Cell(
            day,
            hour,
            count,
            LEFT + hour * CELL,
            TOP + day * CELL,
            0 if count == 0 else max(1, math.ceil(count * (LEVELS - 1) / most)),
        )
        for day, row in enumerate(counts)
        for hour, count in enumerate(row)
    )
    return HeatMap(LEFT + 24 * CELL + 4, TOP + 7 * CELL + BOTTOM, cells, most)
