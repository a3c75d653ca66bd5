"""``ownit serve``: the web app and the event endpoints, with the engine in a child process.

By default the engine (escalations and notifications) runs as a supervised child process,
``ownit worker``, so the API and the engine each have an interpreter (and a core) of their
own; ``--no-engine`` leaves it out (run ``ownit worker`` elsewhere). ``--workers N`` runs N
API processes on the one port (for PostgreSQL; SQLite has one writer whatever the count).
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
from typing import Any

from ownit.bootstrap.gc_tuning import tune_gc
from ownit.bootstrap.logs import configure_logging
from ownit.cli.engine_process import EngineProcess
from ownit.settings import Settings

_UVICORN: dict[str, Any] = {
    "log_config": None,
    "access_log": False,
    "loop": "auto",
    "http": "auto",
    "timeout_graceful_shutdown": 10,
    "proxy_headers": False,
    "server_header": False,
    "date_header": False,
}


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "serve", help="serve the API and event endpoints (applies migrations first)"
    )
    parser.add_argument("--host", help="address to listen on (default OWNIT_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default OWNIT_PORT or 8080)")
    parser.add_argument(
        "--no-engine",
        action="store_true",
        help="do not start the notification engine's child process (run `ownit worker` instead)",
    )
    parser.add_argument(
        "--workers",
        type=_positive,
        default=1,
        metavar="N",
        help="API processes sharing the port (default 1; several need PostgreSQL to help)",
    )
    parser.set_defaults(func=_serve)


def _positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError("must be between 1 and 64")
    return value


def _loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def cookie_warning(host: str, base_url: str) -> str | None:
    """What to say at start-up when sign-in cookies would travel without the Secure flag to
    more than this machine: served on a non-loopback address while ``OWNIT_BASE_URL`` is
    ``http://`` (the flag follows the base URL's scheme)."""
    if base_url.lower().startswith("https://") or _loopback(host):
        return None
    return (
        f"listening on {host} while OWNIT_BASE_URL is {base_url}: session cookies are sent "
        "without the Secure flag and passwords cross the network in clear; serve ownit "
        "behind TLS and set OWNIT_BASE_URL to its https:// address"
    )


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from ownit.bootstrap import build_app, database

    configure_logging(settings)
    host, port = args.host or settings.host, args.port or settings.port
    engine_process = None if args.no_engine else EngineProcess()
    warning = cookie_warning(args.host or settings.host, settings.base_url)
    if warning is not None:
        logging.getLogger("ownit").warning(warning)
    with database(settings, migrate=True) as db:
        try:
            if args.workers > 1:
                if engine_process is not None:
                    engine_process.start()
                # Each API process builds its own app from the same OWNIT_* environment.
                db.engine.dispose()
                uvicorn.run(
                    "ownit.bootstrap:app_from_env",
                    factory=True,
                    workers=args.workers,
                    host=host,
                    port=port,
                    **_UVICORN,
                )
            else:
                # The app starts and stops the engine's child with its lifespan: uvicorn ends
                # by re-raising SIGTERM, so code after ``run`` may never run.
                app = build_app(settings, db.engine, work=engine_process)
                tune_gc()
                uvicorn.run(app, host=host, port=port, **_UVICORN)
        finally:
            if engine_process is not None:
                engine_process.stop()  # a second stop does nothing
    return 0
