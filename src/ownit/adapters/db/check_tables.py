"""The engine's daily checks (migration 0022): one row per check, its durable timer.

A check is due when ``due_at`` has passed; the engine claims it by moving ``due_at`` on in
one statement (so two engines never both run it) and, once the check has run, sets the next
day. Imported by :mod:`ownit.adapters.db.tables`, which offers it with the others.
"""

from __future__ import annotations

from sqlalchemy import Column, String, Table

from ownit.adapters.db.table_types import TS, metadata

daily_checks = Table(
    "daily_checks",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("due_at", TS, nullable=False),  # the next run (or the end of a claimed run's lease)
    Column("last_run_at", TS, nullable=True),  # when the last run finished
)
