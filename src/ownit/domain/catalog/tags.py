"""A service's ``tags`` (a list of words) and ``labels`` (``key: value``), as Backstage has them.

Tags follow Backstage's rule (lowercase letters, digits and ``: + #``, words joined by ``-``,
at most 63 characters); a label key is letters, digits and ``. _ / -`` (starting and ending
with a letter or digit, at most 63 characters), its value a string of at most 200 characters.
Custom standards (``kind: Standard``) select services by them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from ownit.domain.catalog.fields import Fields, quote, shape

TAG = re.compile(r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$")
LABEL_KEY = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$")
NAME_MAX = 63
VALUE_MAX = 200


def tag_problem(value: str) -> str | None:
    if len(value) > NAME_MAX:
        return f"is longer than {NAME_MAX} characters"
    if not TAG.match(value):
        return "is not a tag (lowercase letters, digits and : + #, words joined by -: pci, tier-1)"
    return None


def label_key_problem(key: str) -> str | None:
    if len(key) > NAME_MAX:
        return f"is longer than {NAME_MAX} characters"
    if not LABEL_KEY.match(key):
        return "is not a label key (letters, digits and . _ / -, starting and ending with one)"
    return None


def parse_tags(spec: Fields) -> tuple[str, ...]:
    seen: set[str] = set()

    def check(value: str) -> str | None:
        trouble = tag_problem(value)
        if trouble is None and value in seen:
            return "is listed twice"
        seen.add(value)
        return trouble

    out: list[str] = []
    for path, value in spec.strings("tags", check=check):
        spec.r.alias(path, f"tags[{len(out)}]")
        out.append(value)
    return tuple(out)


def parse_labels(spec: Fields) -> tuple[tuple[str, str], ...]:
    node = spec.node("labels")
    if node is None:
        return ()
    if node.entries is None:
        spec.r.problem(node.line, f"labels must be a mapping of key: value, not {shape(node)}")
        return ()
    out: dict[str, str] = {}
    for entry in node.entries:
        path = f"labels.{entry.key}"
        spec.r.lines[path] = entry.line
        trouble = label_key_problem(entry.key)
        if trouble is not None:
            spec.r.problem(entry.line, f"label key {quote(entry.key)} {trouble}")
            continue
        value = entry.value
        if not value.is_scalar or not isinstance(value.scalar, str):
            hint = " (put it in quotes)" if value.is_scalar else ""
            spec.r.problem(entry.line, f"{path} must be a string{hint}, not {shape(value)}")
            continue
        if len(value.scalar) > VALUE_MAX:
            spec.r.problem(entry.line, f"{path} is longer than {VALUE_MAX} characters")
            continue
        out[entry.key] = value.scalar
    return tuple(sorted(out.items()))


@dataclass(frozen=True, slots=True)
class TagFilter:
    """Services that carry every ``tags`` item and every ``labels`` pair (``?tag=…&label=
    key:value`` of the API)."""

    tags: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.tags and not self.labels

    def selects(self, tags: Collection[str], labels: Mapping[str, str]) -> bool:
        return all(t in tags for t in self.tags) and all(labels.get(k) == v for k, v in self.labels)


class BadTagFilter(ValueError):
    """A ``tag`` or ``label`` filter that could never match; ``field`` names which."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


def tag_filter(tags: Sequence[str] = (), labels: Sequence[str] = ()) -> TagFilter:
    """The filter of ``tags`` (each a tag) and ``labels`` (each ``key:value``); a value that
    could never match a service is :class:`BadTagFilter` naming the field."""
    for tag in tags:
        trouble = tag_problem(tag)
        if trouble is not None:
            raise BadTagFilter("tag", f"{quote(tag)} {trouble}")
    pairs: list[tuple[str, str]] = []
    for text in labels:
        key, sep, value = text.partition(":")
        if not sep:
            raise BadTagFilter("label", f"{quote(text)} must be key:value (like region:eu)")
        trouble = label_key_problem(key)
        if trouble is not None:
            raise BadTagFilter("label", f"{quote(text)}: {quote(key)} {trouble}")
        pairs.append((key, value))
    return TagFilter(tuple(dict.fromkeys(tags)), tuple(dict.fromkeys(pairs)))
