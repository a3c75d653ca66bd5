"""One-click action links (decision 0030): each works once, and only while the person it was
made for may still respond.

A link is a signed bearer token naming an incident, an action and the person paged. The
signature proves ownit made it; these ports answer what the signature cannot: whether it
was used already, and whether that person may respond today (their login's organisation
role and their team roles, as they are now — not as they were when the page went out).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Protocol

from ownit.app.incidents import IncidentStore, check_may_respond
from ownit.domain.errors import Forbidden
from ownit.domain.permissions import Action, Actor


class UsedLinks(Protocol):
    def use(self, digest: str, at: datetime) -> bool:
        """Mark the link used; ``False`` when it was used before."""
        ...


class ResponderRights(Protocol):
    def rights_of(self, user: str) -> Actor | None:
        """What the catalog user may do now (``None``: no such user any more)."""
        ...

    def user_for_slack(self, slack_user_id: str) -> str | None:
        """The catalog user whose slack contact names this Slack member id (``userId``)."""
        ...


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_digest(token: str) -> str:
    """The used-links key of a genuine action token: its signed part only (``a1.<body>``).
    The signature's base64 can be spelled several ways that decode alike, and spaces around
    are ignored; the signed part cannot change without the signature failing."""
    signed, _, _ = token.strip().rpartition(".")
    return digest("link:" + signed)


def may_respond(
    rights: ResponderRights, user: str, incident_id: str, incidents: IncidentStore
) -> bool:
    """Whether the person a link was made for may still respond to this incident (with the
    organisation's responding setting)."""
    if not user:
        return False
    found = rights.rights_of(user)
    if found is None or not found.may(Action.RESPOND):
        return False
    try:
        check_may_respond(store=incidents, who=found, incident_id=incident_id)
    except Forbidden:
        return False
    return True
