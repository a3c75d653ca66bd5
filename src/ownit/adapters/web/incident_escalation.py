"""Reassign and escalate from the incident page: the choices the forms offer, and the actions
(the use cases behind ``POST /api/v1/incidents/{ref}/escalate`` and ``/reassign``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ownit.adapters.web.deps import Form, WebDeps
from ownit.app import escalations as esc_uc
from ownit.domain.errors import DomainError, NotFound
from ownit.domain.escalation.policy import Policy
from ownit.domain.escalation.state import EscalationState


class EscalationFormError(Exception):
    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail


def _policy(deps: WebDeps, incident_id: str) -> tuple[Policy | None, EscalationState | None]:
    found = deps.escalation_view.escalation_of(incident_id) if deps.escalation_view else None
    if found is None or not found[0]:
        return None, None
    try:
        policy = Policy.from_json(found[0])
        state = EscalationState.from_json(found[1]) if found[1] else None
    except ValueError:
        return None, None
    return policy, state


def _level_users(deps: WebDeps, policy: Policy, level: int, now: datetime) -> list[str]:
    users: list[str] = []
    for target in policy.levels[level - 1].targets:
        if target.kind == "schedule":
            users += deps.on_call(target.name, now) if deps.on_call else ()
        else:
            users.append(target.name)
    return list(dict.fromkeys(users))


def escalation_context(deps: WebDeps, incident: dict[str, Any]) -> dict[str, Any]:
    """What the reassign and escalate forms offer for ``incident``."""
    policy, state = _policy(deps, incident["id"])
    now = deps.clock.now()
    levels = []
    if policy is not None:
        for n, level in enumerate(policy.levels, start=1):
            targets = ", ".join(
                f"{t.name} (schedule)" if t.kind == "schedule" else t.name for t in level.targets
            )
            levels.append(
                {"number": n, "targets": targets, "users": _level_users(deps, policy, n, now)}
            )
    current = state.level if state is not None else 0
    return {
        "esc_levels": levels,
        "esc_current": current,
        "esc_next": current + 1 if 0 < current < len(levels) else (1 if levels else 0),
        "esc_users": [u["name"] for u in deps.directory.users()],
    }


def escalate(deps: WebDeps, incident: dict[str, Any], form: Form) -> str:
    """Notify the chosen level now; the message for the page."""
    if deps.escalations is None or deps.on_call is None:  # pragma: no cover - bootstrap wires it
        raise EscalationFormError("level", "escalation is not available here")
    text = form.get("level").strip()
    if not text.isdigit():
        raise EscalationFormError("level", "choose a level")
    try:
        esc_uc.escalate_now(
            store=deps.escalations,
            incident_id=incident["id"],
            level=int(text),
            now=deps.clock.now(),
            on_call=deps.on_call,
        )
    except DomainError as exc:
        raise EscalationFormError("level", str(exc)) from None
    return f"Escalated to level {text}."


def reassign(deps: WebDeps, incident: dict[str, Any], form: Form) -> str:
    """Page the chosen person, or everyone a level would page now; the message for the page."""
    if deps.escalations is None or deps.on_call is None:  # pragma: no cover - bootstrap wires it
        raise EscalationFormError("to", "reassigning is not available here")
    choice = form.get("to").strip()
    kind, _, name = choice.partition(":")
    users: list[str] = []
    if kind == "user" and name:
        users = [name]
    elif kind == "level" and name.isdigit():
        policy, _ = _policy(deps, incident["id"])
        if policy is None or not 1 <= int(name) <= len(policy.levels):
            raise EscalationFormError("to", f"there is no level {name}")
        users = _level_users(deps, policy, int(name), deps.clock.now())
        if not users:
            raise EscalationFormError("to", f"nobody is on call at level {name} now")
    else:
        raise EscalationFormError("to", "choose a person or a level")
    try:
        esc_uc.reassign(
            store=deps.escalations,
            incident_id=incident["id"],
            users=users,
            now=deps.clock.now(),
            on_call=deps.on_call,
            known_user=deps.escalations.known_user,
        )
    except NotFound as exc:
        raise EscalationFormError("to", f"no user is named {exc.ident!r}") from None
    except DomainError as exc:
        raise EscalationFormError("to", str(exc)) from None
    return f"Reassigned to {', '.join(users)}."
