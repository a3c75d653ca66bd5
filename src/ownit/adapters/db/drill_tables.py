"""Drills and game days (migration 0016): the catalog's ``Drill`` and ``GameDay`` objects,
each drill run (one incident, scored) and each game-day run (its steps as durable timers,
findings and action items).

Imported by :mod:`ownit.adapters.db.tables`, which offers them with the others.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table

from ownit.adapters.db.table_types import TS, metadata

drills = Table(
    "drills",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("service_id", Integer, ForeignKey("services.id", ondelete="CASCADE"), nullable=False),
    Column("spec", JSON, nullable=False),
    # The recurring run's durable timer (null: no schedule); claimed by the engine.
    Column("next_run_at", TS, nullable=True),
    Column("source", String(200), nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Index("ix_drills_next_run_at", "next_run_at"),
)

drill_runs = Table(
    "drill_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("drill", String(100), nullable=False),  # by name: history outlives the object
    Column("incident_id", String(40), ForeignKey("incidents.id", ondelete="CASCADE")),
    # While the run is open its drill's name, else null: one open run per drill, enforced
    # by the database (a second run meanwhile is refused, 409).
    Column("open_drill", String(100), nullable=True, unique=True),
    Column("started_at", TS, nullable=False),
    Column("started_by", String(200), nullable=False),
    Column("ack_target_seconds", Integer, nullable=False),
    Column("auto_resolve_at", TS, nullable=True),  # the run's own timer while it is open
    Column("ended_at", TS, nullable=True),
    Column("gameday_run_id", Integer, nullable=True),  # a game day's step, when it is one
    Index("ix_drill_runs_drill_started_at", "drill", "started_at"),
    Index("ix_drill_runs_auto_resolve_at", "auto_resolve_at"),
    Index("ix_drill_runs_incident_id", "incident_id"),
)

gamedays = Table(
    "gamedays",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("spec", JSON, nullable=False),
    Column("source", String(200), nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)

gameday_runs = Table(
    "gameday_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("gameday", String(100), nullable=False),
    Column("spec", JSON, nullable=False),  # the game day as it was when the run started
    Column("started_at", TS, nullable=False),
    Column("started_by", String(200), nullable=False),
    # Each step: its due time, and once injected when and which incident (JSON list).
    Column("steps", JSON, nullable=False),
    Column("next_step_at", TS, nullable=True),  # the durable timer of the next step
    Column("findings", JSON, nullable=False),  # list of strings
    Column("actions", JSON, nullable=False),  # action items: title, owner, due, status, link
    Index("ix_gameday_runs_next_step_at", "next_step_at"),
    Index("ix_gameday_runs_gameday", "gameday"),
)
