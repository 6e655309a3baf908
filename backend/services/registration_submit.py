"""Submitting a registration (QRG 4 SUBMIT → CONFIRM): completeness, employer code, letters.

Complete means every mandatory field, every mandatory document and at least one employee.
Then the employer gets its code (see :mod:`backend.domain.registration` for the check letter),
employees become "registered" (foreign ones get an SSFW number of this system's own shape,
unconfirmed), and the letters are generated: Registration Acknowledgement, Induction,
Successful Registration and, only when some employee is not covered by EIS, EIS Rejection.
They are emailed to the employer's address when it has one; signed links are returned always.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.domain import registration as rules
from backend.errors import ApiError
from backend.models import Employer, RegistrationLetter
from backend.services import files
from backend.services.document_store import document_store
from backend.services.email import send_email
from backend.services.registration_documents import PDF_FILE_KIND, store_pdf
from backend.services.registration_pdfs import LETTER_TITLES, render_letter
from backend.services.registrations import (
    _check_duplicate,
    checklist_status,
    employees_of,
    missing_fields,
    require_draft,
)
from backend.settings import Settings

log = logging.getLogger(__name__)
LETTER_ORDER = ("acknowledgement", "induction", "success", "eis_rejection")


def letters_view(db: Session, employer: Employer, settings: Settings) -> list[dict[str, Any]]:
    rows = db.scalars(
        select(RegistrationLetter).where(
            RegistrationLetter.employer_id == employer.id,
            RegistrationLetter.kind.in_(LETTER_ORDER),
        )
    ).all()
    rows = sorted(rows, key=lambda r: LETTER_ORDER.index(r.kind))
    return [
        {
            "kind": row.kind,
            "title": LETTER_TITLES[row.kind][1],
            "title_ms": LETTER_TITLES[row.kind][0],
            "url": files.file_url(settings, PDF_FILE_KIND, row.id),
        }
        for row in rows
    ]


def completeness(db: Session, employer: Employer) -> dict[str, Any]:
    checklist = checklist_status(db, employer)
    return {
        "missing_fields": missing_fields(employer),
        "missing_documents": [
            item["doc_type"] for item in checklist if item["mandatory"] and not item["uploaded"]
        ],
        "needs_employee": not employees_of(db, employer),
    }


def _email(employer: Employer, language: str) -> tuple[str, str]:
    name, code = employer.employer_name, employer.employer_code
    if language == "ms":
        return (
            f"Pendaftaran majikan berjaya: {code}",
            f"Salam,\n\nPendaftaran {name} dengan PERKESO berjaya. Kod majikan: {code}\n"
            f"Rujukan: {employer.reference}\n\nSurat-surat pendaftaran dilampirkan. Caruman "
            "setiap bulan perlu dibayar selewat-lewatnya pada 15hb bulan berikutnya.\n\n"
            "ASSIST Assistant\n",
        )
    return (
        f"Employer registration successful: {code}",
        f"Dear employer,\n\nThe registration of {name} with PERKESO is successful. Employer "
        f"code: {code}\nReference: {employer.reference}\n\nThe registration letters are "
        "attached. Each month's contributions are due by the 15th of the following month.\n\n"
        "ASSIST Assistant\n",
    )


def submit(db: Session, settings: Settings, employer: Employer, now: datetime) -> dict[str, Any]:
    require_draft(employer)
    missing = completeness(db, employer)
    if missing["missing_fields"] or missing["missing_documents"] or missing["needs_employee"]:
        parts = []
        if missing["missing_fields"]:
            parts.append("fields: " + ", ".join(missing["missing_fields"]))
        if missing["missing_documents"]:
            parts.append("documents: " + ", ".join(missing["missing_documents"]))
        if missing["needs_employee"]:
            parts.append("at least one employee")
        raise ApiError(
            422,
            "incomplete",
            "the registration is not complete; missing " + "; ".join(parts),
            **missing,
        )
    assert employer.registration_no  # noqa: S101 - guaranteed by missing_fields
    _check_duplicate(db, employer, employer.registration_no)

    prefix = "D" if employer.registration_type == "domestic" else "E"
    employer.employer_code = rules.make_employer_code(prefix, employer.state or "", employer.id)
    employer.status = "submitted"
    employer.submitted_at = employer.updated_at = now
    employees = employees_of(db, employer)
    for employee in employees:
        employee.status = "registered"
        employee.updated_at = now
        if employee.residency == "foreign" and not employee.ssfw_no:
            employee.ssfw_no = f"{now.year:04d}{employee.id:08d}"
    try:
        db.flush()
    except IntegrityError as exc:
        db.rollback()
        raise ApiError(409, "employer_exists", "this employer was registered meanwhile") from exc

    kinds = ["acknowledgement", "induction", "success"]
    if any(not e.eis_eligible for e in employees):
        kinds.append("eis_rejection")
    store = document_store(settings)
    rows = []
    for kind in kinds:
        rows.append(
            store_pdf(
                db,
                settings,
                employer,
                kind,
                lambda path, kind=kind: render_letter(kind, employer, employees, path, now),
                now,
            )
        )
    email_sent = False
    if employer.email:
        subject, body = _email(employer, employer.language)
        try:
            outbox = send_email(
                db,
                employer.email,
                subject,
                body,
                [store.local_path(r.storage_key) for r in rows],
                settings=settings,
            )
            email_sent = outbox.sent_via == "smtp" or not settings.smtp_host
        except OSError:
            log.exception("registration %s: letters email failed", employer.reference)
    db.commit()
    log.info("registration %s submitted: %s", employer.reference, employer.employer_code)
    return {
        "status": "submitted",
        "message": "Registration is successful",
        "id": employer.id,
        "reference": employer.reference,
        "employer_code": employer.employer_code,
        "employer_name": employer.employer_name,
        "letters": letters_view(db, employer, settings),
        "email": employer.email,
        "email_sent": email_sent,
        "flags": list(employer.flags or []),
    }
