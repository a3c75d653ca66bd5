"""How ``ownit catalog lint`` reports problems: for people, for GitHub Actions, as JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from ownit.domain.catalog import Problem

FORMATS = ("human", "github", "json")
SEVERITY = "error"  # every catalog problem stops an apply


def github_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF escaped."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """A workflow command's property value: the message escapes, and ``:`` and ``,``."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def github_command(problem: Problem) -> str:
    """``::error file=services.yaml,line=14::message`` (an annotation on the file's line)."""
    props: list[str] = []
    if problem.file:
        props.append(f"file={github_property(problem.file)}")
        if problem.line > 0:
            props.append(f"line={problem.line}")
    head = f"::{SEVERITY} {','.join(props)}" if props else f"::{SEVERITY}"
    return f"{head}::{github_data(problem.message)}"


def json_report(problems: Sequence[Problem]) -> str:
    """``{"ok": …, "problems": [{"file", "line", "message", "severity"}]}``; ``null`` for a
    missing file or line."""
    body = {
        "ok": not problems,
        "problems": [
            {
                "file": p.file or None,
                "line": p.line if p.line > 0 else None,
                "message": p.message,
                "severity": SEVERITY,
            }
            for p in problems
        ],
    }
    return json.dumps(body, ensure_ascii=False, indent=2)


def render_problems(problems: Sequence[Problem], fmt: str, summary: str) -> list[str]:
    """The lines to print for ``problems`` in format ``fmt``; ``summary`` says what was read."""
    if fmt == "json":
        return [json_report(problems)]
    render = github_command if fmt == "github" else str
    lines = [render(p) for p in problems]
    if problems:
        count = f"{len(problems)} problem" + ("" if len(problems) == 1 else "s")
        return [*lines, f"{count} ({summary})"]
    return [f"ok: {summary}, no problems"]
