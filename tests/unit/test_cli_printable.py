"""The CLI prints text, never terminal commands."""

from __future__ import annotations

import io
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ownit.cli.printable import printable, printable_output


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text", "plain text"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("\x1b[31mred\x1b[0m", "[31mred[0m"),
        ("title \x1b]0;owned\x07", "title ]0;owned"),
        ("c1 \x9b2J csi", "c1 2J csi"),
        ("bell\x07 del\x7f nul\x00 cr\r", "bell del nul cr"),
        ("ünïcödé ✓ 日本", "ünïcödé ✓ 日本"),
        ("a,b\r\nc,d\r\n", "a,b\r\nc,d\r\n"),  # CSV records end with CR LF
        ("over\rwrite\r\r\n", "overwrite\r\n"),  # a lone CR would move the cursor back
    ],
)
def test_printable(text: str, shown: str) -> None:
    assert printable(text) == shown


@given(st.text())
def test_nothing_printed_is_a_control_character(text: str) -> None:
    shown = printable(text)
    for i, ch in enumerate(shown):
        if ch == "\r":
            assert shown[i + 1 : i + 2] == "\n"
            continue
        assert ch in "\t\n" or not (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F)


def test_output_is_filtered_while_the_command_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    with printable_output():
        print("a\x1bb")
    print("c\x1bd")
    assert out.getvalue() == "ab\nc\x1bd\n"
