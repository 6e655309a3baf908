"""staff_users, staff_audit and handoff_tickets: the helpline staff console (issue 6)

Revision ID: 0005_staff
Revises: 0004_retention_analytics
Create Date: 2026-11-26 08:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_staff"
down_revision = "0004_retention_analytics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staff_users_email", "staff_users", ["email"], unique=True)
    op.create_table(
        "staff_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staff_audit_staff_id", "staff_audit", ["staff_id"])
    op.create_index("ix_staff_audit_employer_id", "staff_audit", ["employer_id"])
    op.create_index("ix_staff_audit_created_at", "staff_audit", ["created_at"])
    op.create_table(
        "handoff_tickets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("flow", sa.String(length=60), nullable=True),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("assigned_to", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["assigned_to"], ["staff_users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_handoff_tickets_sender_id", "handoff_tickets", ["sender_id"])
    op.create_index("ix_handoff_tickets_status", "handoff_tickets", ["status"])


def downgrade() -> None:
    op.drop_index("ix_handoff_tickets_status", table_name="handoff_tickets")
    op.drop_index("ix_handoff_tickets_sender_id", table_name="handoff_tickets")
    op.drop_table("handoff_tickets")
    op.drop_index("ix_staff_audit_created_at", table_name="staff_audit")
    op.drop_index("ix_staff_audit_employer_id", table_name="staff_audit")
    op.drop_index("ix_staff_audit_staff_id", table_name="staff_audit")
    op.drop_table("staff_audit")
    op.drop_index("ix_staff_users_email", table_name="staff_users")
    op.drop_table("staff_users")
