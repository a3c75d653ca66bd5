"""``ownit doctor``: what would stop a page now or within 7 days; exit 1 when anything is
wrong (for cron and CI; ``docs/paging-health.md``)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ownit.bootstrap import database, paging_report
from ownit.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "doctor",
        help="what would stop a page now or within 7 days (exit 1 when anything is wrong)",
        description="Checks services without a (valid) escalation policy, gaps in level 1 "
        "within 7 days, people who would be paged without a contact, channels used but not "
        "configured (e-mail without SMTP) and contacts whose last delivery failed. "
        "Exit 0: nothing would stop a page; 1: something would.",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(func=_doctor)


def _doctor(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        report = paging_report(settings, db.engine)()
    if args.format == "json":
        print(json.dumps(report.to_json(), indent=2))
        return 0 if report.ok else 1
    if report.ok:
        print("ok: nothing would stop a page now or within 7 days")
        return 0
    for f in report.findings:
        print(f"{f.check}: {f.subject}: {f.message}")
        print(f"  to fix: {f.fix}")
    print(f"{len(report.findings)} problem(s) would stop a page")
    return 1
