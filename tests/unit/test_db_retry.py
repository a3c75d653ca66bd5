"""``retried``: a transaction that lost a race runs again; anything else is raised at once."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from ownit.adapters.db.retry import is_transient, retried


def wrapped(orig: Exception) -> OperationalError:
    return OperationalError("UPDATE …", {}, orig)


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (psycopg.errors.DeadlockDetected("deadlock detected"), True),
        (psycopg.errors.SerializationFailure("could not serialize"), True),
        (wrapped(psycopg.errors.DeadlockDetected("deadlock detected")), True),
        (wrapped(psycopg.errors.SerializationFailure("could not serialize")), True),
        (wrapped(psycopg.errors.AdminShutdown("terminating")), False),
        (ValueError("bad"), False),
    ],
)
def test_is_transient(exc: Exception, transient: bool) -> None:
    assert is_transient(exc) is transient


class Flaky:
    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "done"


DEADLOCK = wrapped(psycopg.errors.DeadlockDetected("deadlock detected"))


@pytest.mark.parametrize(
    ("failures", "also", "calls", "result"),
    [
        ([], (), 1, "done"),
        ([DEADLOCK], (), 2, "done"),
        ([DEADLOCK] * 4, (), 5, "done"),
        ([DEADLOCK] * 5, (), 5, OperationalError),  # gives up after five attempts
        ([ValueError("bug")], (), 1, ValueError),  # not a race: raised at once
        ([IntegrityError("INSERT", {}, ValueError())], (), 1, IntegrityError),
        ([IntegrityError("INSERT", {}, ValueError())], (IntegrityError,), 2, "done"),
    ],
)
def test_retried(
    failures: list[Exception],
    also: tuple[type[Exception], ...],
    calls: int,
    result: str | type[Exception],
) -> None:
    work = Flaky(list(failures))
    if isinstance(result, str):
        assert retried(work, also=also, pause=0) == result
    else:
        with pytest.raises(result):
            retried(work, also=also, pause=0)
    assert work.calls == calls
