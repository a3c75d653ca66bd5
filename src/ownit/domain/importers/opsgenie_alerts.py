"""Opsgenie escalations, integrations (as one service per owner team) and heartbeats.

- Escalation ``rules[].delay`` counts **from the alert's creation**; ownit's ``after`` counts
  from the level before. Rules with the same delay become one level; each level's ``after``
  is the difference to the next delay; the last level waits ``repeat.waitInterval`` (or
  5m). Rules out of order are sorted by delay (reported); a first delay above 0 is reported
  (ownit pages the first level at once); ``condition: if-not-closed`` and a ``notifyType``
  other than ``default`` are reported. ``repeat.count`` → ``repeat``.
- A schedule recipient targets every rotation schedule of it (they stack in Opsgenie).
- Integrations have no service in Opsgenie: each owner team gets a service ``<team>`` owned
  by it, using the team's escalation, with one integration per Opsgenie integration
  (Prometheus → ``alertmanager``, others ``events-v2``). Opsgenie senders speak Opsgenie's
  Alert API, so their keys cannot be kept: ownit generates keys, the report says so.
- Heartbeats → ``kind: Heartbeat`` (``interval`` + ``intervalUnit``) on the team's service.
"""

from __future__ import annotations

from ownit.domain.catalog.model import JsonObject, JsonValue
from ownit.domain.importers.answers import Answers, Obj, items
from ownit.domain.importers.names import Names, slugify
from ownit.domain.importers.new_keys import new_key
from ownit.domain.importers.opsgenie_people import delay_minutes, team_named
from ownit.domain.importers.output import Import, minutes

_ALERTMANAGER = ("prometheus", "alertmanager")
_UNIT = {"minutes": 1, "hours": 60, "days": 1440}


def import_escalations(
    answers: Answers, state: Import, rotations: dict[str, list[str]]
) -> dict[str, str]:
    """Write the policies; return owner team name → its first policy (by name)."""
    by_team: dict[str, str] = {}
    names = state.names_of("EscalationPolicy")
    for src in sorted(items(answers, "escalations", "data"), key=lambda e: e.text("id")):
        name = names.add(src.text("id"), slugify(src.text("name"), "escalation"))
        levels = _levels(src, name, state, rotations)
        if not levels:
            state.report.skipped("EscalationPolicy", name, "no rule with a target ownit knows")
            continue
        spec: JsonObject = {}
        team = team_named(src.opt_obj("ownerTeam"), state)
        if team is not None:
            spec["team"] = team
            if team not in by_team or name < by_team[team]:
                by_team[team] = name
        repeat = src.opt_obj("repeat")
        if repeat is not None and repeat.number("count", 0):
            spec["repeat"] = repeat.number("count")
        spec["levels"] = list[JsonValue](levels)
        state.add("EscalationPolicy", name, spec)
        state.report.imported(
            "EscalationPolicy", name, f"from Opsgenie escalation {src.text('id')}"
        )
    return by_team


def _levels(
    src: Obj, name: str, state: Import, rotations: dict[str, list[str]]
) -> list[JsonObject]:
    rules = src.objs("rules")
    delays = [delay_minutes(r.opt_obj("delay")) for r in rules]
    if delays != sorted(delays):
        state.report.changed(
            "EscalationPolicy",
            name,
            f"rule delays {delays} (minutes from creation) are not in order: sorted by delay",
        )
    grouped: dict[int, list[JsonValue]] = {}
    for delay, rule in sorted(zip(delays, rules, strict=True), key=lambda x: x[0]):
        for t in _targets(rule, name, state, rotations):
            if t not in grouped.setdefault(delay, []):
                grouped[delay].append(t)
    steps = sorted(d for d, targets in grouped.items() if targets)
    if steps and steps[0] > 0:
        state.report.changed(
            "EscalationPolicy",
            name,
            f"the first rule waits {steps[0]} min after creation: ownit pages the first level "
            "at once",
        )
    repeat = src.opt_obj("repeat")
    last = repeat.number("waitInterval", 0) if repeat is not None else 0
    levels: list[JsonObject] = []
    for i, delay in enumerate(steps):
        after = steps[i + 1] - delay if i + 1 < len(steps) else (last or 5)
        levels.append({"after": minutes(max(1, after)), "targets": grouped[delay]})
    return levels


def _targets(
    rule: Obj, name: str, state: Import, rotations: dict[str, list[str]]
) -> list[JsonValue]:
    if rule.opt_text("condition") == "if-not-closed":
        state.report.changed(
            "EscalationPolicy", name, "condition if-not-closed: ownit escalates until acknowledged"
        )
    if (rule.opt_text("notifyType") or "default") != "default":
        state.report.skipped(
            "EscalationPolicy", name, f"notifyType {rule.opt_text('notifyType')!r} is not supported"
        )
        return []
    recipient = rule.obj("recipient")
    kind, rid = recipient.text("type"), recipient.opt_text("id") or ""
    if kind == "user" and (user := state.names_of("User").get(rid)):
        return [{"user": user}]
    if kind == "schedule" and rotations.get(rid):
        return [{"schedule": s} for s in rotations[rid]]
    state.report.skipped("EscalationPolicy", name, f"recipient {kind} {rid} is not imported")
    return []


def import_services(answers: Answers, state: Import, policies: dict[str, str]) -> dict[str, str]:
    """Write one service per owner team; return Opsgenie integration id → its service."""
    owners: dict[str, str] = {}
    teams: dict[str, list[Obj]] = {}
    for src in items(answers, "integrations", "data"):
        team = team_named(src.opt_obj("ownerTeam"), state) or (
            state.names_of("Team").get(src.opt_text("teamId") or "")
        )
        if team is None:
            state.report.skipped(
                "Service", src.text("name"), "integration without an owner team: no service"
            )
            continue
        teams.setdefault(team, []).append(src)
        owners[src.text("id")] = team
    for team, rows in sorted(teams.items()):
        out: list[JsonValue] = []
        used = Names()
        for src in sorted(rows, key=lambda i: i.text("id")):
            kind = (src.opt_text("type") or "API").lower()
            iname = used.add(src.text("id"), slugify(src.text("name"), "events"))
            itype = "alertmanager" if kind in _ALERTMANAGER else "events-v2"
            out.append({"name": iname, "type": itype})
            if src.raw("enabled") is False:
                state.report.check("Service", team, f"integration {iname} is disabled in Opsgenie")
            state.report.check("Service", team, new_key(iname, itype, src, "Opsgenie"))
        _service(team, state, policies, out)
    _heartbeats(answers, state, policies)
    return owners


def _service(
    team: str, state: Import, policies: dict[str, str], integrations: list[JsonValue]
) -> None:
    spec: JsonObject = {"owner": team}
    if team in policies:
        spec["escalationPolicy"] = policies[team]
    else:
        state.report.check("Service", team, "the team has no escalation: none set")
    spec["urgency"] = "high"
    if integrations:
        spec["integrations"] = integrations
    state.add("Service", team, spec)
    state.report.imported("Service", team, "the owner team's alerts (Opsgenie has no services)")


def _heartbeats(answers: Answers, state: Import, policies: dict[str, str]) -> None:
    rows = items(answers, "heartbeats", "data.heartbeats", required=False)
    for src in sorted(rows, key=lambda h: h.text("name")):
        name = slugify(src.text("name"), "heartbeat")
        team = team_named(src.opt_obj("ownerTeam"), state)
        if team is None:
            state.report.skipped("Heartbeat", name, "no owner team to page")
            continue
        if not state.has("Service", team):
            _service(team, state, policies, [])
        interval = src.number("interval") * _UNIT.get(src.opt_text("intervalUnit") or "", 1)
        state.add("Heartbeat", name, {"service": team, "interval": minutes(interval)})
        state.report.imported("Heartbeat", name, f"every {minutes(interval)}, pages {team}")
        state.report.check(
            "Heartbeat", name, "send pings to ownit's ping URL (`ownit heartbeat list`)"
        )
        if src.raw("enabled") is False:
            state.report.check("Heartbeat", name, "disabled in Opsgenie: imported as active")
