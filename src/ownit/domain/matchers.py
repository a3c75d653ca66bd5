"""Alertmanager label matchers: ``name="v"``, ``name!="v"``, ``name=~"re"``, ``name!~"re"``.

Values may be quoted (escapes ``\\"``, ``\\\\`` and ``\\n``) or written bare, as Alertmanager
accepts them. Regular expressions are fully anchored and compiled once. A label the event
does not carry is the empty string, so ``x!="a"`` and ``x=~".*"`` match an event without
``x``. Pure: the standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias, cast

_Op: TypeAlias = Literal["=", "!=", "=~", "!~"]

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_OP = re.compile(r"=~|!~|!=|=")
_FLAGS = re.compile(r"^\(\?[ims]+\)")
# What Python's engine accepts and Alertmanager's (RE2) refuses: lookarounds, backreferences,
# atomic groups, possessive quantifiers. Refusing them keeps both engines in agreement and
# keeps matching linear-ish (no catastrophic backtracking through backreferences).
_RE2_UNSUPPORTED = (
    ("(?=", "lookahead"),
    ("(?!", "negative lookahead"),
    ("(?<=", "lookbehind"),
    ("(?<!", "negative lookbehind"),
    ("(?P=", "backreference"),
    ("(?>", "atomic group"),
    ("(?#", "comment group"),
)


@dataclass(frozen=True, slots=True)
class Matcher:
    """One matcher; equal matchers compare equal whatever their written form."""

    name: str
    op: _Op
    value: str
    pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        if self.op in ("=~", "!~") and self.pattern is None:
            object.__setattr__(self, "pattern", _compile_regex(self.value))

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.name, "")
        if self.op == "=":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        assert self.pattern is not None
        found = self.pattern.match(value) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        return f"{self.name}{self.op}{quote_value(self.value)}"


def quote_value(value: str) -> str:
    """``"value"`` with ``\\``, ``"`` and newlines escaped: the canonical written form."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _compile_regex(text: str) -> re.Pattern[str]:
    """``text`` anchored at both ends: ``^(?:text)$`` in Alertmanager's terms, where ``$`` is
    the very end (Python's ``$`` would also match before a final newline, so ``\\Z``).

    Raises :class:`ValueError` naming what is wrong when ``text`` is not a regular
    expression both Python and Alertmanager accept.
    """
    _check_re2(text)
    # Leading flags (``(?i)``) apply to the whole expression in both engines; Python wants
    # them at the very start, so they go before the anchors (\A and \Z ignore (?m)).
    flags = _FLAGS.match(text)
    head, body = (flags.group(), text[flags.end() :]) if flags else ("", text)
    try:
        re.compile(text)  # alone first: `a)|(b` must not pass as part of the wrapper
        return re.compile(f"{head}\\A(?:{body})\\Z")
    except re.error as exc:
        raise ValueError(f"{quote_value(text)}: {exc.msg}") from None


def _check_re2(text: str) -> None:
    for marker, what in _RE2_UNSUPPORTED:
        if marker in text:
            raise ValueError(
                f"{quote_value(text)}: Alertmanager's regular expressions have no "
                f"{what}s ({marker}…)"
            )
    i = 0
    while i < len(text) - 1:
        if text[i] == "\\":
            if text[i + 1] in "123456789":
                raise ValueError(
                    f"{quote_value(text)}: Alertmanager's regular expressions have no "
                    f"backreferences (\\{text[i + 1]})"
                )
            i += 2
            continue
        if text[i] in "*+?}" and text[i + 1] == "+":
            raise ValueError(
                f"{quote_value(text)}: Alertmanager's regular expressions have no "
                f"possessive quantifiers ({text[i]}+)"
            )
        i += 1


def parse_matcher(text: str) -> Matcher:
    """One matcher as written in a catalog file or on the command line.

    Raises :class:`ValueError` with a plain message naming what is wrong.
    """
    try:
        return _parse(text)
    except _Bad as exc:
        raise ValueError(f"matcher '{text}' {exc}") from None


class _Bad(Exception):
    pass


def _parse(text: str) -> Matcher:
    s = text.strip()
    if not s:
        raise _Bad('is empty (write name="value", name!="value", name=~"regex" or name!~"regex")')
    name_match = _NAME.match(s)
    if name_match is None:
        raise _Bad(
            "does not start with a label name (letters, digits, _ and :, not starting with a digit)"
        )
    name = name_match.group()
    rest = s[name_match.end() :].lstrip()
    op_match = _OP.match(rest)
    if op_match is None:
        found = repr(rest[:2]) if rest else "nothing"
        raise _Bad(f"needs =, !=, =~ or !~ after the label name {name!r}, not {found}")
    op = cast(_Op, op_match.group())
    value = _unquote(rest[op_match.end() :].strip())
    if op in ("=~", "!~"):
        try:
            pattern = _compile_regex(value)
        except ValueError as exc:
            raise _Bad(f"has a bad regular expression: {exc}") from None
        return Matcher(name, op, value, pattern)
    return Matcher(name, op, value)


def _unquote(raw: str) -> str:
    """A quoted value unescaped, or a bare value as it is (a lone ``\\`` kept literally)."""
    quoted = raw.startswith('"')
    body = raw[1:] if quoted else raw
    out: list[str] = []
    i = 0
    closed = False
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "n":
                out.append("\n")
            elif nxt in '"\\':
                out.append(nxt)
            else:  # not an escape we know: the backslash stays (regexes need it)
                out.append("\\" + nxt)
            i += 2
            continue
        if ch == '"':
            if quoted and i == len(body) - 1:
                closed = True
                break
            raise _Bad('has a double quote in its value that is not escaped (write \\")')
        out.append(ch)
        i += 1
    if quoted and not closed:
        raise _Bad("has a value whose opening double quote is never closed")
    return "".join(out)


def matches_all(matchers: tuple[Matcher, ...], labels: Mapping[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)
