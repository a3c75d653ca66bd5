"""Saved API answers (``--from DIR``): every ``*.json`` below DIR, keyed by its path without
``.json`` (``team_members/PT1``). A file holds one answer (an object) or several pages of
answers (a JSON array of objects, as concatenated by hand or by ``ownit import --save``)."""

from __future__ import annotations

import json
from pathlib import Path

from ownit.domain.importers import AnswerError, Answers


def read_answers(directory: str) -> Answers:
    root = Path(directory)
    if not root.is_dir():
        raise AnswerError(f"{directory}: not a directory of saved answers")
    answers: dict[str, list[object]] = {}
    for path in sorted(root.rglob("*.json")):
        name = path.relative_to(root).with_suffix("").as_posix()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise AnswerError(f"{path}:{exc.lineno}: not JSON ({exc.msg})") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise AnswerError(f"{path}: cannot read ({exc})") from None
        answers[name] = list(data) if isinstance(data, list) else [data]
    return answers
