"""Opsgenie (REST API v2 answers) → ``ownit/v1`` documents and the import report."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from ownit.domain.importers.answers import Answers
from ownit.domain.importers.opsgenie_alerts import import_escalations, import_services
from ownit.domain.importers.opsgenie_maintenance import import_maintenance
from ownit.domain.importers.opsgenie_people import import_teams, import_users
from ownit.domain.importers.opsgenie_schedules import import_schedules
from ownit.domain.importers.output import Import
from ownit.domain.importers.report import Report


def convert(answers: Answers, now: datetime, known_users: Mapping[str, str]) -> Import:
    state = Import(Report("Opsgenie"), now, dict(known_users))
    import_users(answers, state)
    import_teams(answers, state)
    rotations = import_schedules(answers, state)
    policies = import_escalations(answers, state, rotations)
    owners = import_services(answers, state, policies)
    import_maintenance(answers, state, owners)
    return state
