"""Never silent: whether ownit could page anyone for an incident, and why not.

An incident's ``paging`` is ``ok`` until a page cannot go out; then it is ``nobody`` (there
was nobody to page: no policy, nobody on call, no contact methods) or ``failed`` (someone
was to be paged and it did not work: an invalid policy, every contact failed, a channel with
no notifier, an address refused). A page delivered by the policy later puts it back to
``ok``. Each reason has a code (the ``reason`` label of ``ownit_paging_failures_total``),
words for the timeline and the UI, and how to fix it (``docs/paging-health.md``).

Pure: the callers say what happened; these rules say what it means.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "FALLBACK_EVENT",
    "REASONS",
    "Paging",
    "Reason",
    "delivery_failure_reason",
    "fallback_key",
    "reason",
]


class Paging(StrEnum):
    OK = "ok"
    FAILED = "failed"
    NOBODY = "nobody"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why an incident could not be paged: its code, the state it gives, words, a fix."""

    code: str
    paging: Paging
    words: str
    fix: str


REASONS: dict[str, Reason] = {
    r.code: r
    for r in (
        Reason(
            "no-policy",
            Paging.NOBODY,
            "the service has no escalation policy",
            "give the service an escalationPolicy in the catalog",
        ),
        Reason(
            "invalid-policy",
            Paging.FAILED,
            "the escalation policy frozen on this incident is invalid",
            "run `ownit catalog lint`, fix the policy and apply it; open incidents keep their "
            "snapshot, so page the right people by hand (`ownit incident reassign`)",
        ),
        Reason(
            "nobody-on-call",
            Paging.NOBODY,
            "every level of the escalation policy is empty: nobody is on call",
            "fill the schedule gap (an override, or a layer covering the hours), or add a "
            "user target to level 1",
        ),
        Reason(
            "no-contact",
            Paging.NOBODY,
            "the people paged have no contact methods",
            "add a contact (the Me page, or contacts in the catalog) for every responder",
        ),
        Reason(
            "all-contacts-failed",
            Paging.FAILED,
            "every contact of the people paged failed",
            "look at the timeline's delivery errors; fix the addresses, or the receiver",
        ),
        Reason(
            "no-notifier",
            Paging.FAILED,
            "the contacts' channels have no notifier configured (e.g. e-mail without SMTP)",
            "configure the channel (OWNIT_SMTP_* for e-mail) and restart the worker",
        ),
        Reason(
            "refused-address",
            Paging.FAILED,
            "the address of every contact was refused",
            "use a public address, or allow it with OWNIT_OUTBOUND_ALLOW",
        ),
    )
}

FALLBACK_EVENT = "incident.fallback"
"""The event type of a fallback page: to the owning team's managers, then the org admins."""


def reason(code: str) -> Reason:
    """The reason named ``code``; ``KeyError`` for an unknown code (a programming error)."""
    return REASONS[code]


_NO_NOTIFIER = "no notifier"
_REFUSED = "refused:"


def delivery_failure_reason(details: Iterable[str]) -> str:
    """The reason code for a page none of whose notifications went out, from the failures'
    timeline words: ``no-notifier`` when every one lacked a notifier, ``refused-address``
    when an outgoing address was refused (``refused: 10.0.0.1 is a private address…``),
    else ``all-contacts-failed``."""
    seen = [d.lower() for d in details]
    if seen and all(_NO_NOTIFIER in d for d in seen):
        return "no-notifier"
    if any(_REFUSED in d for d in seen):
        return "refused-address"
    return "all-contacts-failed"


def fallback_key(incident_id: str, tier: str, user: str, contact: str) -> str:
    """The idempotency key of one fallback notification (``tier``: managers or admins): a
    page of its own, never folded into the policy's pages."""
    return f"{incident_id}:fallback:{tier}:{user}:{contact}"
