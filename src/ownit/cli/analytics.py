"""``ownit analytics incidents|responders|noise``: the figures of ``docs/analytics.md`` as a
table, JSON or CSV (the same answers as ``/api/v1/analytics``)."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

from ownit.app import analytics as uc
from ownit.app import baselines as bl
from ownit.app import digests as dg
from ownit.app.clock import SystemClock
from ownit.bootstrap import database
from ownit.cli.errors import CliError
from ownit.cli.tables import render
from ownit.cli.times import when
from ownit.settings import Settings

FORMATS = ("text", "json", "csv")
_OPTION = {"since": "--since", "until": "--until", "by": "--by", "drills": "--drills"}


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "analytics", help="MTTA/MTTR, responders' load and noise (docs/analytics.md)"
    )
    asub = parser.add_subparsers(dest="analytics_command", metavar="REPORT", required=True)
    reports = {
        "incidents": ("counts, MTTA and MTTR (mean, p50, p90)", _incidents),
        "responders": ("per person: pages, interruptions, time on call, TTA", _responders),
        "noise": ("the noisiest services and alert keys", _noise),
    }
    digest = asub.add_parser("report", help="the weekly digest: last 7 days against the baseline")
    digest.add_argument(
        "--mail",
        action="store_true",
        help="also queue it for every team manager's e-mail (once per ISO week; the worker sends)",
    )
    digest.set_defaults(func=_report)
    sent = asub.add_parser("digests", help="the digests queued for mail and how each went")
    sent.add_argument("--limit", type=int, default=20)
    sent.set_defaults(func=_digests)
    for name, (help_text, func) in reports.items():
        p = asub.add_parser(name, help=help_text)
        p.add_argument("--since", help="RFC 3339 instant or duration back (30d, 12h); default 30d")
        p.add_argument("--until", help="RFC 3339 instant or duration back; default now")
        p.add_argument("--team", help="a team: its services (or, for responders, its members)")
        p.add_argument("--drills", help="exclude (default), include or only")
        p.add_argument("--format", choices=FORMATS, default="text")
        if name != "responders":
            p.add_argument("--service", help="one service")
        if name == "incidents":
            p.add_argument("--urgency", help="high or low")
            p.add_argument("--by", help="group by service, team, component, urgency or week")
        p.set_defaults(func=func)


def _query(args: argparse.Namespace) -> uc.Query:
    return uc.Query(
        since=args.since,
        until=args.until,
        service=getattr(args, "service", None),
        team=args.team,
        urgency=getattr(args, "urgency", None),
        drills=args.drills,
        by=getattr(args, "by", None),
    )


def _fail(exc: uc.InvalidAnalyticsRequest) -> CliError:
    return CliError(f"{_OPTION.get(exc.field, '--' + exc.field)}: {exc.detail}")


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    value = round(value)
    if value < 120:
        return f"{value}s"
    if value < 7200:
        return f"{value / 60:.1f}m"
    return f"{value / 3600:.1f}h"


def _emit(answer: dict[str, Any], fmt: str, to_csv: Any, text: str) -> int:
    if fmt == "json":
        print(json.dumps(answer, indent=2))
    elif fmt == "csv":
        print(to_csv(answer), end="")
    else:
        since, until = (datetime.fromisoformat(answer[k]) for k in ("since", "until"))
        print(f"{when(since)} to {when(until)}")
        print(text)
    return 0


def _incident_row(key: str | None, f: dict[str, Any]) -> list[object]:
    tta, ttr = f["tta_seconds"], f["ttr_seconds"]
    return [
        "(none)" if key is None else key,
        f["count"],
        f["acknowledged"],
        f["resolved"],
        f["escalated"],
        f["auto_resolved"],
        f["noise"],
        _seconds(tta["mean"]),
        _seconds(tta["p50"]),
        _seconds(tta["p90"]),
        _seconds(ttr["mean"]),
        _seconds(ttr["p50"]),
        _seconds(ttr["p90"]),
    ]


def _incidents(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        try:
            report = uc.incidents(store=db.analytics, clock=SystemClock(), query=_query(args))
        except uc.InvalidAnalyticsRequest as exc:
            raise _fail(exc) from None
    answer = uc.incidents_answer(report)
    rows = [_incident_row(g["key"], g) for g in answer.get("groups", [])]
    rows.append(_incident_row("all", answer))
    headers = ["KEY", "COUNT", "ACKED", "RESOLVED", "ESCALATED", "AUTO", "NOISE"]
    headers += ["MTTA", "TTA P50", "TTA P90", "MTTR", "TTR P50", "TTR P90"]
    return _emit(answer, args.format, uc.incidents_csv, render(headers, rows))


def _responders(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        try:
            period, figures = uc.responders(
                store=db.analytics, schedules=db.schedules, clock=SystemClock(), query=_query(args)
            )
        except uc.InvalidAnalyticsRequest as exc:
            raise _fail(exc) from None
    answer = uc.responders_answer(period, figures)
    rows = [
        [
            r["user"],
            r["pages"],
            r["interruptions"]["business"],
            r["interruptions"]["off_hours"],
            r["interruptions"]["sleep"],
            _seconds(r["seconds_on_call"]),
            _seconds(r["seconds_on_call_level1"]),
            r["acknowledged"],
            _seconds(r["tta_seconds"]["p50"]),
        ]
        for r in answer["responders"]
    ]
    headers = ["USER", "PAGES", "BUSINESS", "OFF HOURS", "SLEEP", "ON CALL", "LEVEL 1"]
    headers += ["ACKED", "TTA P50"]
    return _emit(answer, args.format, uc.responders_csv, render(headers, rows))


def _noise(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        try:
            report = uc.noise(store=db.analytics, clock=SystemClock(), query=_query(args))
        except uc.InvalidAnalyticsRequest as exc:
            raise _fail(exc) from None
    answer = uc.noise_answer(report)
    rows = [
        ["service", r["key"], r["count"], r["noise"], f"{r['noise_ratio']:.0%}"]
        for r in answer["services"]
    ]
    rows += [
        [f"alert key ({r['service']})", r["key"], r["count"], r["noise"], f"{r['noise_ratio']:.0%}"]
        for r in answer["alert_keys"]
    ]
    text = render(["KIND", "KEY", "COUNT", "NOISE", "RATIO"], rows)
    return _emit(answer, args.format, uc.noise_csv, text)


def _report(args: argparse.Namespace, settings: Settings) -> int:
    clock = SystemClock()
    with database(settings) as db:
        text = bl.weekly_report(analytics=db.analytics, baselines=db.baselines, clock=clock)
        print(text, end="")
        if not args.mail:
            return 0
        try:
            queued = dg.mail_weekly_report(
                analytics=db.analytics, baselines=db.baselines, outbox=db.digests, clock=clock
            )
        except dg.NoRecipients as exc:
            raise CliError(f"--mail: {exc}") from None
    print()
    for q in queued:
        state = "queued" if q.new else "already queued this week"
        print(f"{state}: {q.recipient.user} ({q.recipient.contact})")
    return 0


def _digests(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        found = db.digests.deliveries(max(args.limit, 1))
    rows = [
        [
            d.week,
            d.user,
            d.contact,
            d.status,
            d.attempts,
            "-" if d.sent_at is None else when(d.sent_at),
            d.last_error or "",
        ]
        for d in found
    ]
    print(render(["WEEK", "USER", "CONTACT", "STATUS", "ATTEMPTS", "SENT", "LAST ERROR"], rows))
    return 0
