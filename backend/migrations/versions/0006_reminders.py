"""deadline reminder opt-ins, reminders sent, Telegram button keys (issue 5)

Revision ID: 0006_reminders
Revises: 0005_staff
Create Date: 2026-11-26 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_reminders"
down_revision = "0005_staff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminder_subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["portal_accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "sender_id", name="uq_reminder_subscriptions_chat"),
    )
    op.create_index(
        "ix_reminder_subscriptions_account_id", "reminder_subscriptions", ["account_id"]
    )
    op.create_index("ix_reminder_subscriptions_sender_id", "reminder_subscriptions", ["sender_id"])
    op.create_table(
        "reminders_sent",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["employer_id"], ["employers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("employer_id", "month", "sender_id", name="uq_reminders_sent_once"),
    )
    op.create_index("ix_reminders_sent_employer_id", "reminders_sent", ["employer_id"])
    op.create_table(
        "telegram_callbacks",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_telegram_callbacks_created_at", "telegram_callbacks", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_telegram_callbacks_created_at", table_name="telegram_callbacks")
    op.drop_table("telegram_callbacks")
    op.drop_index("ix_reminders_sent_employer_id", table_name="reminders_sent")
    op.drop_table("reminders_sent")
    op.drop_index("ix_reminder_subscriptions_sender_id", table_name="reminder_subscriptions")
    op.drop_index("ix_reminder_subscriptions_account_id", table_name="reminder_subscriptions")
    op.drop_table("reminder_subscriptions")
