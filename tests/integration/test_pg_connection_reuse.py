"""PostgreSQL connections are reused hottest first and keep their prepared statements
(decision 0072).

A pool handing out its connections in turn spread the ingest writer's batches over all of
them: each connection parsed and planned the batch's statements again until it had seen
them five times, and psycopg kept at most 100 prepared per connection, fewer than a batch's
statements of every size."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from ownit.adapters.db.engine import PREPARED_MAX, make_engine


@pytest.fixture
def pg_engine(pg_database_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def _backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_the_connection_last_returned_is_handed_out_next(pg_engine: Engine) -> None:
    with pg_engine.connect() as first, pg_engine.connect() as second:
        older = int(first.execute(text("SELECT pg_backend_pid()")).scalar_one())
        newer = int(second.execute(text("SELECT pg_backend_pid()")).scalar_one())
        # ``first`` goes back last (the block ends in reverse): it is the one reused.
    assert older != newer
    assert [_backend(pg_engine) for _ in range(5)] == [older] * 5


def test_a_connection_keeps_statements_prepared_beyond_psycopgs_default(
    pg_engine: Engine,
) -> None:
    many = 150  # more than psycopg's default of 100
    with pg_engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        assert raw.prepared_max == PREPARED_MAX
        cursor = raw.cursor()
        for width in range(1, many + 1):
            sql = "SELECT " + ", ".join(["%s"] * width)
            for _ in range(6):  # prepared from the fifth use on
                cursor.execute(sql, list(range(width)))
        kept = cursor.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()
    assert kept is not None
    assert kept[0] == many
