"""The window the figures cover: ``[since, until)``, from instants or durations back from now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ownit.domain.durations import parse_duration
from ownit.domain.errors import FieldError

DEFAULT_SPAN = timedelta(days=30)
MAX_SPAN = timedelta(days=3660)


class InvalidPeriod(FieldError):
    """``since`` or ``until`` cannot be read, or they do not make a window."""


@dataclass(frozen=True, slots=True)
class Period:
    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        for value in (self.since, self.until):
            if value.tzinfo is None:
                raise ValueError("a period's instants are aware (UTC)")

    def holds(self, at: datetime) -> bool:
        return self.since <= at < self.until

    @property
    def seconds(self) -> float:
        return (self.until - self.since).total_seconds()


def _instant(field: str, text: str, now: datetime) -> datetime:
    text = text.strip()
    if text == "now":
        return now
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidPeriod(
            field,
            f"{text!r} is neither an RFC 3339 instant (2026-11-01T00:00:00Z) nor a duration "
            "back from now (30d, 12h)",
        ) from None
    if value.tzinfo is None:
        raise InvalidPeriod(field, f"{text!r} has no UTC offset (add Z or +01:00)")
    return value.astimezone(UTC)


def parse_period(since: str | None, until: str | None, now: datetime) -> Period:
    """The window named by ``since``/``until`` (``None``: the default), at ``now``.

    Each is an RFC 3339 instant, ``now``, or a duration back from ``now`` (``30d``, ``12h``);
    the default is the last 30 days up to now."""
    end = now if until is None or not until.strip() else _instant("until", until, now)
    start = (
        end - DEFAULT_SPAN if since is None or not since.strip() else _instant("since", since, now)
    )
    if start >= end:
        raise InvalidPeriod("since", f"{start.isoformat()} is not before until {end.isoformat()}")
    if end - start > MAX_SPAN:
        raise InvalidPeriod("since", "a window is at most ten years long")
    return Period(start, end)
