"""Linking a foreign worker the SSFW/SSFDW search found, instead of registering them again.

QRG 3(ii) searches by the foreign worker number first. When it finds one of the account's own
registered workers and the user confirms the person, the chat sends only the number, the
employment start date and the wage: the identity, passport, pass/permit and next of kin come
from that record, and the usual rules (passport still valid, start after birth…) still apply.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import Employee, Employer
from backend.services.registration_employees import EmployeeInput, normalise_id
from backend.services.registrations import invalid


def registered_foreign_worker(db: Session, employer: Employer, ssfw_no: str) -> Employee | None:
    """The account's own registered foreign worker with this SSFW/SSFDW number, if any."""
    return db.scalars(
        select(Employee)
        .join(Employer, Employer.id == Employee.employer_id)
        .where(
            Employee.ssfw_no == ssfw_no,
            Employee.residency == "foreign",
            Employer.status == "submitted",
            Employer.account_id == employer.account_id,
        )
        .order_by(Employee.id.desc())
    ).first()


def wants_link(data: EmployeeInput) -> bool:
    """A foreign worker given by SSFW number without a passport: link the record."""
    return (data.residency or "").strip().lower() == "foreign" and bool(
        data.ssfw_no and not data.passport_no
    )


def fill_from_record(db: Session, employer: Employer, data: EmployeeInput, today: date) -> None:
    """Completes ``data`` from the account's record of the worker; refuses an unknown number."""
    number = normalise_id("ssfw", data.ssfw_no or "", today)
    record = registered_foreign_worker(db, employer, number)
    if record is None:
        raise invalid(
            "ssfw_no",
            "none of your registered workers has this SSFW number; give the passport and "
            "permit details to register the worker",
            "ssfw_not_found",
        )
    data.ssfw_no = number
    data.name = data.name or record.name
    data.date_of_birth, data.gender = record.date_of_birth, record.gender
    data.nationality = record.nationality
    data.passport_no = record.passport_no
    data.passport_start, data.passport_end = record.passport_start, record.passport_end
    data.permit_no = record.permit_no
    data.permit_start, data.permit_end = record.permit_start, record.permit_end
    data.kin_name, data.kin_phone = record.kin_name, record.kin_phone
    data.kin_relationship = record.kin_relationship
