"""``ownit standards report``: every service's level and what it misses, for people (text),
programs (json) and CI (github: workflow annotations on the catalog file and line of each
service below the bar). Exits 1 when a service is below ``--fail-under``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from ownit.adapters.catalog.yaml_source import load_files
from ownit.app import standards as uc
from ownit.app.clock import SystemClock
from ownit.bootstrap import database
from ownit.cli.errors import CliError
from ownit.cli.tables import render
from ownit.domain.catalog.model import Node, RawDocument
from ownit.domain.standards import LEVEL_NAMES, Report, Rules, parse_rules
from ownit.settings import Settings

FORMATS = ("text", "json", "github")
_OPTION = {"fail-under": "--fail-under", "service": "--service", "team": "--team"}


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "standards", help="ownership standards: each service's level (docs/standards.md)"
    )
    ssub = parser.add_subparsers(dest="standards_command", metavar="COMMAND", required=True)
    p = ssub.add_parser("report", help="every service's level and the standards it misses")
    p.add_argument("--team", help="a team: its services and those of the teams under it")
    p.add_argument("--service", help="one service")
    p.add_argument(
        "--fail-under",
        metavar="LEVEL",
        help=f"exit 1 when a service is below this level ({', '.join(LEVEL_NAMES)}, "
        "or a level of the catalog's Scorecard or of --rules)",
    )
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument(
        "--rules",
        nargs="+",
        default=[],
        metavar="FILE",
        help="files with kind: Scorecard and kind: Standard documents to judge by instead of "
        "the catalog's (a dry run before catalog apply)",
    )
    p.add_argument(
        "--catalog",
        nargs="+",
        default=[],
        metavar="FILE",
        help="the catalog files, for --format github to point at each service's line",
    )
    p.set_defaults(func=_report)


def _rules(paths: Sequence[str]) -> Rules | None:
    """The rules of ``--rules`` files (they replace the catalog's), or ``None``: the
    catalog's own."""
    if not paths:
        return None
    loaded = load_files(paths)
    rules = parse_rules(loaded.documents)
    problems = [*loaded.problems, *rules.problems]
    if problems:
        raise CliError("\n".join(str(p) for p in problems))
    return rules


def _name(root: Node) -> tuple[str | None, str | None, int]:
    """A document's kind, ``metadata.name`` and the line of the name."""
    kind = name = None
    line = root.line
    for entry in root.entries or ():
        if entry.key == "kind" and isinstance(entry.value.scalar, str):
            kind = entry.value.scalar
        if entry.key == "metadata":
            for meta in entry.value.entries or ():
                if meta.key == "name" and isinstance(meta.value.scalar, str):
                    name, line = meta.value.scalar, meta.line
    return kind, name, line


def service_lines(documents: Sequence[RawDocument]) -> dict[str, tuple[str, int]]:
    """Each service's file and the line of its ``metadata.name``."""
    found: dict[str, tuple[str, int]] = {}
    for doc in documents:
        kind, name, line = _name(doc.root)
        if kind == "Service" and name is not None:
            found.setdefault(name, (doc.file, line))
    return found


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github(found: Report, bar: str | None, where: dict[str, tuple[str, int]]) -> list[str]:
    """One ``::error`` (below the bar) or ``::warning`` (above it, missing the next level)
    annotation per service that misses something."""
    below = set(uc.below(found, bar)) if bar else set()
    lines: list[str] = []
    for s in found.services:
        if not s.missing:
            continue
        why = {c.id: c.why for c in s.checks}
        failing = "; ".join(f"{sid}: {why.get(sid, 'not judged')}" for sid in s.missing)
        level = "error" if s.service in below else "warning"
        if s.service in where:
            file, line = where[s.service]
            place = f" file={file},line={line},"
        else:
            place = " "
        title = f"title=service {s.service} is {s.level}"
        lines.append(f"::{level}{place}{title}::{_escape(failing)}")
    return lines


def text(found: Report) -> str:
    rows = [
        [s.service, s.team or "-", s.level, ", ".join(s.missing) or "-"] for s in found.services
    ]
    out = render(["SERVICE", "TEAM", "LEVEL", "MISSING FOR THE NEXT LEVEL"], rows)
    names = ["none", *(lv.name for lv in found.levels)]
    team_rows = [[t.team, t.services, *(t.by_level.get(n, 0) for n in names)] for t in found.teams]
    return out + "\n" + render(["TEAM", "SERVICES", *(n.upper() for n in names)], team_rows)


def _report(args: argparse.Namespace, settings: Settings) -> int:
    rules = _rules(args.rules)
    with database(settings) as db:
        try:
            found = uc.report(
                sources=db.standards,
                clock=SystemClock(),
                service=args.service,
                team=args.team,
                rules=rules,
            )
            if args.fail_under:
                uc.check_bar(found, args.fail_under)
        except uc.InvalidStandardsRequest as exc:
            raise CliError(f"{_OPTION.get(exc.field, '--' + exc.field)}: {exc.detail}") from None
    if args.format == "json":
        print(json.dumps(uc.answer(found), indent=2, ensure_ascii=False))
    elif args.format == "github":
        where = service_lines(load_files(args.catalog).documents) if args.catalog else {}
        print("\n".join(github(found, args.fail_under, where)))
    else:
        print(text(found), end="")
    below = uc.below(found, args.fail_under) if args.fail_under else []
    if below and args.format == "text":
        print(f"\n{len(below)} service(s) below {args.fail_under}: {', '.join(below)}")
    return 1 if below else 0
