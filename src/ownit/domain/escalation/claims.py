"""Which due work the engine claims first, so a storm on one service never starves another.

Two rules, in this order:

1. **First pages first.** Work that starts an escalation (a new incident's first page) goes
   before work that continues one (repeats, later levels, retries): a later level is by
   nature already late-tolerant, a first page is what someone is waiting for.
2. **Round-robin across groups** (services for escalations): within each class, the
   groups take turns, each group's items in due order, and the group whose oldest item is
   the most overdue goes first. A flood of 10,000 due items on one service therefore
   takes one slot per turn: another service's oldest first page is in the very next batch
   whenever the batch has room for one item per group with a first page waiting.

Pure: the caller reads the candidates (each group's oldest few of each class) and locks
what this returns.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Candidate:
    """One due item: ``key`` names it, ``group`` is what fairness is across (a service)."""

    key: str
    group: Hashable
    due_at: datetime
    first: bool  # starts an escalation (a new incident's first page)


def claim_order(candidates: Sequence[Candidate], limit: int) -> list[str]:
    """The keys of at most ``limit`` candidates, in the order they should be worked."""
    if limit <= 0:
        return []
    chosen: list[str] = []
    for first in (True, False):
        chosen += _round_robin([c for c in candidates if c.first is first], limit - len(chosen))
        if len(chosen) >= limit:
            break
    return chosen


def _round_robin(items: Sequence[Candidate], limit: int) -> list[str]:
    queues: dict[Hashable, list[Candidate]] = {}
    for item in sorted(items, key=lambda c: (c.due_at, c.key)):
        queues.setdefault(item.group, []).append(item)
    # Dicts keep insertion order: groups in the order of their oldest item.
    lanes = list(queues.values())
    out: list[str] = []
    turn = 0
    while len(out) < limit and lanes:
        lanes = [lane for lane in lanes if len(lane) > turn]
        for lane in lanes:
            if len(out) >= limit:
                break
            out.append(lane[turn].key)
        turn += 1
    return out
