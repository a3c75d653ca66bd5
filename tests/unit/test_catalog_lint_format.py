"""``ownit catalog lint --format``: GitHub workflow commands and JSON, escaped as documented."""

from __future__ import annotations

import json

import pytest

from ownit.cli.catalog_output import github_command, render_problems
from ownit.domain.catalog import Problem

PROBLEM = Problem(
    "services.yaml", 14, 'escalationPolicy "payment" does not exist (did you mean "payments"?)'
)


@pytest.mark.parametrize(
    ("problem", "command"),
    [
        (
            PROBLEM,
            '::error file=services.yaml,line=14::escalationPolicy "payment" does not exist '
            '(did you mean "payments"?)',
        ),
        (Problem("a.yaml", 0, "cannot read"), "::error file=a.yaml::cannot read"),
        (Problem("", 0, "no file"), "::error::no file"),
        (
            Problem("a.yaml", 3, "100% sure\r\nreally"),
            "::error file=a.yaml,line=3::100%25 sure%0D%0Areally",
        ),
        (
            Problem("dir,1/c:d%.yaml", 2, "x: y, z"),
            "::error file=dir%2C1/c%3Ad%25.yaml,line=2::x: y, z",
        ),
    ],
)
def test_github_workflow_commands(problem: Problem, command: str) -> None:
    assert github_command(problem) == command


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (
            "human",
            [
                'services.yaml:14: escalationPolicy "payment" does not exist (did you mean '
                '"payments"?)',
                "1 problem (1 file, 2 documents)",
            ],
        ),
        (
            "github",
            [
                '::error file=services.yaml,line=14::escalationPolicy "payment" does not exist '
                '(did you mean "payments"?)',
                "1 problem (1 file, 2 documents)",
            ],
        ),
    ],
)
def test_text_formats(fmt: str, expected: list[str]) -> None:
    assert render_problems([PROBLEM], fmt, "1 file, 2 documents") == expected


@pytest.mark.parametrize("fmt", ["human", "github"])
def test_no_problems(fmt: str) -> None:
    assert render_problems([], fmt, "1 file, 2 documents") == [
        "ok: 1 file, 2 documents, no problems"
    ]


def test_json() -> None:
    [text] = render_problems([PROBLEM, Problem("b.yaml", 0, "cannot read")], "json", "")
    assert json.loads(text) == {
        "ok": False,
        "problems": [
            {"file": "services.yaml", "line": 14, "message": PROBLEM.message, "severity": "error"},
            {"file": "b.yaml", "line": None, "message": "cannot read", "severity": "error"},
        ],
    }
    assert json.loads(render_problems([], "json", "")[0]) == {"ok": True, "problems": []}
