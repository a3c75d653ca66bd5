"""The rule book, walked as a hand-written table (decision 0011)."""

from __future__ import annotations

import pytest

from ownit.app.tokens import Principal, Role
from ownit.domain.permissions import Action, Actor, OrgRole, TeamRole, team_role

M, R, OBS = TeamRole.MANAGER, TeamRole.RESPONDER, TeamRole.OBSERVER
ACTORS = {
    "admin": Actor(OrgRole.ADMIN),
    "admin-read-only": Actor(OrgRole.ADMIN, read_only=True),
    "manager-payments": Actor(OrgRole.MEMBER, {"payments": M, "search": OBS}),
    "responder": Actor(OrgRole.MEMBER, {"payments": R}),
    "observer-only": Actor(OrgRole.MEMBER, {"payments": OBS, "search": OBS}),
    "no-team": Actor(OrgRole.MEMBER),
    "member-read-only": Actor(OrgRole.MEMBER, {"payments": M}, read_only=True),
}
# actor: view, respond, manage payments, manage search, manage no team, administer
EXPECTED = {
    "admin": "YYYYYY",
    "admin-read-only": "Y-----",
    "manager-payments": "YYY---",
    "responder": "YY----",
    "observer-only": "Y-----",
    "no-team": "YY----",
    "member-read-only": "Y-----",
}
CHECKS = [
    (Action.VIEW, None),
    (Action.RESPOND, None),
    (Action.MANAGE, "payments"),
    (Action.MANAGE, "search"),
    (Action.MANAGE, None),
    (Action.ADMINISTER, None),
]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_rule_book(name: str) -> None:
    actor = ACTORS[name]
    got = "".join("Y" if actor.may(a, team) else "-" for a, team in CHECKS)
    assert got == EXPECTED[name]


@pytest.mark.parametrize(
    ("role", "expected"),
    [(Role.VIEWER, "Y-----"), (Role.RESPONDER, "YY----"), (Role.ADMIN, "YYYYYY")],
)
def test_tokens_without_a_user_keep_their_role(role: Role, expected: str) -> None:
    actor = Principal("t", role).permissions
    assert "".join("Y" if actor.may(a, team) else "-" for a, team in CHECKS) == expected


def test_a_personal_token_acts_as_its_user() -> None:
    principal = Principal("laptop", Role.RESPONDER, ACTORS["manager-payments"], user="mia")
    assert principal.actor == "mia"
    assert principal.permissions.may(Action.MANAGE, "payments")
    assert not principal.permissions.may(Action.MANAGE, "search")
    assert Principal("t", Role.RESPONDER).actor == "token/t"


@pytest.mark.parametrize(
    ("text", "role"), [(None, R), ("", R), ("manager", M), ("observer", OBS), ("responder", R)]
)
def test_team_role_text(text: str | None, role: TeamRole) -> None:
    assert team_role(text) is role


def test_an_unknown_team_role_is_refused() -> None:
    with pytest.raises(ValueError, match="owner"):
        team_role("owner")


def test_needs_per_token_role() -> None:
    assert [r.needs() for r in Role] == [Action.ADMINISTER, Action.RESPOND, Action.VIEW]
