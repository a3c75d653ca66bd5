"""Shared fixtures: every storage test runs on SQLite and on PostgreSQL.

What hundreds of tests need and none of them is about is made once per test process, not
once per test (decision 0079 has the figures):

- **The migrated schema** (:class:`Migrations`). The first database of each kind is migrated
  by Alembic, as ``ownit db upgrade`` does; every later one starts as a copy of what that
  made (SQLite: the file; PostgreSQL: the statements the migrations ran, replayed in one
  round trip). ``test_migrations.py`` runs the migrations themselves, on empty databases.
- **Password hashes** (:func:`_cheap_password_hashes`): Argon2id with argon2-cffi's cheapest
  parameters in the test processes. The real parameters cost ~0.1 s a hash and the web tests
  sign in hundreds of times; servers the tests start as processes hash as users' do.
- **A PostgreSQL database** (:func:`pg_server_url`), kept between runs; each test makes a
  schema of its own in it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import argon2
import pytest
from argon2.profiles import CHEAPEST
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from ownit.adapters import passwords
from ownit.adapters.db.engine import make_engine
from ownit.adapters.db.migrate import upgrade

POSTGRES_URL = os.environ.get(
    "OWNIT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def pg_server_url(worker_id: str) -> str:
    """The PostgreSQL database this test process makes its schemas in, each test its own
    (:func:`_pg_schema`, dropped after it). One database per test process, so that one
    process's ``NOTIFY`` never wakes another's engines; kept between runs, empty: to drop a
    database PostgreSQL 15 checkpoints the whole cluster, ~20 s at a run's end (decision
    0079)."""
    name = f"ownit_test_{worker_id}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if found.first() is None:
                with contextlib.suppress(DBAPIError):  # another run made it meanwhile
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, pg_server_url: str
) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ownit.db'}"
        return
    yield from _pg_schema(pg_server_url)


@pytest.fixture
def pg_database_url(pg_server_url: str) -> Iterator[str]:
    """A PostgreSQL schema of its own, for what only PostgreSQL does (several workers)."""
    yield from _pg_schema(pg_server_url)


def _pg_schema(pg_server_url: str) -> Iterator[str]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    # Every connection made with this URL, the servers' a test starts too, is named after
    # the schema: what is left of them at the end is found by that name.
    url = make_url(pg_server_url).update_query_dict(
        {"options": f"-csearch_path={schema}", "application_name": schema}
    )
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        try:
            with admin.connect() as conn:
                # A session left over from this test (a killed server's engine child still
                # finishing a query would deadlock with the drop).
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = :schema"
                    ),
                    {"schema": schema},
                )
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        finally:
            admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes() -> Iterator[None]:
    """Argon2id with the cheapest parameters in this process (the module's docstring)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            passwords, "PasswordHasher", lambda: argon2.PasswordHasher.from_parameters(CHEAPEST)
        )
        yield


class Migrations:
    """The migrated schema, made once per test process and copied for every later database
    (the module's docstring)."""

    def __init__(self, folder: Path) -> None:
        self._sqlite_file = folder / "migrated.db"
        self._sqlite_ready = False
        self._postgresql: list[str] | None = None  # the statements the migrations ran
        self._shape: list[tuple[str, ...]] | None = None  # what they made, until checked

    def sqlite(self, url: str) -> Engine:
        """A migrated SQLite database at ``url`` (its file does not exist yet)."""
        if not self._sqlite_ready:
            template = make_engine(f"sqlite:///{self._sqlite_file}")
            upgrade(template)
            template.dispose()  # the last connection closed: the write-ahead log is merged
            self._sqlite_ready = True
        path = make_url(url).database
        assert path is not None
        shutil.copyfile(self._sqlite_file, path)
        return make_engine(url)

    def postgresql(self, url: str) -> Engine:
        """A migrated PostgreSQL database at ``url`` (its schema is empty)."""
        eng = make_engine(url)
        if self._postgresql is not None:
            with eng.begin() as conn:
                conn.exec_driver_sql(";\n".join(self._postgresql))
                if self._shape is not None:  # the first copy: is it what the migrations made?
                    assert _pg_shape(conn) == self._shape, "the replayed schema differs"
                    self._shape = None
            return eng
        ran: list[str] = []
        plain = True

        def note(conn: Connection, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            nonlocal plain
            if not parameters:
                ran.append(statement)
            elif not statement.lstrip().upper().startswith("SELECT"):
                plain = False  # a write with parameters: not replayed as text, never copied

        event.listen(eng, "before_cursor_execute", note)
        try:
            upgrade(eng)
        finally:
            event.remove(eng, "before_cursor_execute", note)
        if plain:
            self._postgresql = ran
            with eng.connect() as conn:
                self._shape = _pg_shape(conn)
        return eng


def _pg_shape(conn: Connection) -> list[tuple[str, ...]]:
    """The tables, indexes, sequences and constraints of the connection's schema, with each
    constraint's and index's definition, and the version row Alembic keeps."""
    rows = conn.exec_driver_sql(
        "SELECT 'relation', c.relname, c.relkind::text FROM pg_class c "
        "WHERE c.relnamespace = current_schema()::regnamespace "
        "UNION ALL SELECT 'constraint', k.conname, pg_get_constraintdef(k.oid) "
        "FROM pg_constraint k WHERE k.connamespace = current_schema()::regnamespace "
        "UNION ALL SELECT 'index', i.indexname, replace(i.indexdef, i.schemaname || '.', '') "
        "FROM pg_indexes i "
        "WHERE i.schemaname = current_schema() "
        "UNION ALL SELECT 'version', version_num, '' FROM alembic_version"
    )
    return sorted(tuple(str(v) for v in row) for row in rows)


@pytest.fixture(scope="session")
def migrations(tmp_path_factory: pytest.TempPathFactory) -> Migrations:
    return Migrations(tmp_path_factory.mktemp("migrated"))


@pytest.fixture
def engine(database_url: str, migrations: Migrations) -> Iterator[Engine]:
    """A migrated database on both engines."""
    if make_url(database_url).get_backend_name() == "sqlite":
        eng = migrations.sqlite(database_url)
    else:
        eng = migrations.postgresql(database_url)
    try:
        yield eng
    finally:
        eng.dispose()
