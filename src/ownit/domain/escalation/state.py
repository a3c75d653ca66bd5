"""What the escalation engine keeps per incident, and the decisions it returns.

The engine's rules (:mod:`ownit.domain.escalation.rules`) never act: each returns a :class:`Step`,
the new :class:`EscalationState` plus *intents* (a user to page, a line for the timeline, a
failure to raise) and when to look again. The app stores the state, turns the intents into
outbox rows and timeline entries, and sets the incident's timer to ``next_due_at``.

**Positions and loops.** Escalation walks positions ``(loop, level)``: levels are numbered
from 1 as people read them, loops from 0. ``loop`` counts every fresh pass over the policy
in this incident's life: each repeat after the last level, each re-trigger after an ack
timeout, and each manual page that goes back to a level already notified in the current
pass. It never goes down, and within one loop the levels notified only go up, so
:func:`page_key` never gives the same key to two different pages. How many repeats the
current run may still make is ``repeats_left``, counted down from the policy's ``repeat``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from ownit.domain.escalation.policy import Target, json_field
from ownit.domain.incidents import Status, Urgency

__all__ = [
    "AllLevelsEmpty",
    "EscalationExhausted",
    "EscalationState",
    "Intent",
    "LogEntry",
    "LogKind",
    "Page",
    "Step",
    "page_key",
]


@dataclass(frozen=True)
class EscalationState:
    """Where one incident's escalation stands.

    - ``level``: the current level (1-based): the level last notified, or, when
      ``unreachable``, the level the next attempt starts from (nobody was notified there).
    - ``loop``: the current pass (0-based, see the module docstring).
    - ``repeats_left``: how many more times this run may start again from level 1.
    - ``next_due_at``: when :func:`~ownit.domain.escalation.rules.tick` has work: the next level
      (triggered), the ack timeout (acknowledged), another attempt (unreachable); ``None``
      when nothing is scheduled (resolved, exhausted, low urgency, acknowledged for good).
    - ``unreachable``: the last attempt found every level empty (a visible failure).
    - ``exhausted``: every level and repeat went by without an acknowledgement; escalation
      stopped and the incident stays triggered.
    """

    status: Status
    urgency: Urgency
    level: int
    loop: int
    repeats_left: int
    next_due_at: datetime | None
    unreachable: bool = False
    exhausted: bool = False

    def to_json(self) -> dict[str, object]:
        """A plain dict for a JSON column; :meth:`from_json` reads it back."""
        return {
            "status": self.status.value,
            "urgency": self.urgency.value,
            "level": self.level,
            "loop": self.loop,
            "repeatsLeft": self.repeats_left,
            "nextDueAt": None if self.next_due_at is None else self.next_due_at.isoformat(),
            "unreachable": self.unreachable,
            "exhausted": self.exhausted,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> EscalationState:
        """Read :meth:`to_json`'s shape; ``ValueError`` naming the field on a wrong shape."""
        due_text = data.get("nextDueAt")
        if due_text is not None and not isinstance(due_text, str):
            raise ValueError(f"nextDueAt: expected str or null, got {type(due_text).__name__}")
        try:
            return cls(
                status=Status(json_field(data, "status", str, "status")),
                urgency=Urgency(json_field(data, "urgency", str, "urgency")),
                level=json_field(data, "level", int, "level"),
                loop=json_field(data, "loop", int, "loop"),
                repeats_left=json_field(data, "repeatsLeft", int, "repeatsLeft"),
                next_due_at=None if due_text is None else _aware(due_text),
                unreachable=json_field(data, "unreachable", bool, "unreachable"),
                exhausted=json_field(data, "exhausted", bool, "exhausted"),
            )
        except ValueError as error:
            raise ValueError(f"escalation state: {error}") from None


def _aware(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"nextDueAt: {text!r} has no UTC offset")
    return value.astimezone(UTC)


# --- intents -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """Page ``user`` now for ``level`` in ``loop``; ``via`` is the target that named them
    (``None`` for a reassignment). The user's notification rules take it from here."""

    user: str
    level: int
    loop: int
    at: datetime
    via: Target | None = None


LogKind = Literal[
    "paged",
    "skipped",
    "repeated",
    "exhausted",
    "unreachable",
    "acknowledged",
    "retriggered",
    "resolved",
    "escalated",
    "reassigned",
]


@dataclass(frozen=True)
class LogEntry:
    """A line for the incident's timeline, in words a responder understands."""

    kind: LogKind
    message: str


@dataclass(frozen=True)
class AllLevelsEmpty:
    """Nobody could be paged: every level of ``policy`` resolved to nobody at ``at``.

    A visible, alerting failure: the app must raise it (to the owning team's channel, the
    admins, the health endpoint), never swallow it. Escalation tries again later.
    """

    policy: str
    level: int
    at: datetime


@dataclass(frozen=True)
class EscalationExhausted:
    """Every level and repeat of ``policy`` went by without an acknowledgement at ``at``.

    Escalation stops; the incident stays triggered and visible.
    """

    policy: str
    at: datetime


Intent = Page | LogEntry | AllLevelsEmpty | EscalationExhausted


@dataclass(frozen=True)
class Step:
    """One decision: the new state, what to do now, and when to call ``tick`` again.

    ``next_due_at`` is always the new state's ``next_due_at`` (kept here too so the caller
    can set the incident's timer without looking inside the state).
    """

    state: EscalationState
    intents: tuple[Intent, ...]
    next_due_at: datetime | None

    def __post_init__(self) -> None:
        if self.next_due_at != self.state.next_due_at:
            raise ValueError("Step.next_due_at must equal state.next_due_at")

    @classmethod
    def of(cls, state: EscalationState, intents: tuple[Intent, ...] = ()) -> Step:
        """The step to ``state`` with ``intents``."""
        return cls(state=state, intents=intents, next_due_at=state.next_due_at)

    @property
    def pages(self) -> tuple[Page, ...]:
        """The pages among the intents, in order."""
        return tuple(i for i in self.intents if isinstance(i, Page))

    @property
    def log(self) -> tuple[LogEntry, ...]:
        """The timeline lines among the intents, in order."""
        return tuple(i for i in self.intents if isinstance(i, LogEntry))


def page_key(
    incident_id: str | int, loop: int, level: int, user: str, contact: str, rule: str = ""
) -> str:
    """The idempotency key of one notification: ``incident:loop:level:user:contact``, and
    ``:rule`` for a later rule on the same contact (its ``after``, e.g. ``20s``).

    The same page on the same contact by the same rule always gets the same key, so a
    retried or duplicated outbox row is delivered at most once by a receiver that honours
    the key. ``%`` and ``:`` inside names are escaped so that different parts never join
    into the same key.
    """
    parts: tuple[str, ...] = (str(incident_id), str(loop), str(level), user, contact)
    if rule:
        parts = (*parts, rule)
    return ":".join(p.replace("%", "%25").replace(":", "%3A") for p in parts)
