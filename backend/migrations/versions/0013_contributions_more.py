"""contribution uploads keep the scheme decided when the file was sent (issue 4)

Revision ID: 0013_contributions_more
Revises: 0011_ic_encryption
Create Date: 2026-11-26 13:45:00

``contribution_uploads.act``: the scheme (``act4``/``act800``/``both``) decided when a payroll
file was sent in the chat — from its caption ("EIS") or file name. An older 223-character file
does not say whether it is SOCSO-only or EIS-only, and the caption is not in the stored upload,
so "import the good lines only" later must read the scheme from here, not guess again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_contributions_more"
down_revision = "0011_ic_encryption"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contribution_uploads") as batch:
        batch.add_column(sa.Column("act", sa.String(6), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contribution_uploads") as batch:
        batch.drop_column("act")
