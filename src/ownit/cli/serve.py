"""``ownit serve``: the web app, the event endpoints and (later) the engine in one process."""

from __future__ import annotations

import argparse
import gc
import ipaddress
import logging
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

    from ownit.bootstrap import build_app, build_worker, database

    configure_logging(settings)
    warning = cookie_warning(args.host or settings.host, settings.base_url)
    if warning is not None:
        logging.getLogger("ownit").warning(warning)
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
