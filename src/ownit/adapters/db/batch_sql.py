"""Multi-row statements at driver level for the ingest hot path.

SQLAlchemy's per-row parameter processing costs more than the database itself here, so the
writer builds plain SQL once per dialect and hands rows straight to the driver's
``executemany`` (sqlite3's C loop; psycopg's pipeline). Values are converted the way the
tables' types would convert them: aware datetimes as SQLite's text format or as themselves
for PostgreSQL, JSON as text.

On PostgreSQL every round trip is time a batch holds its transaction open (and, once it has
reserved incident numbers, its organisation's row) while the server waits for the client:
:meth:`Sql.together` sends several queries in one round trip, :meth:`Sql.pipeline` lets the
writes that follow go out together (decision 0069). SQLite runs in process: nothing to save,
the same statements run one after the other.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any

import orjson
import psycopg
from sqlalchemy import Connection


class Sql:
    """Statements and value conversion for one connection's dialect."""

    def __init__(self, conn: Connection, *, begin: bool = False) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"
        # PostgreSQL, a connection in autocommit: the transaction's BEGIN goes with the first
        # queries :meth:`together` sends, in their round trip (the driver would wait for it).
        self._begin = begin and not self.sqlite
        self.mark = "?" if self.sqlite else "%s"
        self._texts: dict[datetime, str] = {}  # a batch's rows share a few instants

    def begin_if_pending(self) -> None:
        """The transaction's BEGIN, if no query has carried it yet (inside a pipeline it goes
        with what follows)."""
        if self._begin:
            self._driver().execute("BEGIN")
            self._begin = False

    def ts(self, value: datetime | None) -> Any:
        if value is None or not self.sqlite:
            return value
        text = self._texts.get(value)
        if text is None:
            text = self._texts[value] = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return text

    @staticmethod
    def json(value: Any) -> str | None:
        return None if value is None else orjson.dumps(value).decode()

    def insert(
        self,
        table: str,
        columns: Sequence[str],
        rows: list[tuple[Any, ...]],
        values: str | None = None,
        tail: str = "",
    ) -> None:
        """Insert ``rows``; ``values``: one row's ``VALUES`` item written with ``?`` (one
        mark per column unless an expression takes more or fewer), for each row; ``tail``:
        what follows the values (an ``ON CONFLICT`` clause).

        On PostgreSQL the rows go in one multi-row ``INSERT`` (per :data:`ROWS_AT_ONCE`): the
        server runs one statement, not one per row (decision 0069); SQLite takes them in
        sqlite3's ``executemany`` loop, in process."""
        if not rows:
            return
        one = values or "(" + ", ".join("?" for _ in columns) + ")"
        head = _insert_head(table, tuple(columns))
        if self.sqlite:
            self._driver().executemany(f"{head} VALUES {one}{tail}", rows)
            return
        # psycopg's raw cursor takes PostgreSQL's own $n marks as written: a long statement's
        # %s marks would be parsed again at every execution (psycopg caches short ones only).
        cursor = psycopg.RawCursor(self._driver())
        for start in range(0, len(rows), ROWS_AT_ONCE):
            chunk = rows[start : start + ROWS_AT_ONCE]
            params = [value for row in chunk for value in row]
            cursor.execute(_many_rows(head, one, len(chunk)) + tail, params)

    def run(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """``sql`` written with ``?`` placeholders, executed for every row."""
        if not rows:
            return
        if self.sqlite:
            self._driver().executemany(sql, rows)
        else:
            self.conn.exec_driver_sql(sql.replace("?", "%s"), rows)

    def statement(self, sql: str) -> str:
        """``sql`` written with ``?`` placeholders, in this dialect's."""
        return sql if self.sqlite else sql.replace("?", "%s")

    def rows(self, sql: str, params: tuple[Any, ...]) -> Sequence[Any]:
        statement = sql if self.sqlite else sql.replace("?", "%s")
        return self.conn.exec_driver_sql(statement, params).all()

    def together(self, queries: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Sequence[Any]]:
        """The rows of each query (written with ``?``), in order: on PostgreSQL all sent in one
        pipeline, one round trip (on the driver's cursors: SQLAlchemy cannot read results
        that have not arrived yet), the transaction's ``BEGIN`` with them when they are its
        first (even one query: the driver would send the ``BEGIN`` alone and wait); on
        SQLite one after the other. Rows are read by position."""
        if self.sqlite or not queries:
            return [self.rows(sql, params) for sql, params in queries]
        driver = self._driver()
        cursors = []
        with driver.pipeline():
            self.begin_if_pending()
            for sql, params in queries:
                cursor = driver.cursor()
                cursor.execute(sql.replace("?", "%s"), params)
                cursors.append(cursor)
        found: list[Sequence[Any]] = []
        for cursor in cursors:
            found.append(cursor.fetchall())
            cursor.close()
        return found

    @contextlib.contextmanager
    def pipeline(self) -> Iterator[None]:
        """On PostgreSQL, statements without results run inside go to the server together when
        the block ends (or a result is read); on SQLite, nothing changes."""
        if self.sqlite:
            yield
            return
        with self._driver().pipeline():
            yield

    def _driver(self) -> Any:
        """The psycopg connection under this one."""
        driver = self.conn.connection.driver_connection
        assert driver is not None  # a connection in use is open
        return driver


# Rows in one multi-row INSERT on PostgreSQL: well under its 65,535 parameters a statement.
ROWS_AT_ONCE = 1000


@lru_cache(maxsize=512)
def _many_rows(head: str, one: str, count: int) -> str:
    """``head`` with ``count`` items ``one`` (written with ``?``), numbered ``$1``, ``$2``…"""
    marks = iter(range(1, one.count("?") * count + 1))
    items = (re.sub(r"\?", lambda _: f"${next(marks)}", one) for _ in range(count))
    return f"{head} VALUES {', '.join(items)}"


@cache
def _insert_head(table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    return f'INSERT INTO "{table}" ({names})'
