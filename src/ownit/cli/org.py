"""``ownit org show|set``: the organisation's settings (who responds to incidents)."""

from __future__ import annotations

import argparse
from typing import Any

from ownit.app import org_settings
from ownit.app.clock import SystemClock
from ownit.app.org_settings import RESPONDING, InvalidSetting
from ownit.bootstrap import database
from ownit.cli.errors import CliError
from ownit.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("org", help="the organisation's settings")
    osub = parser.add_subparsers(dest="org_command", metavar="ACTION", required=True)
    show = osub.add_parser("show", help="the settings")
    show.set_defaults(func=_show)
    change = osub.add_parser("set", help="change a setting")
    change.add_argument(
        "--responding",
        required=True,
        metavar="|".join(RESPONDING),
        help="anyone who may respond (default), or only the owner team's responders and admins",
    )
    change.set_defaults(func=_set)


def _show(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        print(f"responding: {db.org_settings.responding()}")
    return 0


def _set(args: argparse.Namespace, settings: Settings) -> int:
    try:
        with database(settings) as db:
            before = org_settings.set_responding(
                store=db.org_settings, clock=SystemClock(), value=args.responding
            )
    except InvalidSetting as exc:
        raise CliError(f"responding: {exc}") from None
    print(f"responding: {args.responding} (was {before})")
    return 0
