"""analytics_daily: anonymised daily counts kept by the retention job (issue 7)

Revision ID: 0004_retention_analytics
Revises: 0003_contributions
Create Date: 2026-11-26 07:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_retention_analytics"
down_revision = "0003_contributions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_daily",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.Column("conversations", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", "channel", name="uq_analytics_daily_day_channel"),
    )


def downgrade() -> None:
    op.drop_table("analytics_daily")
