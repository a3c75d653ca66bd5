"""The database for one command: opened (and migrated) at the start, closed at the end."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from ownit.bootstrap import open_database
from ownit.settings import Settings


@contextmanager
def database(settings: Settings, *, migrate: bool = True) -> Iterator[Engine]:
    engine = open_database(settings, migrate=migrate)
    try:
        yield engine
    finally:
        engine.dispose()
