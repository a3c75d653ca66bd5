"""What would stop a page, found before an incident needs it (``ownit doctor``).

Pure: the findings' shape, the words and fixes of each kind, and the one calculation that
is more than a lookup — when **every** schedule target of a level is in a gap at once
(:func:`uncovered`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ownit.domain.paging import REASONS

__all__ = ["CHECKS", "Finding", "uncovered"]

Interval = tuple[datetime, datetime]

CHECKS: dict[str, str] = {
    "no-policy": REASONS["no-policy"].fix,
    "invalid-policy": "run `ownit catalog lint`, fix the policy and apply it",
    "nobody-on-call": REASONS["nobody-on-call"].fix,
    "no-contact": REASONS["no-contact"].fix,
    "no-notifier": REASONS["no-notifier"].fix,
    "contact-failing": "look at the contact's last delivery error (the incident timeline); "
    "fix the address or the receiver, then send a test from the Me page",
}
"""Each kind of finding, with how to fix it. The first five are the "not paged" reasons an
incident would get (``ownit.domain.paging``); ``contact-failing`` warns before they do."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing that would stop a page: its kind, what it is about, what is wrong."""

    check: str  # a key of CHECKS
    subject: str  # "service checkout-api", "user bob", "channel email", …
    message: str

    @property
    def fix(self) -> str:
        return CHECKS[self.check]

    def to_json(self) -> dict[str, str]:
        return {
            "check": self.check,
            "subject": self.subject,
            "message": self.message,
            "fix": self.fix,
        }


def uncovered(gaps: Sequence[Sequence[Interval]]) -> list[Interval]:
    """The intervals in which every target is in one of its gaps (each target's gaps
    sorted and disjoint). No targets: nothing is uncovered."""
    if not gaps:
        return []
    common: list[Interval] = list(gaps[0])
    for other in gaps[1:]:
        common = _intersect(common, other)
    return common


def _intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out
