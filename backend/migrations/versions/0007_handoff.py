"""handoff details, callback requests, assisted sessions, dashboard analytics (issue 6)

Revision ID: 0007_handoff
Revises: 0006_reminders
Create Date: 2026-11-26 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_handoff"
down_revision = "0006_reminders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoff_tickets") as batch:
        batch.add_column(
            sa.Column("channel", sa.String(length=16), nullable=False, server_default="web")
        )
        batch.add_column(
            sa.Column("reason", sa.String(length=20), nullable=False, server_default="asked")
        )
        batch.add_column(sa.Column("assigned_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("requested_slot", sa.String(length=60), nullable=True))
    op.create_table(
        "callback_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("preferred_time", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("handled_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["handled_by"], ["staff_users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_callback_requests_sender_id", "callback_requests", ["sender_id"])
    op.create_index("ix_callback_requests_status", "callback_requests", ["status"])
    op.create_table(
        "assisted_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("code_hash", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("verified_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sender_id", name="uq_assisted_sessions_sender_id"),
    )
    op.create_index("ix_assisted_sessions_staff_id", "assisted_sessions", ["staff_id"])
    op.create_index("ix_assisted_sessions_account_id", "assisted_sessions", ["account_id"])
    op.create_table(
        "analytics_senders",
        sa.Column("sender_key", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("last_timestamp", sa.Float(), nullable=False),
        sa.Column("open_run_id", sa.Integer(), nullable=True),
        sa.Column("requested_slot", sa.String(length=60), nullable=True),
        sa.Column("last_action", sa.String(length=80), nullable=True),
        sa.Column("last_user_fallback", sa.Boolean(), nullable=False),
        sa.Column("recent", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("sender_key"),
    )
    op.create_table(
        "analytics_conversation_days",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sender_key", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("user_turns", sa.Integer(), nullable=False),
        sa.Column("fallbacks", sa.Integer(), nullable=False),
        sa.Column("handoff_requested", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", "sender_key", name="uq_analytics_conv_day_sender"),
    )
    op.create_index("ix_analytics_conversation_days_day", "analytics_conversation_days", ["day"])
    op.create_table(
        "analytics_flow_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sender_key", sa.String(length=64), nullable=False),
        sa.Column("flow", sa.String(length=60), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("last_slot", sa.String(length=60), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_analytics_flow_runs_sender_key", "analytics_flow_runs", ["sender_key"])
    op.create_index("ix_analytics_flow_runs_flow", "analytics_flow_runs", ["flow"])
    op.create_index("ix_analytics_flow_runs_day", "analytics_flow_runs", ["day"])


def downgrade() -> None:
    op.drop_table("analytics_flow_runs")
    op.drop_table("analytics_conversation_days")
    op.drop_table("analytics_senders")
    op.drop_table("assisted_sessions")
    op.drop_table("callback_requests")
    with op.batch_alter_table("handoff_tickets") as batch:
        batch.drop_column("requested_slot")
        batch.drop_column("assigned_at")
        batch.drop_column("reason")
        batch.drop_column("channel")
