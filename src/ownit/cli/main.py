"""The ``ownit`` command: one sub-command module per noun, each registering its parsers."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from types import ModuleType

from ownit.app import audit as audit_scope
from ownit.bootstrap import BootstrapError
from ownit.cli.errors import CliError
from ownit.cli.printable import printable_output
from ownit.settings import Settings, SettingsError


def _modules() -> list[ModuleType]:
    from ownit.cli import (
        analytics,
        audit,
        baseline,
        catalog,
        db,
        doctor,
        drills,
        events,
        gamedays,
        heartbeats,
        importers,
        incidents,
        integrations,
        maintenance,
        oncall,
        org,
        postmortems,
        routers,
        serve,
        standards,
        tokens,
        users,
        worker,
    )

    return [
        serve,
        worker,
        db,
        catalog,
        incidents,
        events,
        oncall,
        integrations,
        maintenance,
        heartbeats,
        routers,
        tokens,
        users,
        doctor,
        audit,
        analytics,
        baseline,
        org,
        importers,
        postmortems,
        standards,
        drills,
        gamedays,
    ]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ownit",
        description="ownit: full-service ownership. Catalog as code, events in, incidents out.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _modules():
        module.register(sub)
    return parser


def _cli_actor() -> str:
    """Who runs a command, as the audit log names them: ``cli/`` and the OS user."""
    try:
        return f"cli/{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    with printable_output():  # event text is printed as text, never as terminal commands
        try:
            settings = Settings.from_env()
            if args.command in ("serve", "worker"):
                code: int = args.func(args, settings)  # requests open their own audit scopes
            else:
                with audit_scope.begin(actor=_cli_actor()):
                    code = args.func(args, settings)
        except (CliError, SettingsError, BootstrapError) as exc:
            print(f"ownit: error: {exc}", file=sys.stderr)
            return getattr(exc, "exit_code", 2)
        except KeyboardInterrupt:
            return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
