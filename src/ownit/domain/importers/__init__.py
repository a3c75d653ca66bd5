"""Importers: the on-call set-up of PagerDuty, Opsgenie and Grafana OnCall as ``ownit/v1``
catalog documents, with a report of everything that did not map exactly.

Pure: API answers (already fetched or read from files) and the instant to reason from come
in; documents grouped by file and the report come out. Fetching and writing files are the
adapters' (:mod:`ownit.adapters.importers`).
"""

from __future__ import annotations

from ownit.domain.importers.answers import AnswerError, Answers
from ownit.domain.importers.output import FILES, REPORT_FILE, Import

__all__ = ["FILES", "REPORT_FILE", "AnswerError", "Answers", "Import"]
