"""``ownit serve``: the web app, the event endpoints and (later) the engine in one process."""

from __future__ import annotations

import argparse
import gc
from typing import Any

from ownit.cli.logs import configure_logging
from ownit.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "serve", help="serve the API and event endpoints (applies migrations first)"
    )
    parser.add_argument("--host", help="address to listen on (default OWNIT_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default OWNIT_PORT or 8080)")
    parser.add_argument(
        "--no-engine",
        action="store_true",
        help="do not run the notification engine in this process (run `ownit worker` instead)",
    )
    parser.set_defaults(func=_serve)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from ownit.bootstrap import build_app, build_worker, database

    configure_logging(settings)
    with database(settings, migrate=True) as db:
        work = None if args.no_engine else build_worker(settings, db.engine)
        app = build_app(settings, db.engine, work=work)
        # Long-lived objects made so far never become garbage: keep them out of collections,
        # and collect less often (full collections under load were the p99's worst pauses).
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        uvicorn.run(
            app,
            host=args.host or settings.host,
            port=args.port or settings.port,
            log_config=None,
            access_log=False,
            loop="auto",
            http="auto",
            timeout_graceful_shutdown=10,
            proxy_headers=False,
            server_header=False,
            date_header=False,
        )
    return 0
