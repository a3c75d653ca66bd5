"""The catalog's ``Standard`` and ``Scorecard`` objects (migration 0018, decision 0058).

Imported by :mod:`ownit.adapters.db.tables`, which offers them with the others.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Integer, String, Table, Text

from ownit.adapters.db.table_types import TS, metadata

standards = Table(
    "standards",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("description", Text, nullable=False, server_default=""),
    Column("spec", JSON, nullable=False),
    Column("source", String(200), nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)

scorecards = Table(
    "scorecards",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("spec", JSON, nullable=False),
    Column("source", String(200), nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)
