"""Grafana OnCall (public API v1 answers) → ``ownit/v1`` documents and the import report.

- Escalation chains are ordered steps (``escalation_policies`` by ``position``): each
  ``notify_persons`` / ``notify_on_call_from_schedule`` step is a level (consecutive ones
  with no wait between share a level); a ``wait`` (``duration`` seconds) between two levels
  becomes the earlier level's ``after``; ``repeat_escalation`` → ``repeat: 5`` (Grafana
  OnCall repeats at most five times); every other step type is reported.
- Each integration becomes a service owned by its ``team_id``'s team (``grafana-oncall``
  without one) with its default route's chain; other routes (regular expressions over the
  payload) are reported. Senders post to Grafana OnCall URLs, so keys are new: the report
  names each integration and what its senders change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from ownit.domain.catalog.model import JsonObject, JsonValue
from ownit.domain.importers.answers import Answers, Obj, items
from ownit.domain.importers.grafana_schedules import import_schedules, import_users
from ownit.domain.importers.grafana_teams import owner
from ownit.domain.importers.names import slugify
from ownit.domain.importers.new_keys import new_key
from ownit.domain.importers.output import Import, seconds
from ownit.domain.importers.report import Report

_DEFAULT_WAIT = 300


def convert(answers: Answers, now: datetime, known_users: Mapping[str, str]) -> Import:
    state = Import(Report("Grafana OnCall"), now, dict(known_users))
    import_users(answers, state)
    import_schedules(answers, state)
    _chains(answers, state)
    _integrations(answers, state)
    return state


def _chains(answers: Answers, state: Import) -> None:
    steps: dict[str, list[Obj]] = {}
    for step in items(answers, "escalation_policies", "results"):
        steps.setdefault(step.text("escalation_chain_id"), []).append(step)
    names = state.names_of("EscalationPolicy")
    for chain in sorted(items(answers, "escalation_chains", "results"), key=lambda c: c.text("id")):
        name = names.add(chain.text("id"), slugify(chain.text("name"), "chain"))
        ordered = sorted(steps.get(chain.text("id"), []), key=lambda s: s.number("position", 0))
        levels, repeat = _levels(ordered, name, state)
        if not levels:
            state.report.skipped("EscalationPolicy", name, "no step notifies anyone ownit knows")
            continue
        spec: JsonObject = {"team": owner(chain, state)}
        if repeat:
            spec["repeat"] = repeat
        spec["levels"] = list[JsonValue](levels)
        state.add("EscalationPolicy", name, spec)
        state.report.imported("EscalationPolicy", name, f"from chain {chain.text('id')}")


def _levels(steps: list[Obj], name: str, state: Import) -> tuple[list[JsonObject], int]:
    levels: list[JsonObject] = []
    waits: list[int] = []  # the wait after each level
    pending = 0
    repeat = 0
    for step in steps:
        kind = step.text("type")
        if kind == "wait":
            pending += step.number("duration", 0)
            continue
        if kind == "repeat_escalation":
            repeat = 5
            continue
        targets = _targets(step, kind, name, state)
        if not targets:
            continue
        if levels and pending == 0:
            levels[-1]["targets"] = [*levels[-1]["targets"], *targets]  # type: ignore[misc]
            continue
        if not levels and pending:
            state.report.changed(
                "EscalationPolicy",
                name,
                f"waits {pending} s before the first notification: "
                "ownit pages the first level at once",
            )
        if levels:
            waits.append(pending)
        levels.append({"targets": targets})
        pending = 0
    waits.append(pending or _DEFAULT_WAIT)
    for level, wait in zip(levels, waits, strict=False):
        level["after"] = seconds(max(60, wait))
    return [{"after": lv["after"], "targets": lv["targets"]} for lv in levels], repeat


def _targets(step: Obj, kind: str, name: str, state: Import) -> list[JsonValue]:
    if kind == "notify_persons":
        users = state.names_of("User")
        return [{"user": u} for i in step.texts("persons_to_notify") if (u := users.get(i))]
    if kind == "notify_on_call_from_schedule":
        schedule = state.names_of("Schedule").get(
            step.opt_text("notify_on_call_from_schedule") or ""
        )
        if schedule is not None and state.has("Schedule", schedule):
            return [{"schedule": schedule}]
        state.report.skipped("EscalationPolicy", name, "a schedule step names no imported schedule")
        return []
    state.report.skipped("EscalationPolicy", name, f"step type {kind!r} has no ownit equivalent")
    return []


def _integrations(answers: Answers, state: Import) -> None:
    routes: dict[str, list[Obj]] = {}
    for route in items(answers, "routes", "results"):
        routes.setdefault(route.text("integration_id"), []).append(route)
    policies = state.names_of("EscalationPolicy")
    for src in sorted(items(answers, "integrations", "results"), key=lambda i: i.text("id")):
        name = slugify(src.text("name"), "integration")
        spec: JsonObject = {"owner": owner(src, state)}
        default = src.opt_obj("default_route")
        chain = default.opt_text("escalation_chain_id") if default is not None else None
        policy = policies.get(chain or "")
        if policy is not None and state.has("EscalationPolicy", policy):
            spec["escalationPolicy"] = policy
        else:
            state.report.check("Service", name, "its default route has no imported chain")
        kind = "alertmanager" if src.opt_text("type") == "alertmanager" else "events-v2"
        iname = slugify(src.opt_text("type") or "events", "events")
        spec["integrations"] = [{"name": iname, "type": kind}]
        others = [r for r in routes.get(src.text("id"), []) if r.opt_text("routing_regex")]
        for route in others:
            state.report.skipped(
                "Service",
                name,
                f"route {route.opt_text('routing_regex')!r}: route it with a Router by labels",
            )
        state.add("Service", name, spec)
        state.report.imported("Service", name, f"from integration {src.text('id')}")
        state.report.check("Service", name, new_key(iname, kind, src, "Grafana OnCall"))
