"""IC and passport numbers encrypted at rest, with keyed look-up hashes (issue 7, PDPA)

Revision ID: 0011_ic_encryption
Revises: 0010_contribution_chat
Create Date: 2026-11-26 13:00:00

Encrypted (AES-256-GCM, backend/security/pii.py): ``portal_accounts.mykad``,
``portal_applications.mykad``, ``employers.registration_no`` (a sole proprietor's or domestic
employer's MyKad/passport), ``employees.id_no``/``passport_no``, ``contribution_lines.id_no`` and
``contribution_uploads.content`` (payroll files list IC numbers). New HMAC-SHA256 columns
``mykad_hash``/``registration_no_hash``/``id_no_hash``/``passport_no_hash`` carry the exact-match
look-ups, and the uniqueness rules (one registered employer per number, one employee per
registration) now hold on the hashes (ciphertexts never repeat).
Existing rows are encrypted here with the keys of the running settings; the downgrade decrypts
them back into the old columns.

Also (issue 7, /metrics "turns per flow"): ``analytics_flow_runs.turns``, the user turns counted
while the form was active.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_ic_encryption"
down_revision = "0010_contribution_chat"
branch_labels = None
depends_on = None

# (table, column, hash column or None, old length or None for Text)
_COLUMNS: list[tuple[str, str, str | None, int | None]] = [
    ("portal_accounts", "mykad", "mykad_hash", 12),
    ("portal_applications", "mykad", "mykad_hash", 12),
    ("employers", "registration_no", "registration_no_hash", 20),
    ("employees", "id_no", "id_no_hash", 20),
    ("employees", "passport_no", "passport_no_hash", 20),
    ("contribution_lines", "id_no", None, 20),
    ("contribution_uploads", "content", None, None),
]


def _rewrite(table: str, column: str, hash_column: str | None, forward: bool) -> None:
    """Encrypt (and hash) or decrypt every value of one column, row by row."""
    from backend.security import pii

    conn = op.get_bind()
    cols = [sa.column("id"), sa.column(column, sa.Text)]
    if hash_column:
        cols.append(sa.column(hash_column, sa.String))
    t = sa.table(table, *cols)
    rows = conn.execute(sa.select(t.c.id, t.c[column]).where(t.c[column].is_not(None))).all()
    for row_id, value in rows:
        if forward:
            if pii.is_encrypted(value):
                continue
            values = {column: pii.encrypt(value)}
            if hash_column:
                values[hash_column] = pii.lookup_hash(value)
        else:
            if not pii.is_encrypted(value):
                continue
            values = {column: pii.decrypt(value)}
        conn.execute(sa.update(t).where(t.c.id == row_id).values(**values))


def _registered_number_index(column: str) -> None:
    """One registered employer per number (partial: submitted rows), created outside a batch."""
    op.create_index(
        "uq_employers_registered_number",
        "employers",
        ["registration_type", column],
        unique=True,
        sqlite_where=sa.text("status = 'submitted'"),
        postgresql_where=sa.text("status = 'submitted'"),
    )


def upgrade() -> None:
    # The partial index goes first: a batch (SQLite) copy must not carry it over without WHERE.
    op.drop_index("uq_employers_registered_number", table_name="employers")
    with op.batch_alter_table("employers") as batch:
        batch.drop_index("ix_employers_registration_no")
        batch.alter_column("registration_no", type_=sa.Text(), existing_nullable=True)
        batch.add_column(sa.Column("registration_no_hash", sa.String(64), nullable=True))
        batch.create_index(
            "ix_employers_registration_no_hash", ["registration_no_hash"], unique=False
        )
    with op.batch_alter_table("employees") as batch:
        batch.drop_constraint("uq_employees_employer_id", type_="unique")
        batch.drop_index("ix_employees_id_no")
        batch.alter_column("id_no", type_=sa.Text(), existing_nullable=False)
        batch.alter_column("passport_no", type_=sa.Text(), existing_nullable=True)
        batch.add_column(sa.Column("id_no_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("passport_no_hash", sa.String(64), nullable=True))
        batch.create_index("ix_employees_id_no_hash", ["id_no_hash"], unique=False)
        batch.create_index("ix_employees_passport_no_hash", ["passport_no_hash"], unique=False)
    for table in ("portal_accounts", "portal_applications"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("mykad", type_=sa.Text(), existing_nullable=False)
            batch.add_column(sa.Column("mykad_hash", sa.String(64), nullable=True))
            batch.create_index(f"ix_{table}_mykad_hash", ["mykad_hash"], unique=False)
    with op.batch_alter_table("contribution_lines") as batch:
        batch.alter_column("id_no", type_=sa.Text(), existing_nullable=False)

    for table, column, hash_column, _length in _COLUMNS:
        _rewrite(table, column, hash_column, forward=True)

    with op.batch_alter_table("employees") as batch:
        batch.create_unique_constraint(
            "uq_employees_employer_id", ["employer_id", "id_type", "id_no_hash"]
        )
    _registered_number_index("registration_no_hash")
    with op.batch_alter_table("analytics_flow_runs") as batch:
        batch.add_column(sa.Column("turns", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("analytics_flow_runs") as batch:
        batch.drop_column("turns")
    for table, column, hash_column, _length in _COLUMNS:
        _rewrite(table, column, hash_column, forward=False)

    with op.batch_alter_table("contribution_lines") as batch:
        batch.alter_column("id_no", type_=sa.String(20), existing_nullable=False)
    for table in ("portal_accounts", "portal_applications"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_mykad_hash")
            batch.drop_column("mykad_hash")
            batch.alter_column("mykad", type_=sa.String(12), existing_nullable=False)
    with op.batch_alter_table("employees") as batch:
        batch.drop_constraint("uq_employees_employer_id", type_="unique")
        batch.drop_index("ix_employees_passport_no_hash")
        batch.drop_index("ix_employees_id_no_hash")
        batch.drop_column("passport_no_hash")
        batch.drop_column("id_no_hash")
        batch.alter_column("passport_no", type_=sa.String(20), existing_nullable=True)
        batch.alter_column("id_no", type_=sa.String(20), existing_nullable=False)
        batch.create_index("ix_employees_id_no", ["id_no"], unique=False)
        batch.create_unique_constraint(
            "uq_employees_employer_id", ["employer_id", "id_type", "id_no"]
        )
    op.drop_index("uq_employers_registered_number", table_name="employers")
    with op.batch_alter_table("employers") as batch:
        batch.drop_index("ix_employers_registration_no_hash")
        batch.drop_column("registration_no_hash")
        batch.alter_column("registration_no", type_=sa.String(20), existing_nullable=True)
        batch.create_index("ix_employers_registration_no", ["registration_no"], unique=False)
    _registered_number_index("registration_no")
