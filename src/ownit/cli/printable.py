"""What the CLI prints is text, never terminal commands.

Event summaries, titles, notes and labels come from whoever can send an event. Printed as
they came, an escape sequence in one could rewrite the screen, the window title or the
clipboard of the person reading it. Every line the CLI writes goes through
:func:`printable`, which drops C0 and C1 control characters (tab, newline and the CR of
a CR LF stay) and DEL; JSON output is unaffected (its encoder already escapes them).
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from typing import Any, TextIO, cast

# A carriage return stays only as part of CR LF: CSV output ends its records with it.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")


def printable(text: str) -> str:
    """``text`` without control characters other than tab, newline and CR LF."""
    return _CONTROL.sub("", text)


class _Printable:
    """A text stream that writes :func:`printable` text to the stream it wraps."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(printable(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def printable_output() -> Iterator[None]:
    """While it lasts, ``sys.stdout`` and ``sys.stderr`` print only printable text."""
    out, err = sys.stdout, sys.stderr
    sys.stdout = cast(TextIO, _Printable(out))
    sys.stderr = cast(TextIO, _Printable(err))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err
