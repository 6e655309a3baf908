"""deadline reminder opt-ins (issue 5)

Revision ID: 0006_reminders
Revises: 0005_staff
Create Date: 2026-11-26 09:30:00

Reserved in the chain so parallel work on different issues never forks the history; a revision
that turned out to need no schema change stays a no-op.
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0006_reminders"
down_revision = "0005_staff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
