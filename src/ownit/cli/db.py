"""``ownit db upgrade|current|seal-secrets``."""

from __future__ import annotations

import argparse
from typing import Any

from ownit.bootstrap import database, newest_revision
from ownit.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("db", help="database migrations")
    dbsub = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = dbsub.add_parser("upgrade", help="apply every migration not yet applied")
    up.set_defaults(func=_upgrade)
    cur = dbsub.add_parser("current", help="print the schema revision of the database")
    cur.set_defaults(func=_current)
    seal = dbsub.add_parser(
        "seal-secrets", help="encrypt stored webhook secrets with OWNIT_SECRET_KEY"
    )
    seal.set_defaults(func=_seal)


def _upgrade(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings, migrate=False) as db:
        db.upgrade()
        print(f"database at revision {db.revision()}")
    return 0


def _current(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings, migrate=False) as db:
        current = db.revision()
    print(f"current: {current or 'none'} (newest: {newest_revision()})")
    return 0


def _seal(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        changed = db.seal_secrets()
    print(f"webhook secrets sealed for {changed} user(s)")
    return 0
