"""``ownit integration list|rotate``."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ownit.app.clock import SystemClock
from ownit.app.directory import Directory
from ownit.bootstrap import database
from ownit.cli.errors import CliError
from ownit.cli.tables import render
from ownit.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "integration", help="integration keys: where monitoring tools send events"
    )
    isub = parser.add_subparsers(dest="integration_command", metavar="ACTION", required=True)
    ls = isub.add_parser("list", help="every integration with its key and endpoint")
    ls.set_defaults(func=_list)
    rot = isub.add_parser(
        "rotate", help="give an integration a new key (the old one stops working)"
    )
    rot.add_argument("id", type=int)
    rot.set_defaults(func=_rotate)


@contextmanager
def _directory(settings: Settings) -> Iterator[Directory]:
    with database(settings) as db:
        yield db.directory


def _endpoint(settings: Settings, kind: str) -> str:
    if kind == "alertmanager":
        return f"{settings.base_url}/integrations/alertmanager"
    return f"{settings.base_url}/v2/enqueue"


def _list(args: argparse.Namespace, settings: Settings) -> int:
    with _directory(settings) as directory:
        rows = directory.integrations()
    if not rows:
        print("no integrations (add them to a Service in the catalog and `ownit catalog apply`)")
        return 0
    print(
        render(
            ["ID", "SERVICE", "NAME", "TYPE", "KEY", "SEND TO"],
            [
                [
                    r["id"],
                    r["service"],
                    r["name"],
                    r["type"],
                    r["key"],
                    _endpoint(settings, r["type"]),
                ]
                for r in rows
            ],
        )
    )
    return 0


def _rotate(args: argparse.Namespace, settings: Settings) -> int:
    with _directory(settings) as directory:
        found = directory.rotate_key(args.id, SystemClock().now())
    if found is None:
        raise CliError(f"integration {args.id} does not exist (see `ownit integration list`)")
    print(f"integration {found['id']} ({found['service']}/{found['name']}) has a new key:")
    print(found["key"])
    print("(shown this once: ownit keeps only its digest; `ownit integration list` shows its hint)")
    return 0
