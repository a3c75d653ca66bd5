"""Postmortems, their action items and the reminders sent about them (migration 0015).

Imported by :mod:`ownit.adapters.db.tables`, which offers them with the others.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, ForeignKey, Index, Integer, String, Table, Text

from ownit.adapters.db.table_types import TS, metadata

# One per incident: merged incidents share the one of the incident they were merged into.
postmortems = Table(
    "postmortems",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "incident_id",
        String(40),
        ForeignKey("incidents.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("title", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("owner", String(100), nullable=True),  # a user's name
    Column("due", Date, nullable=False),
    Column("sections", JSON, nullable=False),  # {section: markdown}
    Column("marks", JSON, nullable=False),  # {timeline key: {hidden, note}}
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("closed_at", TS, nullable=True),
    Index("ix_postmortems_status_due", "status", "due"),
)

postmortem_actions = Table(
    "postmortem_actions",
    metadata,
    Column(
        "postmortem_id",
        Integer,
        ForeignKey("postmortems.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("number", Integer, primary_key=True),
    Column("title", Text, nullable=False),
    Column("owner", String(100), nullable=False),
    Column("due", Date, nullable=False),
    Column("status", String(10), nullable=False),
    Column("link", Text, nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Index("ix_postmortem_actions_status_due", "status", "due"),
)

# Once per item (0: the postmortem itself) and due date: a reminder is never sent twice.
postmortem_reminders = Table(
    "postmortem_reminders",
    metadata,
    Column(
        "postmortem_id",
        Integer,
        ForeignKey("postmortems.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("item", Integer, primary_key=True),
    Column("due", Date, primary_key=True),
    Column("sent_at", TS, nullable=False),
)
