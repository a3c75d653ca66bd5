"""``ownit catalog lint|diff|apply|export|import-backstage``: the catalog as code."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from ownit.adapters.catalog.backstage_source import import_files
from ownit.adapters.catalog.yaml_source import Loaded, dump_documents, load_files, load_text
from ownit.app import catalog as use
from ownit.app.clock import SystemClock
from ownit.bootstrap import database, existing_database, outbound_warning
from ownit.cli.catalog_output import FORMATS, render_problems
from ownit.cli.errors import CliError
from ownit.domain.catalog import (
    KIND_WORDS,
    Change,
    Diff,
    FieldChange,
    JsonValue,
    Problem,
    Snapshot,
    sort_problems,
)
from ownit.settings import Settings

# The domain's words for each kind, but for the policy: apply has always printed
# "escalation-policy NAME" (scripts read it).
_APPLY_WORDS = KIND_WORDS | {"EscalationPolicy": "escalation-policy"}
BACKSTAGE_SOURCE = "backstage"
IMPORTED = "<backstage import>"  # names the converted documents in problems without -o
_SECRET_FIELDS = ("key", "secret")
_NO_KEYS = (
    "note: integration, router and heartbeat keys are not exported (ownit keeps only their "
    "digests); applied again, the file keeps the keys the database has"
)
_WIDTH = 70


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "catalog", help="catalog as code: lint, diff, apply, export"
    )
    csub = parser.add_subparsers(dest="catalog_command", metavar="ACTION", required=True)
    lint = csub.add_parser("lint", help="check catalog files; print every problem")
    lint.add_argument("files", nargs="+", metavar="FILE")
    lint.add_argument(
        "--format",
        choices=FORMATS,
        default="human",
        help="human (file:line: message), github (workflow commands: annotations on the "
        "pull request) or json; the exit status is 1 on any problem in every format",
    )
    lint.set_defaults(func=_lint)
    for name, func, text in (
        ("diff", _diff, "show what apply would change"),
        ("apply", _apply, "make the database match the files (all or nothing)"),
    ):
        p = csub.add_parser(name, help=text)
        p.add_argument("files", nargs="+", metavar="FILE")
        p.add_argument(
            "--source",
            default=use.DEFAULT_SOURCE,
            metavar="NAME",
            help=f"who owns what this applies (default: {use.DEFAULT_SOURCE})",
        )
        p.add_argument(
            "--prune",
            action="store_true",
            help="also delete objects of this --source that the files no longer name",
        )
        p.set_defaults(func=func)
    export = csub.add_parser("export", help="write the whole catalog as ownit/v1 YAML")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")
    export.set_defaults(func=_export)
    backstage = csub.add_parser(
        "import-backstage",
        help="convert Backstage catalog-info.yaml files to ownit/v1 (and apply them)",
    )
    backstage.add_argument("files", nargs="+", metavar="FILE")
    backstage.add_argument(
        "-o", "--output", metavar="FILE", help="write the ownit/v1 YAML to FILE (default: stdout)"
    )
    backstage.add_argument(
        "--apply", action="store_true", help="apply the converted catalog (all or nothing)"
    )
    backstage.add_argument(
        "--source",
        default=BACKSTAGE_SOURCE,
        metavar="NAME",
        help=f"the source --apply marks the objects with (default: {BACKSTAGE_SOURCE})",
    )
    backstage.set_defaults(func=_import_backstage)


# --- commands ----------------------------------------------------------------------------


def _lint(args: argparse.Namespace, settings: Settings) -> int:
    loaded = load_files(args.files)
    existing = _read_existing(settings)
    problems = sort_problems([*loaded.problems, *use.lint(loaded.documents, existing)], args.files)
    _warn_contacts(loaded, settings)
    summary = f"{_plural(loaded.files, 'file')}, {_plural(len(loaded.documents), 'document')}"
    for line in render_problems(problems, args.format, summary):
        print(line)
    return 1 if problems else 0


def _diff(args: argparse.Namespace, settings: Settings) -> int:
    source = _source(args.source)
    loaded = load_files(args.files)
    existing = _read_existing(settings)
    diff = _plan_or_report(loaded, existing, args.files, source=source, prune=args.prune)
    if diff is None:
        return 1
    for line in render_diff(diff):
        print(line)
    counts = diff.counts()
    print(
        f"{counts['create']} to create, {counts['update']} to change, "
        f"{counts['delete']} to delete, {counts['unchanged']} unchanged"
    )
    return 0


def _apply(args: argparse.Namespace, settings: Settings) -> int:
    source = _source(args.source)
    loaded = load_files(args.files)
    if loaded.problems:  # report them with every other problem, then stop
        problems = [*loaded.problems, *use.lint(loaded.documents, _read_existing(settings))]
        return _report(sort_problems(problems, args.files), "nothing applied")
    try:
        with database(settings) as db:
            result = use.apply(
                store=db.catalog,
                documents=loaded.documents,
                clock=SystemClock(),
                source=source,
                prune=args.prune,
            )
    except use.InvalidCatalog as exc:
        return _report(sort_problems(exc.problems, args.files), "nothing applied")
    except use.CatalogConflict as exc:
        raise CliError(str(exc), exit_code=1) from None
    _warn_contacts(loaded, settings)
    _print_applied(result, source)
    return 0


def _warn_contacts(loaded: Loaded, settings: Settings) -> None:
    """A warning (not a problem) for each contact URL that outgoing calls would refuse."""
    warning = outbound_warning(settings)
    for where, what, url in use.contact_urls(loaded.documents):
        why = warning(url)
        if why is not None:
            print(f"{where}: warning: {what}: {why}", file=sys.stderr)


def _print_applied(result: use.ApplyResult, source: str) -> None:
    for line in render_diff(result.diff):
        print(line)
    counts = result.diff.counts()
    if result.diff.is_empty:
        print(f"nothing to change: {counts['unchanged']} unchanged")
    else:
        print(
            f"applied: {counts['create']} created, {counts['update']} changed, "
            f"{counts['delete']} deleted, {counts['unchanged']} unchanged "
            f"(source {json.dumps(source)})"
        )
    if result.new_integrations:
        print("new integrations and their keys:")
        for i in result.new_integrations:
            print(f"  {i.service}/{i.name} ({i.type}): {i.key}")
    if result.new_routers:
        print("new routers and their keys:")
        for r in result.new_routers:
            print(f"  {r.name}: {r.key}")
    if result.new_heartbeats:
        print("new heartbeats and their keys:")
        for b in result.new_heartbeats:
            print(f"  {b.name}: {b.key}")
    if result.new_integrations or result.new_routers or result.new_heartbeats:
        print("(keys are shown this once: ownit keeps only their digests)")


def _export(args: argparse.Namespace, settings: Settings) -> int:
    with existing_database(settings) as db:
        if db is None:
            raise CliError(
                f"no catalog database at {settings.database_url} (run `ownit db upgrade`)"
            )
        documents = use.export(store=db.catalog)
    text = dump_documents(documents)
    print(_NO_KEYS, file=sys.stderr)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write {args.output}: {exc.strerror or exc}") from None
        print(f"exported {_plural(len(documents), 'document')} to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def _import_backstage(args: argparse.Namespace, settings: Settings) -> int:
    source = _source(args.source)
    imported = import_files(args.files)
    if imported.errors:  # unreadable input: nothing converted, nothing written
        return _report(imported.errors, "nothing converted")
    for note in imported.notes:
        print(f"note: {note}", file=sys.stderr)
    text = imported.yaml()
    name = args.output or IMPORTED
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    elif not args.apply:
        sys.stdout.write(text)
    documents = load_text(text, name).documents
    where = f" to {args.output}" if args.output else ""
    converted = (
        f"converted {_plural(imported.files, 'file')} into "
        f"{_plural(len(documents), 'document')}{where}, {_plural(len(imported.notes), 'note')}"
    )
    if not args.apply:
        problems = use.lint(documents, _read_existing(settings))
        for problem in problems:
            print(problem, file=sys.stderr)
        print(converted, file=sys.stderr if not args.output else sys.stdout)
        if problems:
            print(f"{_plural(len(problems), 'problem')} in the converted catalog", file=sys.stderr)
            return 1
        return 0
    print(converted, file=sys.stderr if not args.output else sys.stdout)
    try:
        with database(settings) as db:
            result = use.apply(
                store=db.catalog, documents=documents, clock=SystemClock(), source=source
            )
    except use.InvalidCatalog as exc:
        return _report(exc.problems, "nothing applied")
    except use.CatalogConflict as exc:
        raise CliError(str(exc), exit_code=1) from None
    _print_applied(result, source)
    return 0


# --- helpers -----------------------------------------------------------------------------


def _source(value: str) -> str:
    if not value.strip() or len(value) > 200:
        raise CliError("--source must be a name of 1 to 200 characters")
    return value


def _plan_or_report(
    loaded: Loaded, existing: Snapshot | None, files: Sequence[str], *, source: str, prune: bool
) -> Diff | None:
    problems = list(loaded.problems)
    try:
        diff = use.plan(loaded.documents, existing, source=source, prune=prune)
    except use.InvalidCatalog as exc:
        problems += exc.problems
        diff = None
    if problems:
        _report(sort_problems(problems, files), "no plan")
        return None
    return diff


def _report(problems: Sequence[Problem], outcome: str) -> int:
    _print_problems(problems)
    print(f"{_plural(len(problems), 'problem')}: {outcome}")
    return 1


def _print_problems(problems: Sequence[Problem]) -> None:
    for problem in problems:
        print(problem)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _read_existing(settings: Settings) -> Snapshot | None:
    """What is stored already, so that references to applied objects resolve; else ``None``."""
    with existing_database(settings) as db:
        if db is None:
            print(
                f"note: no ownit database at {settings.database_url}; checking the files alone",
                file=sys.stderr,
            )
            return None
        try:
            return db.catalog.snapshot()
        except SQLAlchemyError as exc:
            print(
                f"note: cannot read the database ({exc.__class__.__name__}); "
                "checking the files alone",
                file=sys.stderr,
            )
            return None


# --- rendering ---------------------------------------------------------------------------


def render_diff(diff: Diff) -> list[str]:
    """``+ service x``, ``~ team y: displayName "A" → "B"``, ``- user z``; unchanged omitted."""
    lines: list[str] = []
    for change in diff.changes:
        lines += _render_change(change)
    return lines


def _render_change(change: Change) -> list[str]:
    what = f"{_APPLY_WORDS.get(change.kind, change.kind)} {change.name}"
    if change.action == "create":
        return [f"+ {what}"]
    if change.action == "delete":
        return [f"- {what}"]
    if change.action == "unchanged":
        return []
    fields = [line for f in change.fields for line in _render_field(f)]
    if len(fields) == 1:
        return [f"~ {what}: {fields[0]}"]
    return [f"~ {what}:", *(f"    {f}" for f in fields)]


def _render_field(change: FieldChange) -> list[str]:
    path, old, new = change.path, change.old, change.new
    if change.secret:
        return [f"{path}: changed (not shown)"]
    if path.startswith("integrations.") and path.count(".") == 1:
        value = new if new is not None else old
        kind = value.get("type") if isinstance(value, dict) else None
        return [f"{path}: {'added' if old is None else 'removed'} ({kind})"]
    if isinstance(old, list | None) and isinstance(new, list | None) and (old or new):
        before, after = old or [], new or []
        lines = [f"{path}: - {render_value(v)}" for v in before if v not in after]
        lines += [f"{path}: + {render_value(v)}" for v in after if v not in before]
        return lines or [f"{path}: order changed"]
    return [f"{path}: {render_value(old)} → {render_value(new)}"]


def render_value(value: JsonValue) -> str:
    """Compact JSON, secrets masked, long values shortened; ``(none)`` for absent."""
    if value is None:
        return "(none)"
    text = json.dumps(_mask(value), ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= _WIDTH else text[: _WIDTH - 1] + "…"


def _mask(value: JsonValue) -> JsonValue:
    if isinstance(value, dict):
        return {
            k: ("***" if k in _SECRET_FIELDS and isinstance(v, str) else _mask(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value
