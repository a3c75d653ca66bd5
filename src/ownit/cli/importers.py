"""``ownit import pagerduty|opsgenie|grafana-oncall``: an on-call set-up as catalog files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.importers import live
from ownit.adapters.importers.files import WriteError, write_import
from ownit.adapters.importers.saved import read_answers
from ownit.app import catalog as use
from ownit.app import importers
from ownit.cli.errors import CliError
from ownit.domain.catalog import sort_problems
from ownit.domain.importers import AnswerError, Answers
from ownit.settings import Settings

_HELP = {
    "pagerduty": "PagerDuty (REST API v2)",
    "opsgenie": "Opsgenie (REST API v2)",
    "grafana-oncall": "Grafana OnCall (public API v1)",
}


def register(sub: Any) -> None:
    cmd = sub.add_parser(
        "import",
        help="import an on-call set-up from PagerDuty, Opsgenie or Grafana OnCall into files",
    )
    isub = cmd.add_subparsers(dest="import_source", metavar="SOURCE", required=True)
    for source in importers.SOURCES:
        p = isub.add_parser(
            source,
            help=f"import from {_HELP[source]}",
            description=f"Read {_HELP[source]} and write ownit/v1 catalog files and "
            "import-report.md to OUTDIR. Never touches the database.",
        )
        given = p.add_mutually_exclusive_group(required=True)
        given.add_argument("--from", dest="from_dir", metavar="DIR", help="saved API answers")
        given.add_argument("--api-key", metavar="KEY", help="read the live API with this key")
        p.add_argument("--base-url", metavar="URL", help="the API's address (default: its own)")
        p.add_argument("-o", "--output", required=True, metavar="OUTDIR")
        p.add_argument(
            "--catalog",
            action="append",
            default=[],
            metavar="FILE",
            help="existing catalog files: their users are matched by e-mail (repeatable)",
        )
        p.add_argument(
            "--now",
            type=_instant,
            metavar="TIME",
            help="the instant to reason from (ISO 8601 with offset; default: now)",
        )
        p.set_defaults(func=partial(_import, source))


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 date-time") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset (Z or +hh:mm)")
    return value


def _fetcher(source: str, args: argparse.Namespace) -> Callable[[datetime], Answers]:
    if args.from_dir:
        return lambda _now: read_answers(args.from_dir)
    try:
        fetcher = live.fetcher(source, args.api_key, args.base_url)
    except AnswerError as exc:
        raise CliError(str(exc)) from None
    return partial(live.read, source, fetcher)


def _import(source: str, args: argparse.Namespace, settings: Settings) -> int:
    del settings  # an import reads no settings and never opens the database
    existing = load_files(args.catalog) if args.catalog else None
    if existing is not None and existing.problems:
        problems = sort_problems(existing.problems, args.catalog)
        raise CliError("--catalog: " + "; ".join(str(p) for p in problems[:5]))
    now = args.now or datetime.now(UTC)
    try:
        state = importers.run_import(
            source, _fetcher(source, args), now, existing.documents if existing else ()
        )
        written = write_import(state, args.output)
    except (AnswerError, WriteError) as exc:
        raise CliError(str(exc)) from None
    yaml_files = [w for w in written if w.endswith(".yaml")]
    loaded = load_files([*yaml_files, *args.catalog])
    problems = sort_problems([*loaded.problems, *use.lint(loaded.documents)], yaml_files)
    report = state.report
    print(
        f"wrote {len(yaml_files)} catalog file(s) with {len(loaded.documents)} document(s) "
        f"and {written[-1]}"
    )
    print(
        f"report: {len(report.of('imported'))} imported, {len(report.of('changed'))} changed, "
        f"{len(report.of('skipped'))} skipped, {len(report.of('check'))} to check by hand"
    )
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in the imported catalog", file=sys.stderr)
        return 1
    print("lint: no problems")
    return 0
