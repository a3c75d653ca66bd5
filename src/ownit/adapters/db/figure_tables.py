"""Per-incident analytics figures, stored once they are known (migration 0013).

Imported by :mod:`ownit.adapters.db.tables`, which offers it with the others.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, ForeignKey, Index, Integer, String, Table

from ownit.adapters.db.table_types import TS, metadata

FIGURES_INDEXED = (
    "created_at",
    "incident_id",
    "alert_count",
    "resolved_at",
    "acknowledged_at",
    "merged_into",
    "tta",
    "ttr",
    "escalated",
    "auto_resolved",
    "noise",
    "alert_key",
)
"""The covering index's columns: the window first, then everything a report reads."""

# One row per incident: the figures analytics adds up (``domain.analytics.history.Facts``),
# computed from its history by the same rules, and written in the transaction that made them
# known (an acknowledgement, a resolution, a page). ``alert_count``, ``resolved_at`` and
# ``acknowledged_at`` are the incident row's values the figures were computed from: when the
# incident row no longer matches (a path that does not write the figures changed it), the
# row is stale: a report computes it in memory, the worker stores it (decisions 0038, 0062).
incident_figures = Table(
    "incident_figures",
    metadata,
    Column(
        "incident_id",
        String(40),
        ForeignKey("incidents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("alert_key", String(255), nullable=False),
    Column("merged_into", String(40), nullable=True),
    Column("tta", Float, nullable=True),
    Column("ttr", Float, nullable=True),
    Column("escalated", Boolean, nullable=False),
    Column("auto_resolved", Boolean, nullable=False),
    Column("noise", Boolean, nullable=False),
    Column("alert_count", Integer, nullable=False),
    Column("resolved_at", TS, nullable=True),
    Column("acknowledged_at", TS, nullable=True),
    # The incident's creation (it never changes), so that a report's window is a range of
    # this index, which holds every column a report reads (migration 0020, decision 0063).
    Column("created_at", TS, nullable=True),
    Index("ix_incident_figures_created_at", *FIGURES_INDEXED),
)
