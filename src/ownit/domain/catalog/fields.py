"""Reading positioned nodes field by field, collecting every problem instead of stopping."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from ownit.domain.catalog.model import Entry, JsonValue, Node, Problem, Scalar
from ownit.domain.durations import parse_duration
from ownit.domain.urls import url_problem

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
URL = re.compile(r"^https?://[^\s/]+\S*$")
_NAME_MAX = 100
_DURATION_HINT = "write a whole number and a unit: 30s, 5m, 1h, 1d, 1w"


def quote(value: object) -> str:
    """A value as the user would recognise it in a message: ``"text"``, ``12``, ``true``."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def _close(word: str, choices: Iterable[str]) -> list[str]:
    """The choice closest to ``word``, if one is close enough (at most one)."""
    return difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)


def suggest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean "x"?)`` when one choice is close to ``word``, else ``""``."""
    found = _close(word, choices)
    return f" (did you mean {quote(found[0])}?)" if found else ""


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def slug_problem(value: str) -> str | None:
    if not _SLUG.match(value):
        return "is not a slug (lowercase letters, digits and -, starting with a letter or digit)"
    if len(value) > _NAME_MAX:
        return f"is longer than {_NAME_MAX} characters"
    return None


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def timezone_problem(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ValueError, KeyError, OSError):
        return "is not an IANA time zone" + suggest(value, _zones())
    return None


def shape(node: Node) -> str:
    """How a value looks in a message: ``"text"``, ``12`` (as written), ``a list``."""
    if node.items is not None:
        return "a list"
    if node.entries is not None:
        return "a mapping"
    if node.text is not None and not isinstance(node.scalar, str):
        return node.text
    return quote(node.scalar)


def _node_to_json(node: Node) -> JsonValue:
    """A node's plain value, dropping positions."""
    if node.entries is not None:
        return {e.key: _node_to_json(e.value) for e in node.entries}
    if node.items is not None:
        return [_node_to_json(i) for i in node.items]
    return node.scalar


def json_to_node(value: object, line: int = 0) -> Node:
    """The inverse of :func:`_node_to_json`, for specs read back from storage."""
    if isinstance(value, dict):
        return Node(
            line, entries=tuple(Entry(str(k), line, json_to_node(v)) for k, v in value.items())
        )
    if isinstance(value, list | tuple):
        return Node(line, items=tuple(json_to_node(v) for v in value))
    if value is None or isinstance(value, str | int | float | bool):
        return Node(line, scalar=value)
    return Node(line, scalar=str(value))


class Reader:
    """Collects the problems and field lines of one document."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        self.lines: dict[str, int] = {}
        self.renames: dict[str, str] = {}

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message))

    def alias(self, raw: str, kept: str) -> None:
        """List item ``raw`` of the file is item ``kept`` of the object.

        Items with problems are left out of the object, so the object's ``members[1]`` may
        be the file's ``members[2]``; references are checked on the object and reported with
        the file's path.
        """
        if raw != kept:
            self.renames[kept] = raw


class Fields:
    """The fields of one mapping node at ``path``; unknown keys are reported on construction."""

    def __init__(
        self,
        reader: Reader,
        node: Node | None,
        path: str,
        known: Sequence[str],
        *,
        line: int,
        label: str | None = None,
    ) -> None:
        self.r = reader
        self.path = path
        self.line = line  # where "x is required" points: the mapping's key, or its start
        self.entries: dict[str, Entry] = {}
        self.misspelt: set[str] = set()  # known keys an unknown key was close to
        self.ok = node is not None and node.entries is not None
        if node is None:
            return
        if node.entries is None:
            shown = shape(node)
            reader.problem(node.line, f"{label or path} must be a mapping, not {shown}")
            return
        for entry in node.entries:
            if entry.key not in known:
                where = f" in {label or path}" if (label or path) else ""
                hint = suggest(entry.key, known)
                reader.problem(entry.line, f"unknown field {quote(entry.key)}{where}{hint}")
                self.misspelt.update(_close(entry.key, known))
                continue
            self.entries[entry.key] = entry
            reader.lines[_join(path, entry.key)] = entry.line

    def where(self, key: str) -> str:
        return _join(self.path, key)

    def line_of(self, key: str) -> int:
        entry = self.entries.get(key)
        return entry.line if entry is not None else self.line

    def has(self, key: str) -> bool:
        return key in self.entries

    def node(self, key: str, *, required: bool = False) -> Node | None:
        entry = self.entries.get(key)
        if entry is None:
            if required and self.ok and key not in self.misspelt:
                self.r.problem(self.line, f"{self.where(key)} is required")
            return None
        if entry.value.is_scalar and entry.value.scalar is None:
            if required:
                self.r.problem(entry.line, f"{self.where(key)} is required")
            return None
        return entry.value

    def _bad(self, key: str, node: Node, expected: str) -> None:
        shown = shape(node)
        self.r.problem(node.line, f"{self.where(key)} must be {expected}, not {shown}")

    def text(
        self,
        key: str,
        *,
        required: bool = False,
        check: Callable[[str], str | None] | None = None,
        max_len: int | None = None,
    ) -> str | None:
        node = self.node(key, required=required)
        if node is None:
            return None
        if not isinstance(node.scalar, str) or not node.is_scalar:
            hint = "a string (put it in quotes)" if node.is_scalar else "a string"
            self._bad(key, node, hint)
            return None
        value = node.scalar
        if max_len is not None and len(value) > max_len:
            self.r.problem(node.line, f"{self.where(key)} is longer than {max_len} characters")
            return None
        if check is not None:
            trouble = check(value)
            if trouble is not None:
                self.r.problem(node.line, f"{self.where(key)} {quote(value)} {trouble}")
                return None
        return value

    def slug(self, key: str, *, required: bool = False) -> str | None:
        return self.text(key, required=required, check=slug_problem)

    def url(self, key: str, *, required: bool = False) -> str | None:
        return self.text(
            key,
            required=required,
            check=lambda v: (
                None if URL.match(v) and not url_problem(v) else "is not an http(s) URL"
            ),
        )

    def email(self, key: str, *, required: bool = False) -> str | None:
        return self.text(
            key,
            required=required,
            max_len=320,
            check=lambda v: None if EMAIL.match(v) else "does not look like an email address",
        )

    def timezone(self, key: str) -> str | None:
        return self.text(key, check=timezone_problem)

    def choice(self, key: str, choices: Sequence[str], *, required: bool = False) -> str | None:
        def check(value: str) -> str | None:
            if value in choices:
                return None
            return f"is not one of {', '.join(choices)}{suggest(value, choices)}"

        return self.text(key, required=required, check=check)

    def number(self, key: str, *, low: int, high: int | None = None) -> int | None:
        node = self.node(key)
        if node is None:
            return None
        value: Scalar = node.scalar
        in_range = isinstance(value, int) and not isinstance(value, bool)
        if in_range and isinstance(value, int):
            in_range = value >= low and (high is None or value <= high)
        if not in_range or not node.is_scalar:
            span = f"from {low} to {high}" if high is not None else f"of {low} or more"
            self._bad(key, node, f"a whole number {span}")
            return None
        assert isinstance(value, int)
        return value

    def duration(
        self, key: str, *, required: bool = False, positive: bool = True
    ) -> timedelta | None:
        node = self.node(key, required=required)
        if node is None:
            return None
        if not node.is_scalar or not isinstance(node.scalar, str):
            self._bad(key, node, f"a duration ({_DURATION_HINT})")
            return None
        try:
            value = parse_duration(node.scalar)
        except ValueError:
            self.r.problem(
                node.line,
                f"{self.where(key)} {quote(node.scalar)} is not a duration ({_DURATION_HINT})",
            )
            return None
        if positive and value <= timedelta(0):
            self.r.problem(node.line, f"{self.where(key)} must be longer than 0s")
            return None
        return value

    def seq(self, key: str, *, required: bool = False) -> list[tuple[str, Node]]:
        """The items of a list field, each with its path (``members[0]``)."""
        node = self.node(key, required=required)
        if node is None:
            return []
        if node.items is None:
            self._bad(key, node, "a list")
            return []
        return [(f"{self.where(key)}[{i}]", item) for i, item in enumerate(node.items)]

    def strings(
        self, key: str, *, check: Callable[[str], str | None] | None = None
    ) -> list[tuple[str, str]]:
        """A list of strings: ``(path, value)`` for each good item."""
        out: list[tuple[str, str]] = []
        for path, item in self.seq(key):
            self.r.lines[path] = item.line
            if not item.is_scalar or not isinstance(item.scalar, str):
                shown = shape(item)
                self.r.problem(item.line, f"{path} must be a string, not {shown}")
                continue
            trouble = check(item.scalar) if check is not None else None
            if trouble is not None:
                self.r.problem(item.line, f"{path} {quote(item.scalar)} {trouble}")
                continue
            out.append((path, item.scalar))
        return out

    def sub(self, key: str, known: Sequence[str]) -> Fields | None:
        """The mapping under ``key``, or ``None`` when it is absent."""
        node = self.node(key)
        if node is None:
            return None
        return Fields(self.r, node, self.where(key), known, line=self.line_of(key))

    def item(self, path: str, node: Node, known: Sequence[str]) -> Fields:
        """A list item that must be a mapping."""
        self.r.lines[path] = node.line
        return Fields(self.r, node, path, known, line=node.line)
