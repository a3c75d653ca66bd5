"""The import report (``import-report.md``): what was imported, changed, skipped, and what
to check by hand, each with why. Entries are sorted, so the same input gives the same text."""

from __future__ import annotations

from dataclasses import dataclass, field

_SECTIONS = (
    ("imported", "Imported", "Objects written to the catalog files as the source has them."),
    (
        "changed",
        "Changed",
        "Objects written, but not exactly as the source has them: what differs and why.",
    ),
    ("skipped", "Skipped", "Source objects or settings not written, and why."),
    ("check", "Check by hand", "Things to look at before `ownit catalog apply`."),
)


@dataclass(frozen=True, slots=True, order=True)
class Entry:
    section: str
    kind: str
    name: str
    text: str


@dataclass
class Report:
    """Collects entries while a source is mapped; :meth:`markdown` renders them."""

    source: str
    entries: set[Entry] = field(default_factory=set)

    def imported(self, kind: str, name: str, text: str) -> None:
        self.entries.add(Entry("imported", kind, name, text))

    def changed(self, kind: str, name: str, text: str) -> None:
        self.entries.add(Entry("changed", kind, name, text))

    def skipped(self, kind: str, name: str, text: str) -> None:
        self.entries.add(Entry("skipped", kind, name, text))

    def check(self, kind: str, name: str, text: str) -> None:
        self.entries.add(Entry("check", kind, name, text))

    def of(self, section: str) -> list[Entry]:
        return sorted(e for e in self.entries if e.section == section)

    def markdown(self, files: list[str]) -> str:
        lines = [f"# Import from {self.source}", ""]
        lines.append("Files written: " + (", ".join(f"`{f}`" for f in files) or "none") + ".")
        lines.append("")
        for key, title, intro in _SECTIONS:
            found = self.of(key)
            lines += [f"## {title} ({len(found)})", "", intro, ""]
            lines += [f"- {e.kind} `{e.name}`: {e.text}" for e in found] or ["- none"]
            lines.append("")
        return "\n".join(lines)
