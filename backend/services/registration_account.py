"""The account page's registrations (QRG 2–4): every registration the account holds, its status,
the employer code once registered and the letters to download, in English or Malay.

Kept apart from ``page_strings`` so the registration flow owns its wording; the router only
passes the rows and strings to ``account.html``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.models import Employee, Employer
from backend.services.registration_submit import letters_view
from backend.settings import Settings

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "heading": "Employer registrations",
        "reference": "Reference",
        "type": "Type",
        "employer": "Employer",
        "status": "Status",
        "employer_code": "Employer code",
        "employees": "Employees",
        "updated": "Last change",
        "letters": "Letters",
        "type_employer": "Employer",
        "type_domestic": "Domestic worker employer",
        "status_draft": "Draft (not submitted)",
        "status_submitted": "Registered",
        "none": "No registrations yet. Say 'register employer' in the chat to start one.",
        "no_letters": "Letters come when the registration is submitted.",
        "draft_hint": "Say 'continue' in the chat to finish it, "
        "or 'discard my draft' to delete it.",
    },
    "ms": {
        "heading": "Pendaftaran majikan",
        "reference": "Rujukan",
        "type": "Jenis",
        "employer": "Majikan",
        "status": "Status",
        "employer_code": "Kod majikan",
        "employees": "Pekerja",
        "updated": "Perubahan terakhir",
        "letters": "Surat",
        "type_employer": "Majikan",
        "type_domestic": "Majikan pekerja domestik",
        "status_draft": "Draf (belum dihantar)",
        "status_submitted": "Berdaftar",
        "none": "Belum ada pendaftaran. Taip 'daftar majikan' dalam sembang untuk bermula.",
        "no_letters": "Surat diberi apabila pendaftaran dihantar.",
        "draft_hint": "Taip 'sambung' dalam sembang untuk menyelesaikannya, "
        "atau 'buang draf' untuk memadamnya.",
    },
}


def strings(language: str) -> dict[str, str]:
    return STRINGS["ms" if language == "ms" else "en"]


def account_registrations(
    db: Session, settings: Settings, account_id: int, language: str
) -> list[dict[str, Any]]:
    """One row per registration of this account (never another's), newest first."""
    employers = db.scalars(
        select(Employer).where(Employer.account_id == account_id).order_by(Employer.id.desc())
    ).all()
    counts = dict(
        db.execute(
            select(Employee.employer_id, func.count(Employee.id))
            .where(Employee.employer_id.in_([e.id for e in employers] or [0]))
            .group_by(Employee.employer_id)
        ).all()
    )
    text = strings(language)
    rows = []
    for employer in employers:
        letters = letters_view(db, employer, settings) if employer.status == "submitted" else []
        rows.append(
            {
                "reference": employer.reference,
                "type": text.get(f"type_{employer.registration_type}", employer.registration_type),
                "employer_name": employer.employer_name or "-",
                "status": employer.status,
                "status_text": text.get(f"status_{employer.status}", employer.status),
                "employer_code": employer.employer_code or "-",
                "employees": counts.get(employer.id, 0),
                "updated_at": employer.updated_at,
                "letters": [
                    {
                        "title": letter["title_ms"] if language == "ms" else letter["title"],
                        "url": letter["url"],
                    }
                    for letter in letters
                ],
            }
        )
    return rows
