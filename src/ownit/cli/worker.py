"""``ownit worker``: the durable engine alone (escalations and notifications), no web server.

Run any number of them on PostgreSQL; they share the work without doubling it. On SQLite,
run one engine per database (``ownit serve`` starts one as its child unless given
``--no-engine``).
"""

from __future__ import annotations

import argparse
import signal
from types import FrameType
from typing import Any

from ownit.bootstrap import build_worker, database
from ownit.bootstrap.logs import configure_logging
from ownit.cli.engine_process import watch_parent
from ownit.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "worker", help="run the escalation and notification engine (no web server)"
    )
    parser.add_argument("--parent", type=int, help=argparse.SUPPRESS)  # set by `ownit serve`
    parser.set_defaults(func=_worker)


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    configure_logging(settings)
    with database(settings, migrate=args.parent is None) as db:
        work = build_worker(settings, db.engine, wakeup=True)

        def stop(_signum: int, _frame: FrameType | None) -> None:
            work.request_stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if args.parent is not None:
            watch_parent(args.parent, work.request_stop)
        work.run_forever()
        work.stop()
    return 0
