"""The engine's own rules, asked of the catalog before it is accepted (one validator).

The reader (:mod:`.parse`) checks the shape of each field; what the escalation engine would
refuse when an incident opens is asked here of the engine itself: each escalation policy
is frozen exactly as ingest freezes it onto a new incident
(:func:`~ownit.domain.ingest.services.policy_snapshot` of the stored spec) and given to
:func:`~ownit.domain.escalation.policy.snapshot_problems`, the check the engine runs before
it escalates. Each refusal is reported at the line of the field it names.
"""

from __future__ import annotations

from collections.abc import Sequence

from ownit.domain.catalog.model import Document, EscalationPolicy, Problem
from ownit.domain.catalog.spec import to_spec
from ownit.domain.escalation.policy import snapshot_problems
from ownit.domain.ingest.services import policy_snapshot

__all__ = ["engine_problems"]


def engine_problems(documents: Sequence[Document]) -> list[Problem]:
    """What the engine would refuse in ``documents``, at the lines of the fields named."""
    problems: list[Problem] = []
    for doc in documents:
        obj = doc.obj
        if isinstance(obj, EscalationPolicy) and _complete(obj):
            snapshot = policy_snapshot(obj.name, to_spec(obj))
            assert snapshot is not None  # a name and a spec were given
            for message in snapshot_problems(snapshot):
                path, _, text = message.partition(": ")
                problems.append(
                    doc.problem(path, f"{doc.where(path)}: {text} (the engine would refuse it)")
                )
    return problems


def _complete(policy: EscalationPolicy) -> bool:
    """Every level has its ``after`` and a target: otherwise the reader has said what is
    missing, in its own words, and the engine's would only repeat it."""
    return bool(policy.levels) and all(
        level.after is not None and level.targets for level in policy.levels
    )
