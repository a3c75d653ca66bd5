"""``ownit user create EMAIL [--admin]``: a login for the web UI, for a catalog user;
``ownit user invite NAME``: a set-password link for one (valid 7 days, shown once)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from ownit.app.accounts import AccountError, OrgRole, create_login
from ownit.app.clock import SystemClock
from ownit.bootstrap import database, password_hasher
from ownit.cli.errors import CliError
from ownit.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("user", help="logins for the web UI")
    usub = parser.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    create = usub.add_parser(
        "create", help="give the catalog user with this email a login (prompts for a password)"
    )
    create.add_argument("email")
    create.add_argument("--admin", action="store_true", help="an organisation admin")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    create.add_argument(
        "--replace", action="store_true", help="set a new password (and role) for an existing login"
    )
    create.set_defaults(func=_create)
    invite = usub.add_parser(
        "invite", help="print a set-password link (valid 7 days) for the catalog user NAME"
    )
    invite.add_argument("name")
    invite.set_defaults(func=_invite)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask for a password: use --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise CliError("the two passwords differ")
    return first


def _create(args: argparse.Namespace, settings: Settings) -> int:
    password = _password(args)
    role = OrgRole.ADMIN if args.admin else OrgRole.MEMBER
    try:
        with database(settings) as db:
            account = create_login(
                store=db.accounts,
                hasher=password_hasher(),
                clock=SystemClock(),
                email=args.email,
                password=password,
                org_role=role,
                replace=args.replace,
            )
    except AccountError as exc:
        raise CliError(str(exc)) from None
    print(f"login for {account.name} <{account.email}> ({account.org_role.value}) is ready")
    return 0


def _invite(args: argparse.Namespace, settings: Settings) -> int:
    from ownit.app.invitations import invite

    try:
        with database(settings) as db:
            person, token = invite(store=db.people, clock=SystemClock(), name=args.name)
    except AccountError as exc:
        raise CliError(exc.detail) from None
    print(f"{settings.base_url.rstrip('/')}/invite/{token}")
    print(
        f"send this link to {person.display_name} <{person.email}>: it sets their password "
        "and works once, for 7 days",
        file=sys.stderr,
    )
    return 0
