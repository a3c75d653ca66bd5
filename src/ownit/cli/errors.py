"""Errors the CLI reports as one plain line, never a traceback."""

from __future__ import annotations


class CliError(Exception):
    """A user-facing failure; ``exit_code`` is the process exit status."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
