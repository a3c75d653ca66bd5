"""Use case: import an on-call set-up from PagerDuty, Opsgenie or Grafana OnCall.

The answers come from a port (:class:`AnswerSource`: a saved directory or the live API);
the mapping is the domain's; users the catalog already has are matched by e-mail. Nothing
here touches the database: the result is files for ``ownit catalog diff`` / ``apply``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from ownit.domain import catalog as c
from ownit.domain.importers import Answers, Import, grafana_oncall, opsgenie, pagerduty

SOURCES: dict[str, Callable[[Answers, datetime, Mapping[str, str]], Import]] = {
    "pagerduty": pagerduty.convert,
    "opsgenie": opsgenie.convert,
    "grafana-oncall": grafana_oncall.convert,
}


AnswerSource = Callable[[datetime], Answers]
"""Where the API answers come from: ``fetch(now)`` returns them in the saved layout (a
saved directory, or the live API read at ``now``)."""


def known_users(documents: Sequence[c.RawDocument]) -> dict[str, str]:
    """The users of existing catalog files: lower-cased e-mail → catalog name."""
    found: dict[str, str] = {}
    for doc in c.validate(documents).documents:
        if isinstance(doc.obj, c.User) and doc.obj.email:
            found.setdefault(doc.obj.email.lower(), doc.obj.name)
    return found


def run_import(
    source: str, fetch: AnswerSource, now: datetime, existing: Sequence[c.RawDocument] = ()
) -> Import:
    """Fetch the answers and map them; raises :class:`~ownit.domain.importers.AnswerError`."""
    return SOURCES[source](fetch(now), now, known_users(existing))
