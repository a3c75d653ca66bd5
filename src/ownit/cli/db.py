"""``ownit db upgrade|current``."""

from __future__ import annotations

import argparse
from typing import Any

from ownit.bootstrap import open_database
from ownit.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("db", help="database migrations")
    dbsub = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = dbsub.add_parser("upgrade", help="apply every migration not yet applied")
    up.set_defaults(func=_upgrade)
    cur = dbsub.add_parser("current", help="print the schema revision of the database")
    cur.set_defaults(func=_current)


def _upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from ownit.adapters.db.migrate import current_revision, upgrade

    engine = open_database(settings, migrate=False)
    upgrade(engine)
    print(f"database at revision {current_revision(engine)}")
    engine.dispose()
    return 0


def _current(args: argparse.Namespace, settings: Settings) -> int:
    from ownit.adapters.db.migrate import current_revision, head_revision

    engine = open_database(settings, migrate=False)
    current = current_revision(engine)
    print(f"current: {current or 'none'} (newest: {head_revision()})")
    engine.dispose()
    return 0
