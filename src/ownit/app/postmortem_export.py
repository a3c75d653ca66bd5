"""A postmortem as Markdown: every section, the timeline as a table (hidden entries left
out, notes shown), the key times and the action items."""

from __future__ import annotations

from datetime import datetime

from ownit.app.postmortems import PostmortemStore, Record, timeline
from ownit.domain.postmortems import model as m
from ownit.domain.postmortems.timeline import key_times


def _cell(text: str) -> str:
    """One table cell: no line breaks, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def _duration(seconds: object) -> str:
    if not isinstance(seconds, int):
        return "–"
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def markdown(store: PostmortemStore, record: Record, now: datetime) -> str:
    pm, facts = record.postmortem, record.incident
    lines = [
        f"# {pm.title}",
        "",
        f"- Incident: #{facts.number} {facts.title} ({facts.service}, {facts.urgency} urgency)",
        f"- Status: {pm.status.value}",
        f"- Owner: {pm.owner or '(none)'}",
        f"- Due: {pm.due.isoformat()}",
        "",
    ]
    for name in m.SECTIONS:
        text = pm.sections.get(name, "").strip()
        lines += [f"## {m.SECTION_TITLES[name]}", "", text or "_(not written yet)_", ""]
    times = key_times(facts.created_at, facts.acknowledged_at, facts.resolved_at).as_dict()
    lines += [
        "## Key times",
        "",
        f"- Detected: {times['detected']}",
        f"- Acknowledged: {times['acknowledged'] or '–'}",
        f"- Resolved: {times['resolved'] or '–'}",
        f"- Time to acknowledge: {_duration(times['time_to_acknowledge_s'])}",
        f"- Time to resolve: {_duration(times['time_to_resolve_s'])}",
        "",
        "## Timeline",
        "",
        "| Time (UTC) | What | Detail | Note |",
        "|---|---|---|---|",
    ]
    for entry in timeline(store, record, now):
        if entry.hidden:
            continue
        what = f"change on {entry.service}" if entry.service else entry.kind
        when = entry.at.strftime("%Y-%m-%d %H:%M:%S")
        lines.append(
            f"| {when} | {_cell(what)} | {_cell(entry.text)} | {_cell(entry.note or '')} |"
        )
    lines += ["", "## Action items", ""]
    if not pm.actions:
        lines.append("_(none)_")
    today = now.date()
    for item in pm.actions:
        box = "x" if item.status is m.ActionStatus.DONE else " "
        late = " **overdue**" if item.overdue(today) else ""
        link = f" ({item.link})" if item.link else ""
        lines.append(
            f"- [{box}] {item.number}. {item.title}{link} — {item.owner}, due "
            f"{item.due.isoformat()}{late}"
        )
    return "\n".join(lines) + "\n"
