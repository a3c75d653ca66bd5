"""PagerDuty escalation policies, services, dependencies and maintenance windows.

- ``escalation_rules[].escalation_delay_in_minutes`` is the wait before leaving that rule:
  ownit's per-level ``after``; ``user_reference`` / ``schedule_reference`` targets;
  ``num_loops`` → ``repeat``. ``round_robin`` assignment has no ownit equivalent: reported
  (ownit pages every target of the level).
- Services keep their policy, ``acknowledgement_timeout`` (null or 0: off) → ``ackTimeout``,
  ``auto_resolve_timeout`` → ``autoResolve``, a constant ``incident_urgency_rule`` →
  ``urgency`` (``use_support_hours`` is reported), ``content_based`` grouping → ``grouping``
  (``time`` and ``intelligent`` are reported), and every Events API v2 integration with the
  **same** ``integration_key`` (senders only change the host name).
- ``service_dependencies`` → ``dependsOn``; maintenance windows still to come →
  ``MaintenanceWindow``.
"""

from __future__ import annotations

import re

from ownit.domain.catalog.model import JsonObject, JsonValue
from ownit.domain.importers.answers import Answers, Obj, items
from ownit.domain.importers.names import Names, slugify
from ownit.domain.importers.output import Import, minutes, seconds
from ownit.domain.importers.pagerduty_people import team_of

_KEY = re.compile(r"^[0-9a-zA-Z]{32}$")
_URGENCY = {"high": "high", "low": "low", "severity_based": "severity"}
_EVENTS_V2 = "events_api_v2_inbound_integration"
UNOWNED = "pagerduty-unowned"


def import_policies(answers: Answers, state: Import) -> dict[str, str | None]:
    """Write the policies; return each policy's team (for services without one)."""
    names = state.names_of("EscalationPolicy")
    teams: dict[str, str | None] = {}
    rows = items(answers, "escalation_policies", "escalation_policies")
    for src in sorted(rows, key=lambda p: p.text("id")):
        pid = src.text("id")
        name = names.add(pid, slugify(src.text("name"), "policy"))
        levels = [
            lvl
            for i, rule in enumerate(src.objs("escalation_rules"))
            if (lvl := _level(rule, i, name, state)) is not None
        ]
        if not levels:
            state.report.skipped("EscalationPolicy", name, "no rule with a target ownit knows")
            continue
        team = team_of(src, state)
        teams[pid] = team
        spec: JsonObject = {}
        if team is not None:
            spec["team"] = team
        loops = src.number("num_loops", 0)
        if loops:
            spec["repeat"] = loops
        spec["levels"] = list[JsonValue](levels)
        state.add("EscalationPolicy", name, spec)
        state.report.imported(
            "EscalationPolicy", name, f"from PagerDuty policy {pid}: {len(levels)} level(s)"
        )
    return teams


def _level(rule: Obj, index: int, policy: str, state: Import) -> JsonObject | None:
    strategy = rule.opt_obj("escalation_rule_assignment_strategy")
    if strategy is not None and strategy.opt_text("type") == "round_robin":
        state.report.check(
            "EscalationPolicy",
            policy,
            f"rule {index + 1} assigns round robin; ownit pages every target of the level",
        )
    targets: list[JsonValue] = []
    for target in rule.objs("targets"):
        kind = target.text("type").removesuffix("_reference")
        tid = target.text("id")
        name = state.names_of({"user": "User", "schedule": "Schedule"}.get(kind, "")).get(tid)
        if kind in ("user", "schedule") and name is not None:
            if {kind: name} not in targets:
                targets.append({kind: name})
        else:
            state.report.skipped(
                "EscalationPolicy", policy, f"rule {index + 1} target {kind} {tid} was not imported"
            )
    if not targets:
        state.report.skipped("EscalationPolicy", policy, f"rule {index + 1} has no target left")
        return None
    delay = max(1, rule.number("escalation_delay_in_minutes", 30))
    return {"after": minutes(delay), "targets": targets}


def import_services(answers: Answers, state: Import, policy_teams: dict[str, str | None]) -> None:
    names = state.names_of("Service")
    services = sorted(items(answers, "services", "services"), key=lambda s: s.text("id"))
    for src in services:
        names.add(src.text("id"), slugify(src.text("name"), "service"))
    depends = _dependencies(answers, state)
    for src in services:
        sid = src.text("id")
        name = names.get(sid) or sid
        spec = _service(src, name, state, policy_teams)
        if depends.get(sid):
            spec["dependsOn"] = list[JsonValue](sorted(depends[sid]))
        state.add("Service", name, spec, src.opt_text("description") or "")
        state.report.imported("Service", name, f"from PagerDuty service {sid}")
    _maintenance(answers, state)


def _service(src: Obj, name: str, state: Import, policy_teams: dict[str, str | None]) -> JsonObject:
    report = state.report
    spec: JsonObject = {}
    pid = src.ref("escalation_policy")
    policy = state.names_of("EscalationPolicy").get(pid)
    owner = team_of(src, state) or policy_teams.get(pid)
    if owner is None:
        owner = UNOWNED
        if not state.has("Team", UNOWNED):
            state.add("Team", UNOWNED, {"displayName": "Imported from PagerDuty without a team"})
            report.check("Team", UNOWNED, "owns the services PagerDuty gave no team: reassign")
        report.check("Service", name, f"no team in PagerDuty: owner set to {UNOWNED}")
    spec["owner"] = owner
    if policy is not None and state.has("EscalationPolicy", policy):
        spec["escalationPolicy"] = policy
    else:
        report.check("Service", name, f"escalation policy {pid} was not imported: none set")
    if src.opt_text("status") == "disabled":
        report.check("Service", name, "disabled in PagerDuty: imported as an active service")
    ack = src.opt_number("acknowledgement_timeout")
    if ack:
        spec["ackTimeout"] = seconds(ack)
    auto = src.opt_number("auto_resolve_timeout")
    if auto:
        spec["autoResolve"] = seconds(auto)
    spec["urgency"] = _urgency(src, name, state)
    grouping = _grouping(src, name, state)
    if grouping is not None:
        spec["grouping"] = grouping
    integrations = _integrations(src, name, state)
    if integrations:
        spec["integrations"] = integrations
    return spec


def _urgency(src: Obj, name: str, state: Import) -> str:
    rule = src.opt_obj("incident_urgency_rule")
    if rule is None:
        return "high"
    if rule.opt_text("type") == "use_support_hours":
        during = rule.opt_obj("during_support_hours")
        value = (during.opt_text("urgency") if during else None) or "high"
        state.report.changed(
            "Service",
            name,
            f"urgency by support hours is not supported: the support-hours urgency "
            f"{_URGENCY.get(value, 'high')} is written for all hours",
        )
        return _URGENCY.get(value, "high")
    return _URGENCY.get(rule.opt_text("urgency") or "high", "high")


def _grouping(src: Obj, name: str, state: Import) -> JsonObject | None:
    params = src.opt_obj("alert_grouping_parameters")
    kind = params.opt_text("type") if params is not None else None
    if params is None or kind is None:
        return None
    config = params.opt_obj("config")
    if kind != "content_based" or config is None:
        state.report.skipped(
            "Service", name, f"alert grouping {kind!r}: ownit groups by content only"
        )
        return None
    fields = [f.removeprefix("custom_details.") for f in config.texts("fields")]
    if not fields:
        state.report.skipped("Service", name, "content-based grouping without fields")
        return None
    if config.opt_text("aggregate") == "any":
        state.report.changed(
            "Service", name, "grouping on any of the fields: ownit groups on all of them"
        )
    out: JsonObject = {"by": list[JsonValue](dict.fromkeys(fields))}
    window = config.opt_number("time_window")
    if window:
        out["window"] = seconds(window)
    return out


def _integrations(src: Obj, name: str, state: Import) -> list[JsonValue]:
    out: list[JsonValue] = []
    used = Names()
    for raw in sorted(src.objs("integrations"), key=lambda i: i.text("id")):
        kind = raw.text("type").removesuffix("_reference")
        label = raw.opt_text("name") or raw.opt_text("summary") or raw.text("id")
        key = raw.opt_text("integration_key")
        if kind != _EVENTS_V2:
            state.report.skipped(
                "Service", name, f"integration {label!r} ({kind}): ownit receives Events API v2"
            )
        elif key is None or not _KEY.match(key):
            state.report.skipped(
                "Service", name, f"integration {label!r}: no 32-character integration_key"
            )
        else:
            iname = used.add(raw.text("id"), slugify(label, "events"))
            out.append({"name": iname, "type": "events-v2", "key": key})
    return out


def _dependencies(answers: Answers, state: Import) -> dict[str, set[str]]:
    names = state.names_of("Service")
    out: dict[str, set[str]] = {}
    rows = items(answers, "service_dependencies", "relationships", required=False)
    for rel in rows:
        dependent, supporting = rel.obj("dependent_service"), rel.obj("supporting_service")
        a, b = names.get(dependent.text("id")), names.get(supporting.text("id"))
        if a is None or b is None:
            state.report.skipped(
                "Service",
                a or dependent.text("id"),
                f"dependency on {b or supporting.text('id')}: only technical services "
                "that were imported can be named in dependsOn",
            )
            continue
        out.setdefault(dependent.text("id"), set()).add(b)
    return out


def _maintenance(answers: Answers, state: Import) -> None:
    names = state.names_of("Service")
    rows = items(answers, "maintenance_windows", "maintenance_windows", required=False)
    for src in sorted(rows, key=lambda m: m.text("id")):
        wid = src.text("id")
        name = f"pagerduty-{slugify(wid, 'window')}"
        start, end = src.instant("start_time"), src.instant("end_time")
        if end <= state.now:
            state.report.skipped("MaintenanceWindow", name, f"ended at {end.isoformat()}")
            continue
        services = sorted({n for s in src.objs("services") if (n := names.get(s.text("id")))})
        if not services:
            state.report.skipped("MaintenanceWindow", name, "none of its services was imported")
            continue
        spec: JsonObject = {
            "services": list[JsonValue](services),
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
        if src.opt_text("description"):
            spec["description"] = src.text("description")
        state.add("MaintenanceWindow", name, spec)
        state.report.imported("MaintenanceWindow", name, f"from PagerDuty window {wid}")
