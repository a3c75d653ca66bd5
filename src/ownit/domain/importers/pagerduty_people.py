"""PagerDuty users and teams as ``User`` and ``Team`` documents.

- A user's name is the local part of the e-mail address (a slug); a user the catalog
  already has (same e-mail, any case) keeps the catalog's name and is not written again.
- ``contact_methods``: e-mail addresses become ``email`` contacts; phone, SMS and push
  (PagerDuty's app) are methods ownit cannot send to: reported, never invented.
- ``notification_rules``: the high-urgency rules on e-mail contacts become the user's
  ``notificationRules`` (``start_delay_in_minutes`` → ``after``); ownit notifies low
  urgency with the first rule only, so low-urgency rules are reported.
- Team members (``team_members/<team id>``) keep their role (manager, responder, observer).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ownit.domain.catalog.model import JsonObject, JsonValue
from ownit.domain.importers.answers import Answers, Obj, items
from ownit.domain.importers.names import Names, slugify
from ownit.domain.importers.output import Import, minutes

_UNSENDABLE = {
    "phone_contact_method": "phone calls",
    "sms_contact_method": "SMS",
    "push_notification_contact_method": "PagerDuty's mobile app",
}
_ROLES = ("manager", "responder", "observer")


def known_zone(name: str | None) -> bool:
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def import_users(answers: Answers, state: Import) -> None:
    users = sorted(items(answers, "users", "users"), key=lambda u: u.text("id"))
    names = state.names_of("User")
    for user in users:
        email = user.text("email")
        existing = state.known_users.get(email.lower())
        if existing is not None:
            names.keep(user.text("id"), existing)
            state.report.skipped(
                "User", existing, f"already in the catalog (matched by e-mail {email}); kept as is"
            )
            continue
        name = names.add(user.text("id"), slugify(email.split("@")[0], "user"))
        _user(user, name, state)


def _user(user: Obj, name: str, state: Import) -> None:
    report = state.report
    spec: JsonObject = {"displayName": user.opt_text("name") or name, "email": user.text("email")}
    zone = user.opt_text("time_zone")
    if known_zone(zone):
        spec["timezone"] = zone
    elif zone:
        report.changed("User", name, f"time zone {zone!r} is not an IANA zone: UTC written")
    contacts, by_id = _contacts(user, name, state)
    rules = _rules(user, name, by_id, state)
    if contacts:
        spec["contacts"] = contacts
    if rules:
        spec["notificationRules"] = rules
    role = user.opt_text("role")
    if role in ("admin", "owner"):
        report.check(
            "User", name, f"PagerDuty account role {role}: grant ownit admin rights by hand"
        )
    state.add("User", name, spec)
    report.imported("User", name, f"from PagerDuty user {user.text('id')}")


def _contacts(user: Obj, name: str, state: Import) -> tuple[list[JsonValue], dict[str, str]]:
    contacts: list[JsonValue] = []
    by_id: dict[str, str] = {}  # contact method id → ownit contact name
    local = Names()
    methods = sorted(user.objs("contact_methods"), key=lambda c: c.text("id"))
    for method in methods:
        kind = method.text("type").removesuffix("_reference")
        label = method.opt_text("label") or kind
        if kind == "email_contact_method":
            cname = local.add(method.text("id"), slugify(f"email {label}", "email"))
            address = method.text("address")
            contacts.append({"name": cname, "type": "email", "address": address})
            by_id[method.text("id")] = cname
        else:
            what = _UNSENDABLE.get(kind, kind)
            state.report.skipped(
                "User", name, f"contact method {label!r} ({what}): ownit cannot send to it"
            )
    return contacts, by_id


def _rules(user: Obj, name: str, by_id: dict[str, str], state: Import) -> list[JsonValue]:
    found: list[tuple[int, str]] = []
    low = 0
    for rule in user.objs("notification_rules"):
        if rule.opt_text("urgency") == "low":
            low += 1
            continue
        delay = rule.number("start_delay_in_minutes", 0)
        method = rule.obj("contact_method").text("id")
        contact = by_id.get(method)
        if contact is None:
            kind = _UNSENDABLE.get(rule.obj("contact_method").opt_text("type") or "", "a method")
            state.report.skipped(
                "User",
                name,
                f"notification rule after {delay} min to {kind} ({method}): "
                "not a contact ownit can send to",
            )
            continue
        found.append((delay, contact))
    if low:
        state.report.changed(
            "User",
            name,
            f"{low} low-urgency notification rule(s) not written: ownit notifies low urgency "
            "with the first rule only",
        )
    rules: list[JsonValue] = []
    for delay, contact in sorted(set(found)):
        rules.append({"contact": contact, "after": minutes(delay)})
    return rules


def import_teams(answers: Answers, state: Import) -> None:
    names = state.names_of("Team")
    users = state.names_of("User")
    for team in sorted(items(answers, "teams", "teams"), key=lambda t: t.text("id")):
        tid = team.text("id")
        name = names.add(tid, slugify(team.text("name"), "team"))
        file = f"team_members/{tid}"
        if file not in answers:
            state.report.check("Team", name, f"no {file}.json in the answers: no members written")
        members: dict[str, str] = {}
        for member in items(answers, file, "members", required=False):
            uid = member.obj("user").text("id")
            user = users.get(uid)
            if user is None:
                state.report.skipped("Team", name, f"member {uid} is not among the users")
                continue
            role = member.opt_text("role") or "responder"
            if role not in _ROLES:
                state.report.changed("Team", name, f"{user}: role {role!r} written as responder")
                role = "responder"
            members[user] = role
        spec: JsonObject = {"displayName": team.text("name")}
        rows: list[JsonValue] = []
        for user, role in sorted(members.items()):
            rows.append({"user": user} if role == "responder" else {"user": user, "role": role})
        spec["members"] = rows
        state.add("Team", name, spec)
        state.report.imported("Team", name, f"from PagerDuty team {tid}, {len(rows)} member(s)")


def team_of(obj: Obj, state: Import) -> str | None:
    """The first of an object's ``teams`` that was imported."""
    names = state.names_of("Team")
    for ref in obj.objs("teams"):
        found = names.get(ref.text("id"))
        if found is not None:
            return found
    return None
