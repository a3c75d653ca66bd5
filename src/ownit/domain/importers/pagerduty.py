"""PagerDuty (REST API v2 answers) → ``ownit/v1`` documents and the import report.

The order matters only for references: users, then teams, schedules, escalation policies,
services (with dependencies and maintenance windows). Each step is in its own module.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from ownit.domain.importers.answers import Answers
from ownit.domain.importers.output import Import
from ownit.domain.importers.pagerduty_people import import_teams, import_users
from ownit.domain.importers.pagerduty_schedules import import_schedules
from ownit.domain.importers.pagerduty_services import import_policies, import_services
from ownit.domain.importers.report import Report


def convert(answers: Answers, now: datetime, known_users: Mapping[str, str]) -> Import:
    """Map every answer; ``known_users`` is the catalog's users, lower-cased e-mail → name."""
    state = Import(Report("PagerDuty"), now, dict(known_users))
    import_users(answers, state)
    import_teams(answers, state)
    import_schedules(answers, state)
    teams = import_policies(answers, state)
    import_services(answers, state, teams)
    return state
