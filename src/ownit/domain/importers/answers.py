"""Saved or fetched API answers, read with clear errors naming the file and the field.

An import reads *answers*: for each list file of the saved-answer layout (``users``,
``team_members/PT1``, …, without ``.json``), the pages the source API returned, in order.
A page is the JSON object the API answered; :func:`items` joins the lists under one key of
every page. Every accessor raises :class:`AnswerError` naming the file and the field path
(``schedules.json: schedules[1].time_zone: missing``) when a value is missing or of the
wrong type, so bad input never ends in a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

Answers = Mapping[str, Sequence[object]]
"""List file name (no ``.json``) → the pages answered for it."""


class AnswerError(ValueError):
    """An answer that does not have the documented shape."""


@dataclass(frozen=True, slots=True)
class Obj:
    """One JSON object of an answer and where it is (``users.json: users[3]``)."""

    data: Mapping[str, object]
    where: str

    def _at(self, key: str) -> str:
        return f"{self.where}.{key}"

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str) -> object:
        return self.data.get(key)

    def text(self, key: str) -> str:
        value = self.opt_text(key)
        if value is None:
            raise AnswerError(f"{self._at(key)}: missing")
        return value

    def opt_text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise AnswerError(f"{self._at(key)}: expected a string, got {type(value).__name__}")
        return value

    def number(self, key: str, default: int | None = None) -> int:
        value = self.opt_number(key)
        if value is None:
            if default is None:
                raise AnswerError(f"{self._at(key)}: missing")
            return default
        return value

    def opt_number(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise AnswerError(f"{self._at(key)}: expected a number, got {type(value).__name__}")
        if isinstance(value, float) and not value.is_integer():
            raise AnswerError(f"{self._at(key)}: expected a whole number, got {value}")
        return int(value)

    def obj(self, key: str) -> Obj:
        found = self.opt_obj(key)
        if found is None:
            raise AnswerError(f"{self._at(key)}: missing")
        return found

    def opt_obj(self, key: str) -> Obj | None:
        value = self.data.get(key)
        if value is None:
            return None
        return as_obj(value, self._at(key))

    def objs(self, key: str) -> list[Obj]:
        """The objects of a list field; a missing or null field is an empty list."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise AnswerError(f"{self._at(key)}: expected a list")
        return [as_obj(v, f"{self._at(key)}[{i}]") for i, v in enumerate(value)]

    def texts(self, key: str) -> list[str]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise AnswerError(f"{self._at(key)}: expected a list of strings")
        return [str(v) for v in value]

    def ref(self, key: str) -> str:
        """The ``id`` of a reference object (``{"id": "P1", "type": "user_reference"}``)."""
        return self.obj(key).text("id")

    def instant(self, key: str) -> datetime:
        found = self.opt_instant(key)
        if found is None:
            raise AnswerError(f"{self._at(key)}: missing")
        return found

    def opt_instant(self, key: str) -> datetime | None:
        value = self.opt_text(key)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise AnswerError(f"{self._at(key)}: {value!r} is not an ISO 8601 date-time") from None
        if parsed.tzinfo is None:
            raise AnswerError(f"{self._at(key)}: {value!r} has no UTC offset")
        return parsed


def as_obj(value: object, where: str) -> Obj:
    if not isinstance(value, Mapping):
        raise AnswerError(f"{where}: expected an object, got {type(value).__name__}")
    return Obj(value, where)


def single(answers: Answers, file: str, key: str) -> Obj | None:
    """The object under ``key`` in the last page of ``file`` (an answer about one object,
    ``{"schedule": {…}}``), or ``None`` when the file is absent."""
    pages = answers.get(file)
    if not pages:
        return None
    page = as_obj(pages[-1], f"{file}.json")
    if page.raw(key) is None:
        raise AnswerError(f"{file}.json: {key}: missing")
    return as_obj(page.raw(key), f"{file}.json: {key}")


def items(answers: Answers, file: str, key: str, *, required: bool = True) -> list[Obj]:
    """The objects under ``key`` in every page of ``file``, pages in order.

    A missing file is an error when ``required`` (the saved-answer layout names it) and no
    objects otherwise. A page whose ``key`` holds one object (Opsgenie's heartbeat list
    nests ``data.heartbeats``) is read through ``key`` written with a dot.
    """
    pages = answers.get(file)
    if pages is None:
        if required:
            raise AnswerError(f"{file}.json: missing (the saved answers must include it)")
        return []
    found: list[Obj] = []
    for p, page in enumerate(pages):
        where = f"{file}.json" + (f" page {p + 1}" if len(pages) > 1 else "")
        obj = as_obj(page, where)
        *outer, last = key.split(".")
        for part in outer:
            obj = obj.obj(part)
        for i, item in enumerate(obj.objs(last)):
            found.append(Obj(item.data, f"{where}: {key}[{i}]"))
    return found
