"""production path: analytics events from the broker, IC encryption (issue 7)

Revision ID: 0008_production
Revises: 0007_handoff
Create Date: 2026-11-26 09:30:00

Reserved in the chain so parallel work on different issues never forks the history; a revision
that turned out to need no schema change stays a no-op.
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0008_production"
down_revision = "0007_handoff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
