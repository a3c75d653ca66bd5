"""Who may respond to an incident of a team's service, with and without responding by team."""

from __future__ import annotations

import pytest

from ownit.domain.permissions import Actor, OrgRole, TeamRole, may_respond_to

ADMIN = Actor(OrgRole.ADMIN)
M, R, OBS = TeamRole.MANAGER, TeamRole.RESPONDER, TeamRole.OBSERVER


@pytest.mark.parametrize(
    ("actor", "team", "anyone", "by_team"),
    [
        (ADMIN, "payments", True, True),
        (ADMIN, None, True, True),  # a service without a team: admins only, by team
        (Actor(OrgRole.ADMIN, read_only=True), "payments", False, False),
        (Actor(OrgRole.MEMBER, {"payments": M}), "payments", True, True),
        (Actor(OrgRole.MEMBER, {"payments": R}), "payments", True, True),
        (Actor(OrgRole.MEMBER, {"payments": OBS, "search": R}), "payments", True, False),
        (Actor(OrgRole.MEMBER, {"search": M}), "payments", True, False),
        (Actor(OrgRole.MEMBER, {"payments": OBS}), "payments", False, False),
        (Actor(OrgRole.MEMBER), "payments", True, False),  # in no team
        (Actor(OrgRole.MEMBER, {"payments": R}), None, True, False),
        (Actor(OrgRole.MEMBER, {"payments": R}, read_only=True), "payments", False, False),
    ],
)
def test_may_respond_to(actor: Actor, team: str | None, anyone: bool, by_team: bool) -> None:
    assert may_respond_to(actor, team, by_team=False) is anyone
    assert may_respond_to(actor, team, by_team=True) is by_team
