"""Which incidents need a postmortem and how long there is to write it: an organisation
default, overridden per service by the catalog's ``postmortem`` field (decision 0045)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

URGENCIES = ("high", "low", "any")


@dataclass(frozen=True, slots=True)
class PostmortemPolicy:
    """``required``: whether incidents need one at all; ``urgency``: ``high`` (only high
    urgency incidents), ``low`` or ``any``; ``min_duration``: only incidents open at least
    this long; ``days``: business days from resolution to the due date."""

    required: bool = True
    urgency: str = "high"
    min_duration: timedelta = timedelta(0)
    days: int = 5


ORG_DEFAULT = PostmortemPolicy()


@dataclass(frozen=True, slots=True)
class PolicyOverride:
    """What a service's catalog entry changes; ``None``: the organisation's value."""

    required: bool | None = None
    urgency: str | None = None
    min_duration: timedelta | None = None
    days: int | None = None


def effective(default: PostmortemPolicy, override: PolicyOverride | None) -> PostmortemPolicy:
    if override is None:
        return default
    policy = default
    if override.required is not None:
        policy = replace(policy, required=override.required)
    if override.urgency is not None:
        policy = replace(policy, urgency=override.urgency)
    if override.min_duration is not None:
        policy = replace(policy, min_duration=override.min_duration)
    if override.days is not None:
        policy = replace(policy, days=override.days)
    return policy


def requires_postmortem(policy: PostmortemPolicy, urgency: str, duration: timedelta) -> bool:
    """Whether an incident of ``urgency`` that lasted ``duration`` needs a postmortem."""
    if not policy.required:
        return False
    if policy.urgency != "any" and urgency != policy.urgency:
        return False
    return duration >= policy.min_duration
