"""Escalation: a policy frozen onto an incident, and the pure rules that walk it.

- :mod:`.policy` — the frozen snapshot (levels, targets, ``after``, ``repeat``) and its check;
- :mod:`.state` — what is kept per incident, and the decisions (:class:`Step`) returned;
- :mod:`.walk` — from a position, the first level that reaches anyone;
- :mod:`.rules` — the transitions: :func:`start`, :func:`tick`, :func:`acknowledge`,
  :func:`resolve`, :func:`escalate_to`, :func:`reassign`.

Callers use the names below; the modules are where they live.
"""

from ownit.domain.escalation.policy import (
    MIN_AFTER,
    Level,
    Policy,
    Target,
    snapshot_problems,
    validate_policy,
)
from ownit.domain.escalation.rules import (
    InvalidEscalationRequest,
    acknowledge,
    escalate_to,
    reassign,
    resolve,
    start,
    tick,
)
from ownit.domain.escalation.state import (
    AllLevelsEmpty,
    EscalationExhausted,
    EscalationState,
    Intent,
    LogEntry,
    Page,
    Step,
    page_key,
)
from ownit.domain.escalation.walk import Resolver

__all__ = [
    "MIN_AFTER",
    "AllLevelsEmpty",
    "EscalationExhausted",
    "EscalationState",
    "Intent",
    "InvalidEscalationRequest",
    "Level",
    "LogEntry",
    "Page",
    "Policy",
    "Resolver",
    "Step",
    "Target",
    "acknowledge",
    "escalate_to",
    "page_key",
    "reassign",
    "resolve",
    "snapshot_problems",
    "start",
    "tick",
    "validate_policy",
]
