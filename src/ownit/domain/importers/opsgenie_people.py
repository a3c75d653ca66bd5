"""Opsgenie users, their notification rules, and teams.

- A user's ``username`` is their e-mail address; the name is its local part.
- ``notification_rules/<user id>`` (rules with their ``steps``): the enabled steps of
  enabled ``create-alert`` rules that send e-mail become the user's e-mail contacts and
  ``notificationRules`` (``sendAfter`` → ``after``); SMS, voice and the mobile app are
  reported, never invented.
- Team members keep their role: ``admin`` → ``manager``, ``user`` → ``responder``.
"""

from __future__ import annotations

from ownit.domain.catalog.model import JsonObject, JsonValue
from ownit.domain.importers.answers import Answers, Obj, items
from ownit.domain.importers.names import Names, slugify
from ownit.domain.importers.output import Import, minutes
from ownit.domain.importers.pagerduty_people import known_zone

_ROLES = {"admin": "manager", "user": "responder"}
_UNIT_MINUTES = {"minutes": 1, "hours": 60, "days": 1440}


def import_users(answers: Answers, state: Import) -> None:
    names = state.names_of("User")
    for user in sorted(items(answers, "users", "data"), key=lambda u: u.text("id")):
        email = user.text("username")
        existing = state.known_users.get(email.lower())
        if existing is not None:
            names.keep(user.text("id"), existing)
            state.report.skipped(
                "User", existing, f"already in the catalog (matched by e-mail {email}); kept as is"
            )
            continue
        name = names.add(user.text("id"), slugify(email.split("@")[0], "user"))
        spec: JsonObject = {"displayName": user.opt_text("fullName") or name, "email": email}
        zone = user.opt_text("timeZone")
        if known_zone(zone):
            spec["timezone"] = zone
        contacts, rules = _rules(answers, user.text("id"), name, state)
        if contacts:
            spec["contacts"] = contacts
        if rules:
            spec["notificationRules"] = rules
        role = user.opt_obj("role")
        if role is not None and (role.opt_text("name") or "").lower() in ("admin", "owner"):
            state.report.check(
                "User", name, f"Opsgenie role {role.opt_text('name')}: grant ownit admin by hand"
            )
        state.add("User", name, spec)
        state.report.imported("User", name, f"from Opsgenie user {user.text('id')}")


def delay_minutes(value: Obj | None) -> int:
    if value is None:
        return 0
    unit = value.opt_text("timeUnit") or "minutes"
    return value.number("timeAmount", 0) * _UNIT_MINUTES.get(unit, 1)


def _rules(
    answers: Answers, uid: str, name: str, state: Import
) -> tuple[list[JsonValue], list[JsonValue]]:
    addresses = Names()
    contacts: list[JsonValue] = []
    found: set[tuple[int, str]] = set()
    for rule in items(answers, f"notification_rules/{uid}", "data", required=False):
        label = rule.opt_text("name") or rule.text("id")
        if rule.opt_text("actionType") != "create-alert":
            state.report.skipped(
                "User",
                name,
                f"notification rule {label!r} ({rule.opt_text('actionType')}): "
                "ownit notifies for new incidents only",
            )
            continue
        if rule.raw("enabled") is False:
            state.report.skipped("User", name, f"notification rule {label!r} is disabled")
            continue
        for step in rule.objs("steps"):
            contact = step.obj("contact")
            method, to = contact.text("method"), contact.opt_text("to") or ""
            after = delay_minutes(step.opt_obj("sendAfter"))
            if step.raw("enabled") is False:
                continue
            if method != "email":
                state.report.skipped(
                    "User",
                    name,
                    f"rule {label!r}: {method} after {after} min: ownit cannot send to it",
                )
                continue
            if addresses.get(to.lower()) is None:
                cname = addresses.add(to.lower(), "email")
                contacts.append({"name": cname, "type": "email", "address": to})
            found.add((after, addresses.get(to.lower()) or "email"))
    rules: list[JsonValue] = [{"contact": c, "after": minutes(a)} for a, c in sorted(found)]
    return contacts, rules


def import_teams(answers: Answers, state: Import) -> None:
    names = state.names_of("Team")
    users = state.names_of("User")
    for team in sorted(items(answers, "teams", "data"), key=lambda t: t.text("id")):
        name = names.add(team.text("id"), slugify(team.text("name"), "team"))
        rows: list[JsonValue] = []
        for member in sorted(team.objs("members"), key=lambda m: m.obj("user").text("id")):
            user = users.get(member.obj("user").text("id"))
            if user is None:
                state.report.skipped(
                    "Team", name, f"member {member.obj('user').text('id')} unknown"
                )
                continue
            role = _ROLES.get(member.opt_text("role") or "user", "responder")
            rows.append({"user": user} if role == "responder" else {"user": user, "role": role})
        spec: JsonObject = {"displayName": team.text("name"), "members": rows}
        state.add("Team", name, spec)
        state.report.imported("Team", name, f"from Opsgenie team {team.text('id')}")


def team_named(ref: Obj | None, state: Import) -> str | None:
    if ref is None or ref.opt_text("id") is None:
        return None
    return state.names_of("Team").get(ref.text("id"))
