"""Who may do what: organisation roles, team roles, and the actions they gate.

One rule book for the web UI and the REST API alike (decision 0011):

- ``view``: everyone signed in (or any valid token) reads everything.
- ``respond`` (acknowledge, resolve, note, reassign, escalate, merge and split incidents):
  admins, and members unless every team role they hold is ``observer``.
- ``manage`` a team (its services, schedules and overrides, escalation policies, maintenance
  windows): admins, and that team's managers.
- ``administer`` (people, invitations, integration keys): admins only.

When the organisation responds **by team** (an org setting, decision 0031), responding to an
incident also needs a ``manager`` or ``responder`` role in the team that owns its service
(admins still respond to anything): :func:`may_respond_to`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


class OrgRole(enum.StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


class TeamRole(enum.StrEnum):
    MANAGER = "manager"
    RESPONDER = "responder"
    OBSERVER = "observer"


class Action(enum.StrEnum):
    VIEW = "view"
    RESPOND = "respond"
    MANAGE = "manage"
    ADMINISTER = "administer"


@dataclass(frozen=True, slots=True)
class Actor:
    """Someone acting: their organisation role and their role in each team (by team name)."""

    org_role: OrgRole
    teams: Mapping[str, TeamRole] = field(default_factory=dict)
    read_only: bool = False  # e.g. a viewer token: reads, whatever its owner may do

    @property
    def is_admin(self) -> bool:
        return self.org_role is OrgRole.ADMIN and not self.read_only

    def may(self, action: Action, team: str | None = None) -> bool:
        """Whether this actor may do ``action`` (on ``team``'s things, for ``manage``)."""
        if action is Action.VIEW:
            return True
        if self.read_only:
            return False
        if self.org_role is OrgRole.ADMIN:
            return True
        if action is Action.RESPOND:
            return not self.teams or any(r is not TeamRole.OBSERVER for r in self.teams.values())
        if action is Action.MANAGE:
            return team is not None and self.teams.get(team) is TeamRole.MANAGER
        return False


def may_respond_to(actor: Actor, team: str | None, *, by_team: bool) -> bool:
    """Whether ``actor`` may respond to an incident of a service owned by ``team``: the
    ``respond`` rule, and when the organisation responds ``by_team``, a manager or responder
    role in that team (admins respond to anything; a service without a team: admins only)."""
    if not actor.may(Action.RESPOND):
        return False
    if not by_team or actor.is_admin:
        return True
    return team is not None and actor.teams.get(team) in (TeamRole.MANAGER, TeamRole.RESPONDER)


def team_role(text: str | None) -> TeamRole:
    """A catalog member's role; absent means responder."""
    if text is None or text == "":
        return TeamRole.RESPONDER
    return TeamRole(text)
