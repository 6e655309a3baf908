"""The one helper every staff action goes through: a masked row in ``staff_audit``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.domain.identifiers import mask_identifiers
from backend.models import StaffAudit, StaffUser


def record(
    db: Session,
    staff: StaffUser | None,
    action: str,
    *,
    employer_id: int | None = None,
    subject: str = "",
    detail: dict[str, Any] | None = None,
) -> StaffAudit:
    """Add an audit row (flushed; committed with the caller's transaction)."""
    row = StaffAudit(
        staff_id=staff.id if staff else None,
        action=action,
        employer_id=employer_id,
        subject=mask_identifiers(subject or "")[:200],
        detail=detail or {},
    )
    db.add(row)
    db.flush()
    return row


def recent(db: Session, limit: int = 200) -> list[dict[str, Any]]:
    rows = db.execute(
        select(StaffAudit, StaffUser.email)
        .outerjoin(StaffUser, StaffUser.id == StaffAudit.staff_id)
        .order_by(StaffAudit.id.desc())
        .limit(limit)
    )
    return [
        {
            "id": row.id,
            "staff_id": row.staff_id,
            "staff_email": email,
            "action": row.action,
            "employer_id": row.employer_id,
            "subject": row.subject,
            "detail": row.detail,
            "created_at": row.created_at.isoformat(timespec="seconds"),
        }
        for row, email in rows
    ]
