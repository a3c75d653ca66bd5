"""The noisiest services and alert keys: incidents resolved quickly with nobody acting."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ownit.domain.analytics.history import Drills, Incident, counted
from ownit.domain.analytics.period import Period


@dataclass(frozen=True, slots=True)
class NoiseRow:
    key: str
    service: str | None  # the alert key's service (None in the per-service list)
    count: int
    noise: int

    @property
    def ratio(self) -> float:
        return self.noise / self.count if self.count else 0.0

    def as_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {"key": self.key}
        if self.service is not None:
            row["service"] = self.service
        row |= {"count": self.count, "noise": self.noise, "noise_ratio": self.ratio}
        return row


@dataclass(frozen=True, slots=True)
class NoiseReport:
    period: Period
    services: tuple[NoiseRow, ...]
    alert_keys: tuple[NoiseRow, ...]


def _rank(
    histories: list[Incident],
    key_of: Callable[[Incident], tuple[str, str | None]],
    limit: int,
) -> tuple[NoiseRow, ...]:
    counts: dict[tuple[str, str | None], list[int]] = {}
    for h in histories:
        c = counts.setdefault(key_of(h), [0, 0])
        c[0] += 1
        c[1] += h.facts().noise
    rows = [NoiseRow(k, s, c, n) for (k, s), (c, n) in counts.items() if n]
    rows.sort(key=lambda r: (-r.noise, -r.ratio, r.key, r.service or ""))
    return tuple(rows[:limit])


def noise_report(
    histories: Iterable[Incident],
    period: Period,
    *,
    drills: Drills = Drills.EXCLUDE,
    limit: int = 20,
) -> NoiseReport:
    """Services and alert keys with any noise, noisiest first (most noise, then the higher
    ratio, then by name), at most ``limit`` of each."""
    chosen = [h for h in histories if counted(h, period.since, period.until, drills)]
    return NoiseReport(
        period,
        _rank(chosen, lambda h: (h.service, None), limit),
        _rank(chosen, lambda h: (h.alert_key, h.service), limit),
    )
