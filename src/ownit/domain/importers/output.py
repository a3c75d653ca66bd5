"""What an import produces: ``ownit/v1`` documents grouped into one file per kind, and the
report. One file per kind (decision 0051): ``users.yaml``, ``teams.yaml``, … each sorted by
name, so the same input gives byte-identical files."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ownit.domain.catalog.model import API_VERSION, JsonObject
from ownit.domain.durations import format_duration
from ownit.domain.importers.names import Names
from ownit.domain.importers.report import Report

FILES = {
    "User": "users.yaml",
    "Team": "teams.yaml",
    "Schedule": "schedules.yaml",
    "EscalationPolicy": "escalation-policies.yaml",
    "Service": "services.yaml",
    "MaintenanceWindow": "maintenance-windows.yaml",
    "Heartbeat": "heartbeats.yaml",
}
REPORT_FILE = "import-report.md"


@dataclass
class Import:
    """The state of one import: documents so far, the report, names given per kind, the
    users the catalog already has (e-mail → name) and the instant the import reasons from."""

    report: Report
    now: datetime
    known_users: dict[str, str] = field(default_factory=dict)
    documents: dict[str, dict[str, JsonObject]] = field(default_factory=dict)
    names: dict[str, Names] = field(default_factory=dict)

    def names_of(self, kind: str) -> Names:
        if kind not in self.names:
            taken = self.known_users.values() if kind == "User" else ()
            self.names[kind] = Names(taken)
        return self.names[kind]

    def add(self, kind: str, name: str, spec: JsonObject, description: str = "") -> None:
        metadata: JsonObject = {"name": name}
        if description:
            metadata["description"] = description
        self.documents.setdefault(kind, {})[name] = {
            "apiVersion": API_VERSION,
            "kind": kind,
            "metadata": metadata,
            "spec": spec,
        }

    def has(self, kind: str, name: str) -> bool:
        return name in self.documents.get(kind, {})

    def files(self) -> dict[str, list[JsonObject]]:
        """File name → its documents sorted by name, in the kinds' order."""
        out: dict[str, list[JsonObject]] = {}
        for kind, file in FILES.items():
            docs = self.documents.get(kind)
            if docs:
                out[file] = [docs[name] for name in sorted(docs)]
        return out

    def report_text(self) -> str:
        return self.report.markdown([*self.files(), REPORT_FILE])


def duration(value: timedelta) -> str:
    return format_duration(value)


def minutes(value: int) -> str:
    return format_duration(timedelta(minutes=value))


def seconds(value: int) -> str:
    return format_duration(timedelta(seconds=value))
