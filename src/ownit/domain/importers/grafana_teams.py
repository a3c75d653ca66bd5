"""Grafana OnCall teams as ownit teams.

``teams.json`` (``GET /api/v1/teams/``: ``id``, ``name``) gives the teams; a user's
``teams`` lists the ids of the teams they are in (role ``admin`` → manager); schedules,
escalation chains and integrations carry a ``team_id``. Each Grafana team becomes an ownit
team named after it, which owns its schedules, chains and services. Users in no team, and
objects with no ``team_id`` (or an unknown one), go to one team ``grafana-oncall``, written
only when something is in it; without ``teams.json`` that is everyone (reported).
"""

from __future__ import annotations

from ownit.domain.catalog.model import JsonValue
from ownit.domain.importers.answers import Answers, Obj, items
from ownit.domain.importers.names import slugify
from ownit.domain.importers.output import Import

TEAM = "grafana-oncall"
_FALLBACK = ""  # the Names key of the team for what has no Grafana team


def import_teams(answers: Answers, state: Import, users: list[Obj]) -> None:
    """Name every Grafana team, then write each with its members; ``users``: the answers'
    users (their ``teams`` lists), already named."""
    names = state.names_of("Team")
    names.keep(_FALLBACK, TEAM)  # reserved, written only when used
    rows = sorted(items(answers, "teams", "results", required=False), key=lambda t: t.text("id"))
    for team in rows:
        names.add(team.text("id"), slugify(team.text("name"), "team"))
    members: dict[str, list[JsonValue]] = {}
    for user in users:
        name = state.names_of("User").get(user.text("id"))
        if name is None:
            continue
        entry: JsonValue = (
            {"user": name, "role": "manager"}
            if user.opt_text("role") == "admin"
            else {"user": name}
        )
        ids = [t for t in user.texts("teams") if names.get(t) is not None] if rows else []
        for team_name in sorted({names.get(t) or TEAM for t in ids} or {TEAM}):
            members.setdefault(team_name, []).append(entry)
    for team in rows:
        name = names.get(team.text("id")) or TEAM
        state.add(
            "Team",
            name,
            {"displayName": team.text("name"), "members": members.get(name, [])},
        )
        state.report.imported("Team", name, f"from Grafana OnCall team {team.text('id')}")
    if TEAM in members:
        _fallback(state, members[TEAM], bool(rows))


def _fallback(state: Import, members: list[JsonValue], has_teams: bool) -> None:
    state.add("Team", TEAM, {"displayName": "Grafana OnCall", "members": members})
    if has_teams:
        state.report.check(
            "Team", TEAM, "people and objects in no Grafana OnCall team: move them to a team"
        )
    else:
        state.report.check(
            "Team",
            TEAM,
            "no teams.json in the saved answers: everyone is in this team, which owns the "
            "imported services; add teams.json (GET /api/v1/teams/) or split it by hand",
        )


def owner(src: Obj, state: Import) -> str:
    """The ownit team of a schedule, chain or integration (by its ``team_id``)."""
    found = state.names_of("Team").get(src.opt_text("team_id") or _FALLBACK)
    if found is None or found == TEAM:
        ensure_fallback(state)
        return TEAM
    return found


def ensure_fallback(state: Import) -> None:
    if not state.has("Team", TEAM):
        _fallback(state, [], has_teams=True)
