"""A postmortem: title, status ``draft → in_review → closed``, owner, due date, eight
Markdown sections; and its action items (decision 0043)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from ownit.domain.errors import FieldError, InvalidTransition

SECTIONS = (
    "summary",
    "impact",
    "contributing_factors",
    "detection",
    "resolution",
    "what_went_well",
    "what_went_wrong",
    "where_we_got_lucky",
)
SECTION_TITLES = {
    "summary": "Summary",
    "impact": "Impact",
    "contributing_factors": "Contributing factors",
    "detection": "Detection",
    "resolution": "Resolution",
    "what_went_well": "What went well",
    "what_went_wrong": "What went wrong",
    "where_we_got_lucky": "Where we got lucky",
}
MAX_SECTION = 50_000
MAX_TITLE = 300


class Status(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    CLOSED = "closed"


# draft → in_review → closed; a review may send it back to draft. Closed is final.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.IN_REVIEW}),
    Status.IN_REVIEW: frozenset({Status.DRAFT, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class Closed(InvalidTransition):
    """A closed postmortem cannot change (answered 409 with this text)."""


def parse_status(value: str) -> Status:
    try:
        return Status(value)
    except ValueError:
        allowed = ", ".join(s.value for s in Status)
        raise FieldError("status", f"{value!r} is not one of {allowed}") from None


def check_transition(current: Status, wanted: Status) -> None:
    """Raise :class:`FieldError` on ``status`` unless ``current → wanted`` is allowed
    (staying put is allowed)."""
    if wanted is current:
        return
    if wanted not in TRANSITIONS[current]:
        nexts = sorted(s.value for s in TRANSITIONS[current])
        can = ", ".join(nexts) if nexts else "nothing (closed is final)"
        raise FieldError("status", f"a {current.value} postmortem can move to {can}, not {wanted}")


def check_editable(status: Status, number: int) -> None:
    if status is Status.CLOSED:
        raise Closed(
            f"the postmortem of incident #{number} is closed: a closed postmortem is the "
            "record of what was learned and is not edited any more"
        )


def add_business_days(start: date, days: int) -> date:
    """``days`` business days (Monday to Friday) after ``start``."""
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def default_due(resolved_at: datetime | None, created_at: datetime, days: int) -> date:
    """``days`` business days after the incident resolved (after it was created while it is
    still open), counted on the UTC calendar."""
    base = resolved_at or created_at
    return add_business_days(base.date(), days)


def check_section(name: str, text: str) -> None:
    if name not in SECTIONS:
        raise FieldError("sections", f"{name!r} is not one of {', '.join(SECTIONS)}")
    if len(text) > MAX_SECTION:
        raise FieldError(f"sections.{name}", f"is longer than {MAX_SECTION} characters")


def check_title(text: str, field_name: str = "title") -> str:
    text = text.strip()
    if not text:
        raise FieldError(field_name, "needs some text")
    if len(text) > MAX_TITLE:
        raise FieldError(field_name, f"is longer than {MAX_TITLE} characters")
    return text


@dataclass(frozen=True, slots=True)
class ActionItem:
    """One thing to do after an incident (a postmortem's, or a game day's report's)."""

    number: int
    title: str
    owner: str
    due: date
    status: ActionStatus = ActionStatus.OPEN
    link: str | None = None

    def overdue(self, today: date) -> bool:
        """Open and past due (a due date already past when given is overdue at once)."""
        return self.status is ActionStatus.OPEN and self.due < today


@dataclass(frozen=True, slots=True)
class Postmortem:
    title: str
    owner: str | None
    due: date
    status: Status = Status.DRAFT
    sections: dict[str, str] = field(default_factory=dict)
    actions: tuple[ActionItem, ...] = ()

    def overdue(self, today: date) -> bool:
        return self.status is not Status.CLOSED and self.due < today

    def open_actions(self) -> tuple[ActionItem, ...]:
        return tuple(a for a in self.actions if a.status is ActionStatus.OPEN)


def check_link(link: str | None) -> str | None:
    """An action item's optional link: an ``http(s)`` URL (empty: none)."""
    if not link:
        return None
    if not link.startswith(("https://", "http://")) or len(link) > 2000 or " " in link:
        raise FieldError("link", f"{link[:80]!r} is not an http(s) URL")
    return link


@dataclass(frozen=True, slots=True)
class Due:
    """Something to remind its owner of: the postmortem itself (``item`` 0) or an action
    item (its number), due on ``due`` and not done."""

    item: int
    owner: str
    due: date
    what: str


def due_items(pm: Postmortem, today: date) -> list[Due]:
    """What is due by ``today`` and not done: a postmortem not closed (with an owner), and
    its open action items."""
    found = []
    if pm.status is not Status.CLOSED and pm.owner is not None and pm.due <= today:
        found.append(Due(0, pm.owner, pm.due, f"the postmortem {pm.title!r}"))
    for a in pm.actions:
        if a.status is ActionStatus.OPEN and a.due <= today:
            found.append(Due(a.number, a.owner, a.due, f"action item {a.number} {a.title!r}"))
    return found
