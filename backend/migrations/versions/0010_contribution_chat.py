"""contribution chat additions (issue 4): fclb_notices, contribution_uploads

Revision ID: 0010_contribution_chat
Revises: 0009_registration_chat
Create Date: 2026-11-26 09:30:00

``fclb_notices``: one late-payment interest notice per ACR/ECR paid after its due date, issued
with the payment's receipt (QRG 7). ``contribution_uploads``: a payroll file sent in the chat,
kept so the user can import only its good lines after seeing the errors.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_contribution_chat"
down_revision = "0009_registration_chat"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fclb_notices",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("notice_no", sa.String(24), nullable=False, unique=True),
        sa.Column(
            "employer_id",
            sa.Integer(),
            sa.ForeignKey("employers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "contribution_id",
            sa.Integer(),
            sa.ForeignKey("contributions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "payment_id",
            sa.Integer(),
            sa.ForeignKey("payments.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("reference", sa.String(20), nullable=False, unique=True),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("days_late", sa.Integer(), nullable=False),
        sa.Column("late_months", sa.Integer(), nullable=False),
        sa.Column("interest", sa.Numeric(14, 2), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "contribution_uploads",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("portal_accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "employer_id",
            sa.Integer(),
            sa.ForeignKey("employers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("file_format", sa.String(8), nullable=False),
        sa.Column("month", sa.String(7), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column(
            "contribution_id",
            sa.Integer(),
            sa.ForeignKey("contributions.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("contribution_uploads")
    op.drop_table("fclb_notices")
