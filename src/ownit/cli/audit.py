"""``ownit audit list``: the audit log, newest first (who changed what, when, from where)."""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime
from typing import Any

from ownit.app import audit
from ownit.app.audit import AuditFilter
from ownit.bootstrap import database
from ownit.cli.errors import CliError
from ownit.cli.tables import render
from ownit.cli.times import when
from ownit.settings import Settings

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("audit", help="the audit log")
    asub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    ls = asub.add_parser("list", help="who changed what, newest first")
    ls.add_argument("--since", help="entries at or after this instant (ISO 8601, UTC if bare)")
    ls.add_argument("--actor", help="only this actor (a user, token/NAME, cli/USER)")
    ls.add_argument("--kind", help="only this kind (catalog, incident, token, login, user, …)")
    ls.add_argument("--before", type=int, help="paging: entries older than this id")
    ls.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    ls.add_argument("--json", action="store_true", help="JSON lines, with before and after")
    ls.set_defaults(func=_list)


def _since(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise CliError(f"--since {raw!r} is not an ISO 8601 date-time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _plain(value: object) -> str:
    """A stored value for a terminal: control characters (escape sequences) made visible."""
    return _CONTROL.sub("?", "" if value is None else str(value))


def _change(entry: dict[str, Any]) -> str:
    before, after = entry.get("before"), entry.get("after")
    parts = []
    if before:
        parts.append("was " + json.dumps(before, sort_keys=True, default=str))
    if after:
        parts.append("now " + json.dumps(after, sort_keys=True, default=str))
    text = "; ".join(parts)
    return text if len(text) <= 100 else text[:99] + "…"


def _list(args: argparse.Namespace, settings: Settings) -> int:
    if not 1 <= args.limit <= 1000:
        raise CliError("--limit must be between 1 and 1000")
    if args.before is not None and not 1 <= args.before < 2**63:
        raise CliError("--before must be an entry id (a positive whole number)")
    flt = AuditFilter(
        since=_since(args.since),
        actor=args.actor or None,
        kind=args.kind or None,
        before_id=args.before,
        limit=args.limit,
    )
    with database(settings) as db:
        page = audit.entries(log=db.audit, flt=flt)
    entries: list[dict[str, Any]] = page["entries"]
    if args.json:
        for entry in entries:
            print(json.dumps(entry, sort_keys=True, default=str))
        return 0
    print(
        render(
            ["ID", "WHEN", "ACTOR", "FROM", "KIND", "NAME", "ACTION", "CHANGE"],
            [
                [
                    e["id"],
                    when(e["at"]),
                    _plain(e["actor"]),
                    _plain(e["address"]),
                    e["kind"],
                    _plain(e["name"]),
                    e["action"],
                    _plain(_change(e)),
                ]
                for e in entries
            ],
        )
    )
    if page["next_before"] is not None:
        print(f"(more: ownit audit list --before {page['next_before']})")
    return 0
