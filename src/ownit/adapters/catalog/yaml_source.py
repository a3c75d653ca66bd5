"""Reading ``ownit/v1`` YAML files into positioned documents, and writing documents back.

Files are composed (not constructed) so that every node keeps its line. A file that cannot
be read, a YAML syntax error or a duplicate key is a :class:`Problem`, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from ownit.domain.catalog import Entry, JsonObject, Node, Problem, RawDocument

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"


@dataclass(frozen=True, slots=True)
class Loaded:
    """What the files held: the documents, and the problems that kept others from being read."""

    documents: tuple[RawDocument, ...]
    problems: tuple[Problem, ...]
    files: int = 0


class _Converter:
    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        self.constructor = SafeConstructor()
        self.active: set[int] = set()

    def convert(self, node: yaml.Node) -> Node:
        line = node.start_mark.line + 1
        if id(node) in self.active:
            self.problems.append(Problem(self.file, line, "an alias refers to itself"))
            return Node(line)
        self.active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, line)
            if isinstance(node, SequenceNode):
                return Node(line, items=tuple(self.convert(item) for item in node.value))
            assert isinstance(node, ScalarNode)
            return Node(line, scalar=self._scalar(node), text=str(node.value))
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: MappingNode, line: int) -> Node:
        entries: list[Entry] = []
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode):
                self.problems.append(Problem(self.file, key_line, "a key must be a plain word"))
                continue
            key = str(key_node.value)
            if key in seen:
                self.problems.append(
                    Problem(
                        self.file, key_line, f'duplicate key "{key}" (first at line {seen[key]})'
                    )
                )
                continue
            seen[key] = key_line
            entries.append(Entry(key, key_line, self.convert(value_node)))
        return Node(line, entries=tuple(entries))

    def _scalar(self, node: ScalarNode) -> str | int | float | bool | None:
        tag = node.tag
        try:
            if tag == _INT:
                value: Any = self.constructor.construct_yaml_int(node)
            elif tag == _FLOAT:
                value = self.constructor.construct_yaml_float(node)
            elif tag == _BOOL:
                value = self.constructor.construct_yaml_bool(node)
            elif tag == _NULL:
                return None
            else:  # strings, and timestamps kept as written
                return str(node.value)
        except (ValueError, yaml.YAMLError):
            return str(node.value)
        return value  # type: ignore[no-any-return]


def load_text(text: str | bytes, file: str) -> Loaded:
    """The documents of one file's content; ``file`` names it in problems."""
    problems: list[Problem] = []
    documents: list[RawDocument] = []
    converter = _Converter(file, problems)
    try:
        for root in yaml.compose_all(text, Loader=yaml.SafeLoader):
            if root is None or (isinstance(root, ScalarNode) and root.tag == _NULL):
                continue  # an empty document
            line = root.start_mark.line + 1
            documents.append(RawDocument(file, line, converter.convert(root)))
    except yaml.MarkedYAMLError as exc:
        problems.append(_syntax_problem(exc, file))
    except yaml.YAMLError as exc:
        problems.append(Problem(file, 0, f"YAML error: {exc}"))
    return Loaded(tuple(documents), tuple(problems), 1)


def _syntax_problem(exc: yaml.MarkedYAMLError, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 0
    message = f"YAML syntax error: {exc.problem or exc.context or 'cannot be parsed'}"
    if exc.problem and exc.context and exc.context_mark is not None:
        message += f" ({exc.context} at line {exc.context_mark.line + 1})"
    return Problem(file, line, message)


def load_files(paths: Iterable[str]) -> Loaded:
    """Every document of every file, in order; unreadable files become problems."""
    documents: list[RawDocument] = []
    problems: list[Problem] = []
    count = 0
    for path in paths:
        count += 1
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            problems.append(Problem(path, 0, f"cannot read the file: {exc.strerror or exc}"))
            continue
        loaded = load_text(data, path)
        documents += loaded.documents
        problems += loaded.problems
    return Loaded(tuple(documents), tuple(problems), count)


class _Dumper(yaml.SafeDumper):
    """Block style, indented lists, multi-line strings as ``|`` blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_documents(documents: Sequence[JsonObject]) -> str:
    """Multi-document YAML, each document starting with ``---``; deterministic."""
    if not documents:
        return ""
    return yaml.dump_all(
        documents,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        explicit_start=True,
        default_flow_style=False,
        width=100,
    )
