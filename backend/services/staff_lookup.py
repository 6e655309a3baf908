"""Staff look-up: an employer (code, SSM number, name) or an employee (MyKad, passport, SSFW).

Read-only over the registration and contribution tables; employee IDs are masked unless the
caller asks to reveal one (the router audits that). Download links use the signed helper.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from backend.domain.identifiers import mask_identifiers, mask_mykad
from backend.errors import ApiError
from backend.models import (
    Contribution,
    Employee,
    Employer,
    Payment,
    PaymentItem,
    PortalAccount,
    Receipt,
    RegistrationLetter,
)
from backend.security import lookup_hash
from backend.services import contributions as contribution_service
from backend.services import files
from backend.services.payments import RECEIPT_KIND
from backend.services.registration_documents import PDF_FILE_KIND
from backend.settings import Settings

MAX_RESULTS = 20
_SEPARATORS = re.compile(r"[\s\-]")


def mask_id(id_no: str) -> str:
    digits = _SEPARATORS.sub("", id_no or "")
    if digits.isdigit() and len(digits) == 12:
        return mask_mykad(digits)
    if len(digits) <= 4:
        return "*" * len(digits)
    return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]


def search(db: Session, query: str) -> dict[str, list[dict[str, Any]]]:
    """Employers matching the text and employees whose ID/SSFW/passport equals it."""
    text = (query or "").strip()
    if len(text) < 2:
        return {"employers": [], "employees": []}
    compact = _SEPARATORS.sub("", text).upper()
    employers = db.scalars(
        select(Employer)
        .where(
            or_(
                func.upper(Employer.employer_code) == compact,
                func.upper(Employer.reference) == compact,
                Employer.registration_no_hash == lookup_hash(compact),
                func.upper(Employer.employer_name).contains(text.upper()),
            )
        )
        .order_by(Employer.id)
        .limit(MAX_RESULTS)
    ).all()
    employees = db.scalars(
        select(Employee)
        .where(
            or_(
                Employee.id_no_hash == lookup_hash(compact),  # encrypted: keyed hash
                func.upper(Employee.ssfw_no) == compact,
                Employee.passport_no_hash == lookup_hash(compact),
            )
        )
        .order_by(Employee.id)
        .limit(MAX_RESULTS)
    ).all()
    names = {
        e.id: e.employer_name
        for e in db.scalars(
            select(Employer).where(Employer.id.in_({x.employer_id for x in employees}))
        )
    }
    return {
        "employers": [_employer_summary(e) for e in employers],
        "employees": [
            {
                "id": e.id,
                "name": e.name,
                "id_masked": mask_id(e.id_no),
                "employer_id": e.employer_id,
                "employer_name": names.get(e.employer_id),
                "status": e.status,
            }
            for e in employees
        ],
    }


def _employer_summary(e: Employer) -> dict[str, Any]:
    return {
        "id": e.id,
        "employer_code": e.employer_code,
        "reference": e.reference,
        "registration_no": e.registration_no,
        "employer_name": e.employer_name,
        "status": e.status,
        "email": e.email,
    }


def months_due(db: Session, employer: Employer, today: date) -> list[dict[str, Any]]:
    """The months the employer still owes (newest first), exactly as the chat lists them.

    The same rule as the employer's own pending list, so the agent and the caller see the same
    months: a month with employees that has ended and has no Monthly submission for both acts.
    An employer without an employer code owes nothing yet.
    """
    owner = db.get(PortalAccount, employer.account_id)
    if owner is None or not employer.employer_code:
        return []
    try:
        return contribution_service.pending_months(
            db, owner, employer.id, today, contribution_service.config()
        )
    except ApiError:
        return []


def employer_detail(
    db: Session,
    settings: Settings,
    employer_id: int,
    reveal: int | None = None,
    today: date | None = None,
) -> dict[str, Any] | None:
    """Everything the console shows about one employer; ``today`` adds the months still owed."""
    employer = db.get(Employer, employer_id)
    if employer is None:
        return None
    due = months_due(db, employer, today) if today else []
    employees = db.scalars(
        select(Employee).where(Employee.employer_id == employer.id).order_by(Employee.id)
    ).all()
    contributions = db.scalars(
        select(Contribution)
        .where(Contribution.employer_id == employer.id)
        .order_by(Contribution.month, Contribution.id)
    ).all()
    letters = db.scalars(
        select(RegistrationLetter)
        .where(RegistrationLetter.employer_id == employer.id)
        .order_by(RegistrationLetter.id)
    ).all()
    payments = db.scalars(
        select(Payment).where(Payment.employer_id == employer.id).order_by(Payment.id)
    ).all()
    receipts = {
        r.payment_id: r
        for r in db.scalars(select(Receipt).where(Receipt.payment_id.in_([p.id for p in payments])))
    }
    references: dict[int, list[str]] = {}
    for item in db.scalars(
        select(PaymentItem).where(PaymentItem.payment_id.in_([p.id for p in payments]))
    ):
        references.setdefault(item.payment_id, []).append(item.reference)
    return {
        "employer": _employer_summary(employer),
        "employees": [
            {
                "id": e.id,
                "name": e.name,
                "id_type": e.id_type,
                "id_no": e.id_no if reveal == e.id else mask_id(e.id_no),
                "revealed": reveal == e.id,
                "ssfw_no": e.ssfw_no,
                "start_date": e.start_date.isoformat(),
                "status": e.status,
            }
            for e in employees
        ],
        "contributions": [
            {
                "id": c.id,
                "month": c.month,
                "type": c.contribution_type,
                "status": c.status,
                "submitted": c.status == "submitted",
                "acr_no": c.acr_no,
                "ecr_no": c.ecr_no,
                "total_employees": c.total_employees,
            }
            for c in contributions
        ],
        "months_submitted": sorted({c.month for c in contributions if c.status == "submitted"}),
        # Drafts not submitted yet, and months owed that nobody has started.
        "months_pending": sorted(
            {c.month for c in contributions if c.status != "submitted"}
            | {row["month"] for row in due}
        ),
        "months_due": due,
        "letters": [
            {
                "id": row.id,
                "kind": row.kind,
                "created_at": row.created_at.isoformat(timespec="seconds"),
                "url": files.file_url(settings, PDF_FILE_KIND, row.id),
            }
            for row in letters
        ],
        "payments": [
            {
                "id": p.id,
                "seller_order_no": p.seller_order_no,
                "amount": str(p.amount),
                "state": p.state,
                "references": references.get(p.id, []),
                "receipt_no": receipts[p.id].receipt_no if p.id in receipts else None,
                "receipt_url": (
                    files.file_url(settings, RECEIPT_KIND, receipts[p.id].id)
                    if p.id in receipts and receipts[p.id].pdf_path
                    else None
                ),
            }
            for p in payments
        ],
    }


def subject_for(query: str) -> str:
    """The masked look-up text for the audit log."""
    return mask_identifiers(query)
