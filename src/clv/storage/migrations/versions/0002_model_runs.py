"""Stored model runs (one row per prediction made in the app) and their backtest metrics.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "model_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("session_id", sa.String(64)),
        sa.Column("data_name", sa.String(200), nullable=False),
        sa.Column("customers", sa.Integer, nullable=False),
        sa.Column("transactions", sa.Integer, nullable=False),
        sa.Column("purchase_model", sa.String(40), nullable=False),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.Column("total", sa.Float, nullable=False),
        sa.Column("total_low", sa.Float, nullable=False),
        sa.Column("total_high", sa.Float, nullable=False),
        sa.Column("duration_seconds", sa.Float, nullable=False),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_model_runs"),
    )
    op.create_index("ix_model_runs_created_at", "model_runs", ["created_at"])
    op.create_table(
        "model_run_metrics",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("model", sa.String(60), nullable=False),
        sa.Column("metric", sa.String(60), nullable=False),
        sa.Column("value", sa.Float),
        sa.PrimaryKeyConstraint("id", name="pk_model_run_metrics"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["model_runs.id"], name="fk_model_run_metrics_run_id_model_runs", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("run_id", "model", "metric", name="uq_model_run_metrics_run_model_metric"),
    )
    op.create_index("ix_model_run_metrics_run_id", "model_run_metrics", ["run_id"])


def downgrade() -> None:
    op.drop_table("model_run_metrics")
    op.drop_table("model_runs")
