"""The geometry of a schedule's timeline picture: rows of bars on a time axis.

Pure layout, no drawing: the web UI turns a :class:`Picture` into SVG. Time runs left to
right from ``since`` to ``until``; each row is a lane of bars (a layer, the overrides, the
final schedule). A bar without a person is a gap. Day ticks fall on local midnights of the
schedule's zone; colours are stable per person (the same index wherever they appear).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

__all__ = ["Bar", "Lane", "Picture", "Row", "Segment", "Tick", "layout"]

PALETTE = 8  # distinct person colours; the stylesheet defines classes p0 … p7
LABEL_WIDTH = 120.0
ROW_HEIGHT = 30.0
ROW_GAP = 6.0
AXIS_HEIGHT = 24.0
CHAR_WIDTH = 7.0  # a generous average for 12 px text


@dataclass(frozen=True, slots=True)
class Segment:
    """``person`` from ``start`` to ``end``; ``None`` is nobody (a gap)."""

    person: str | None
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Row:
    """One lane to draw: its label and its segments (any order, may overlap the range)."""

    label: str
    segments: Sequence[Segment]
    kind: str = "layer"  # layer | overrides | final


@dataclass(frozen=True, slots=True)
class Bar:
    person: str | None
    start: datetime
    end: datetime
    x: float
    y: float
    width: float
    height: float
    colour: int  # 0 … PALETTE-1; -1 for a gap
    text: str  # what fits inside the bar ("" when nothing does)


@dataclass(frozen=True, slots=True)
class Lane:
    label: str
    kind: str
    y: float
    bars: tuple[Bar, ...]


@dataclass(frozen=True, slots=True)
class Tick:
    at: datetime
    x: float
    text: str


@dataclass(frozen=True, slots=True)
class Picture:
    width: float
    height: float
    left: float  # where the time axis starts (after the row labels)
    lanes: tuple[Lane, ...]
    ticks: tuple[Tick, ...]
    now_x: float | None  # the "now" line, when now is inside the range


def colours(people: Iterable[str]) -> dict[str, int]:
    """A stable colour index per person: by sorted name, so a person keeps their colour
    whichever rows they appear in."""
    return {name: i % PALETTE for i, name in enumerate(sorted(set(people)))}


def _fit(text: str, width: float) -> str:
    room = int((width - 8) // CHAR_WIDTH)
    if room >= len(text):
        return text
    if room >= 4:
        return text[: room - 1] + "…"
    return ""


def layout(
    rows: Sequence[Row],
    *,
    since: datetime,
    until: datetime,
    zone: tzinfo,
    now: datetime | None = None,
    width: float = 1000.0,
) -> Picture:
    """Place ``rows`` between ``since`` and ``until`` (aware instants, ``until > since``)."""
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("since and until must be aware")
    if until <= since:
        raise ValueError("until must be after since")
    span = (until - since).total_seconds()
    plot = width - LABEL_WIDTH

    def x_of(at: datetime) -> float:
        seconds = (min(max(at, since), until) - since).total_seconds()
        return round(LABEL_WIDTH + plot * seconds / span, 2)

    palette = colours(s.person for r in rows for s in r.segments if s.person is not None)
    lanes: list[Lane] = []
    for i, row in enumerate(rows):
        y = AXIS_HEIGHT + i * (ROW_HEIGHT + ROW_GAP)
        bars: list[Bar] = []
        for seg in sorted(row.segments, key=lambda s: s.start):
            if seg.end <= since or seg.start >= until or seg.end <= seg.start:
                continue
            x0, x1 = x_of(seg.start), x_of(seg.end)
            label = seg.person if seg.person is not None else "gap"
            bars.append(
                Bar(
                    seg.person,
                    max(seg.start, since),
                    min(seg.end, until),
                    x0,
                    y,
                    round(x1 - x0, 2),
                    ROW_HEIGHT,
                    palette[seg.person] if seg.person is not None else -1,
                    _fit(label, x1 - x0),
                )
            )
        lanes.append(Lane(row.label, row.kind, y, tuple(bars)))
    height = AXIS_HEIGHT + len(rows) * (ROW_HEIGHT + ROW_GAP)
    now_x = x_of(now) if now is not None and since <= now <= until else None
    ticks = day_ticks(since, until, zone, x_of)
    return Picture(width, height, LABEL_WIDTH, tuple(lanes), ticks, now_x)


def day_ticks(
    since: datetime, until: datetime, zone: tzinfo, x_of: Callable[[datetime], float] | None = None
) -> tuple[Tick, ...]:
    """A tick at each local midnight of ``zone`` within ``[since, until]``."""
    local = since.astimezone(zone)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    ticks: list[Tick] = []
    while True:
        at = _midnight(day, zone)
        if at > until:
            break
        if at >= since:
            text = f"{day:%a} {day.day}"
            ticks.append(Tick(at, x_of(at) if x_of else 0.0, text))
        day += timedelta(days=1)
    return tuple(ticks)


def _midnight(day: datetime, zone: tzinfo) -> datetime:
    """The first instant of the local ``day`` (a zone may skip midnight: take the next hour
    that exists)."""
    for hour in range(4):
        candidate = day.replace(hour=hour, tzinfo=zone)
        back = candidate.astimezone(UTC).astimezone(zone)
        if back.replace(tzinfo=None) == candidate.replace(tzinfo=None):
            return candidate.astimezone(UTC)
    return day.replace(tzinfo=zone).astimezone(UTC)  # pragma: no cover
