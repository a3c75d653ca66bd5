"""``ownit token create|list|revoke``: API tokens."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from ownit.app.clock import SystemClock
from ownit.app.tokens import SCOPES, InvalidToken, TokenStore, create_token
from ownit.bootstrap import database
from ownit.cli.errors import CliError
from ownit.cli.tables import render
from ownit.cli.times import when
from ownit.domain.durations import parse_duration
from ownit.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("token", help="API tokens")
    tsub = parser.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = tsub.add_parser("create", help="make a token; it is printed once, on the last line")
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=["admin", "responder", "viewer"], default="responder")
    create.add_argument(
        "--expires", metavar="DURATION", help="it stops working after this long (90d, 1w…)"
    )
    create.add_argument(
        "--scopes",
        metavar="LIST",
        help=f"what it may be used for, comma-separated: {', '.join(SCOPES)} (default: all)",
    )
    create.set_defaults(func=_create)
    ls = tsub.add_parser("list", help="tokens (never their values)")
    ls.set_defaults(func=_list)
    revoke = tsub.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(func=_revoke)


@contextmanager
def _store(settings: Settings) -> Iterator[TokenStore]:
    with database(settings) as db:
        yield db.tokens


def _at(value: object) -> str:
    """A stored instant (``""`` for none) as the CLI prints instants."""
    return when(value if isinstance(value, datetime) else None)


def _create(args: argparse.Namespace, settings: Settings) -> int:
    lifetime = None
    if args.expires:
        try:
            lifetime = parse_duration(args.expires)
        except ValueError as exc:
            raise CliError(f"--expires: {exc}") from None
    try:
        with _store(settings) as store:
            token = create_token(
                store=store,
                clock=SystemClock(),
                name=args.name,
                role=args.role,
                lifetime=lifetime,
                scopes=args.scopes,
            )
    except InvalidToken as exc:
        raise CliError(str(exc)) from None
    limits = f", scopes {args.scopes}" if args.scopes else ""
    limits += f", expires in {args.expires}" if args.expires else ", never expires"
    print(f"API token {args.name!r} ({args.role}{limits}); store it now, it is not shown again:")
    print(token)
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    with _store(settings) as store:
        rows = store.all()
    print(
        render(
            ["ID", "NAME", "ROLE", "SCOPES", "CREATED", "EXPIRES", "REVOKED"],
            [
                [
                    r["id"],
                    r["name"],
                    r["role"],
                    r["scopes"] or "all",
                    _at(r["created_at"]),
                    _at(r["expires_at"]) or "never",
                    _at(r["revoked_at"]),
                ]
                for r in rows
            ],
        )
    )
    return 0


def _revoke(args: argparse.Namespace, settings: Settings) -> int:
    with _store(settings) as store:
        revoked = store.revoke(args.id, SystemClock().now())
    if not revoked:
        raise CliError(f"token {args.id} does not exist or is already revoked")
    print(f"token {args.id} revoked")
    return 0
