"""drills and game days: the Drill and GameDay kinds, their runs, incidents.drill

Revision ID: 0016
Revises: 0011
Create Date: 2026-12-06 11:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(
            sa.Column("drill", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "drills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("next_run_at", _TS, nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_drills_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drills")),
        sa.UniqueConstraint("name", name=op.f("uq_drills_name")),
    )
    op.create_index(op.f("ix_drills_next_run_at"), "drills", ["next_run_at"])
    op.create_table(
        "drill_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drill", sa.String(length=100), nullable=False),
        sa.Column("incident_id", sa.String(length=40), nullable=True),
        sa.Column("open_drill", sa.String(length=100), nullable=True),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("ack_target_seconds", sa.Integer(), nullable=False),
        sa.Column("auto_resolve_at", _TS, nullable=True),
        sa.Column("ended_at", _TS, nullable=True),
        sa.Column("gameday_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_drill_runs_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_runs")),
        sa.UniqueConstraint("open_drill", name=op.f("uq_drill_runs_open_drill")),
    )
    op.create_index(op.f("ix_drill_runs_drill_started_at"), "drill_runs", ["drill", "started_at"])
    op.create_index(op.f("ix_drill_runs_auto_resolve_at"), "drill_runs", ["auto_resolve_at"])
    op.create_index(op.f("ix_drill_runs_incident_id"), "drill_runs", ["incident_id"])
    op.create_table(
        "gamedays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gamedays")),
        sa.UniqueConstraint("name", name=op.f("uq_gamedays_name")),
    )
    op.create_table(
        "gameday_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gameday", sa.String(length=100), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("next_step_at", _TS, nullable=True),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gameday_runs")),
    )
    op.create_index(op.f("ix_gameday_runs_next_step_at"), "gameday_runs", ["next_step_at"])
    op.create_index(op.f("ix_gameday_runs_gameday"), "gameday_runs", ["gameday"])


def downgrade() -> None:
    op.drop_table("gameday_runs")
    op.drop_table("gamedays")
    op.drop_table("drill_runs")
    op.drop_table("drills")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("drill")
