"""A Service's ``postmortem`` field: its override of the organisation's postmortem policy
(``{required: true|false, urgency: high|low|any, minDuration: 30m, days: 5}``, every key
optional; decision 0045)."""

from __future__ import annotations

from ownit.domain.catalog.fields import Fields, quote
from ownit.domain.catalog.model import JsonObject
from ownit.domain.durations import format_duration
from ownit.domain.postmortems.policy import URGENCIES, PolicyOverride

POSTMORTEM_FIELDS = ("required", "urgency", "minDuration", "days")
MAX_DAYS = 60


def _required(f: Fields) -> bool | None:
    node = f.node("required")
    if node is None:
        return None
    if not node.is_scalar or not isinstance(node.scalar, bool):
        shown = node.text if node.text is not None else quote(node.scalar)
        f.r.problem(node.line, f"{f.where('required')} must be true or false, not {shown}")
        return None
    return node.scalar


def parse_postmortem(spec: Fields) -> PolicyOverride | None:
    f = spec.sub("postmortem", POSTMORTEM_FIELDS)
    if f is None or not f.ok:
        return None
    return PolicyOverride(
        required=_required(f),
        urgency=f.choice("urgency", URGENCIES),
        min_duration=f.duration("minDuration", positive=False),
        days=f.number("days", low=1, high=MAX_DAYS),
    )


def postmortem_spec(override: PolicyOverride) -> JsonObject:
    out: JsonObject = {}
    if override.required is not None:
        out["required"] = override.required
    if override.urgency is not None:
        out["urgency"] = override.urgency
    if override.min_duration is not None:
        out["minDuration"] = format_duration(override.min_duration)
    if override.days is not None:
        out["days"] = override.days
    return out
