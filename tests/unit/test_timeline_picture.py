"""The schedule timeline's geometry: positions, clipping, colours, gaps, day ticks, now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ownit.adapters.web.timeline_picture import (
    LABEL_WIDTH,
    Row,
    Segment,
    colours,
    day_ticks,
    layout,
)

BERLIN = ZoneInfo("Europe/Berlin")
SINCE = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
UNTIL = SINCE + timedelta(days=2)


def at(hours: float) -> datetime:
    return SINCE + timedelta(hours=hours)


def test_bars_sit_in_proportion_and_are_clipped_to_the_range() -> None:
    rows = [Row("daily", [Segment("alice", at(-5), at(12)), Segment("bob", at(12), at(60))])]
    pic = layout(rows, since=SINCE, until=UNTIL, zone=UTC, width=1000 + LABEL_WIDTH - 120)
    plot = pic.width - LABEL_WIDTH
    [lane] = pic.lanes
    alice, bob = lane.bars
    assert alice.x == LABEL_WIDTH
    assert alice.start == SINCE
    assert alice.width == pytest.approx(plot / 4)  # 12 of 48 hours
    assert bob.x == pytest.approx(LABEL_WIDTH + plot / 4)
    assert bob.end == UNTIL
    assert bob.x + bob.width == pytest.approx(pic.width)
    assert (alice.text, bob.text) == ("alice", "bob")


def test_a_person_keeps_one_colour_in_every_row_and_gaps_have_none() -> None:
    rows = [
        Row("a", [Segment("bob", at(0), at(5)), Segment("alice", at(5), at(10))]),
        Row("final", [Segment("alice", at(0), at(5)), Segment(None, at(5), at(7))], "final"),
    ]
    pic = layout(rows, since=SINCE, until=UNTIL, zone=UTC)
    first, final = pic.lanes
    assert first.bars[1].colour == final.bars[0].colour == colours(["alice", "bob"])["alice"]
    assert first.bars[0].colour != first.bars[1].colour
    gap = final.bars[1]
    assert gap.person is None
    assert gap.colour == -1
    assert gap.text == "gap"
    assert final.kind == "final"
    assert final.y > first.y
    assert pic.height >= final.y + gap.height


def test_segments_outside_the_range_are_dropped_and_narrow_labels_shortened() -> None:
    rows = [
        Row(
            "x",
            [
                Segment("early", at(-10), at(-1)),
                Segment("bartholomew-the-long-named", at(0), at(9)),
                Segment("z", at(9), at(9.2)),
            ],
        )
    ]
    pic = layout(rows, since=SINCE, until=UNTIL, zone=UTC, width=600)
    bars = pic.lanes[0].bars
    assert [b.person for b in bars] == ["bartholomew-the-long-named", "z"]
    assert bars[0].text.endswith("…")
    assert len(bars[0].text) < len(bars[0].person or "")
    assert bars[1].text == ""  # too narrow for any text


def test_day_ticks_fall_on_local_midnights_across_daylight_saving() -> None:
    since = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    ticks = day_ticks(since, since + timedelta(days=2), BERLIN)
    assert [t.at for t in ticks] == [
        datetime(2026, 3, 28, 23, 0, tzinfo=UTC),  # Sunday 00:00 CET
        datetime(2026, 3, 29, 22, 0, tzinfo=UTC),  # Monday 00:00 CEST
    ]
    assert [t.text for t in ticks] == ["Sun 29", "Mon 30"]


def test_the_now_line_only_inside_the_range() -> None:
    rows = [Row("a", [])]
    inside = layout(rows, since=SINCE, until=UNTIL, zone=UTC, now=at(24), width=1120)
    assert inside.now_x == pytest.approx(LABEL_WIDTH + 500)
    assert layout(rows, since=SINCE, until=UNTIL, zone=UTC, now=at(49)).now_x is None
    assert [t.text for t in inside.ticks] == ["Mon 23", "Tue 24", "Wed 25"]


def test_a_range_must_be_aware_and_forward() -> None:
    with pytest.raises(ValueError, match="after"):
        layout([], since=UNTIL, until=SINCE, zone=UTC)
    with pytest.raises(ValueError, match="aware"):
        layout([], since=SINCE.replace(tzinfo=None), until=UNTIL, zone=UTC)
