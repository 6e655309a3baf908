"""Employees of a registration (QRG 3): search first, then register local or foreign workers.

The SOCSO category and EIS cover are stored with a one-sentence explanation; they follow from
the facts through :func:`backend.domain.registration.employee_coverage` (the rates module's
rules). A date of birth or gender that disagrees with the MyKad is refused unless the user
insists (``confirm_mismatch``); then it is kept and flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.domain import registration as rules
from backend.domain.identifiers import IdentifierError, parse_mykad
from backend.domain.money import MoneyError, format_ringgit, parse_ringgit
from backend.errors import ApiError
from backend.models import Employee, Employer
from backend.security import lookup_hash
from backend.services.registrations import (
    clean_text,
    employees_of,
    employer_since,
    invalid,
    mask_id,
    normalise_nationality,
    parse_date,
    refresh_flags,
    require_draft,
)

LOCAL_ID_TYPES = ("mykad", "old_ic", "army", "police")


@dataclass
class EmployeeInput:
    residency: str = "local"
    id_type: str = "mykad"
    id_no: str = ""
    name: str = ""
    date_of_birth: Any = None
    gender: str | None = None
    start_date: Any = None
    monthly_wage: Any = None
    confirm_mismatch: bool = False
    worker_type: str | None = None
    ssfw_no: str | None = None
    nationality: str | None = None
    passport_no: str | None = None
    passport_start: Any = None
    passport_end: Any = None
    permit_no: str | None = None
    permit_start: Any = None
    permit_end: Any = None
    kin_name: str | None = None
    kin_phone: str | None = None
    kin_relationship: str | None = None


def _rule(field: str, exc: rules.RegistrationError | IdentifierError) -> ApiError:
    return invalid(field, exc.message, exc.code)


def _gender(value: Any) -> str | None:
    text = str(value or "").strip().lower()
    if not text:
        return None
    mapping = {"m": "male", "male": "male", "lelaki": "male", "f": "female", "female": "female"}
    mapping |= {"perempuan": "female", "p": "female", "l": "male"}
    if text not in mapping:
        raise invalid("gender", "must be male or female", "gender")
    return mapping[text]


def normalise_id(id_type: str, id_no: str, today: date) -> str:
    """The stored form of an ID number of the given type (MyKad: 12 digits)."""
    if id_type == "mykad":
        try:
            return parse_mykad(id_no, today=today).number
        except IdentifierError as exc:
            raise _rule("id_no", exc) from exc
    if id_type == "ssfw":
        value = re.sub(r"[\s\-]", "", (id_no or "").upper())
        if not re.match(rules.rules()["ssfw_pattern"], value):
            raise invalid("id_no", "an SSFW number has 8–14 letters and digits", "ssfw_format")
        return value
    try:
        return rules.normalise_person_id(id_type, id_no)
    except rules.RegistrationError as exc:
        raise _rule("id_no", exc) from exc


def _kin_phone(value: Any) -> str:
    text = str(value or "")
    try:
        return rules.normalise_phone(text)
    except rules.RegistrationError:
        digits = re.sub(r"[\s\-().]", "", text)
        if re.fullmatch(r"\+?\d{7,15}", digits):
            return digits if digits.startswith("+") else "+" + digits
    raise invalid(
        "kin_phone",
        "give a phone number with the country code for numbers outside Malaysia, "
        "e.g. +62 812 3456 7890",
        "phone_format",
    )


def _view(employee: Employee, number: int | None = None) -> dict[str, Any]:
    return {
        "no": number,
        "id": employee.id,
        "residency": employee.residency,
        "worker_type": employee.worker_type,
        "id_type": employee.id_type,
        "id_no_masked": mask_id(employee.id_type, employee.id_no),
        "ssfw_no": employee.ssfw_no,
        "name": employee.name,
        "date_of_birth": employee.date_of_birth.isoformat(),
        "gender": employee.gender,
        "nationality": employee.nationality,
        "status": employee.status,
        "start_date": employee.start_date.isoformat(),
        "monthly_wage": format_ringgit(employee.monthly_wage),
        "category": employee.category,
        "eis_eligible": employee.eis_eligible,
        "coverage_note": employee.coverage_note,
        "flags": list(employee.flags or []),
    }


def listing(db: Session, employer: Employer) -> list[dict[str, Any]]:
    return [_view(e, n) for n, e in enumerate(employees_of(db, employer), start=1)]


def search(db: Session, employer: Employer, id_type: str, id_no: str, today: date) -> dict:  # type: ignore[type-arg]
    """This registration's employees first, then registered employees anywhere (prefill)."""
    id_type = (id_type or "").strip().lower()
    if id_type not in (*LOCAL_ID_TYPES, "passport", "ssfw"):
        raise invalid("id_type", "must be mykad, old_ic, army, police, passport or ssfw", "id_type")
    number = normalise_id(id_type, id_no, today)
    # IC/passport numbers are encrypted at rest: match their keyed hash (backend/security).
    match = (
        Employee.ssfw_no == number
        if id_type == "ssfw"
        else Employee.id_no_hash == lookup_hash(number)
    )
    own = db.scalars(select(Employee).where(Employee.employer_id == employer.id, match)).first()
    if own is not None:
        return {"found": True, "source": "this_registration", "employee": _view(own)}
    query = (
        select(Employee)
        .join(Employer, Employer.id == Employee.employer_id)
        .where(match, Employer.status == "submitted")
        .order_by(Employee.id.desc())
    )
    if id_type != "ssfw":
        query = query.where(Employee.id_type == id_type)
    other = db.scalars(query).first()
    if other is not None and db.get(Employer, other.employer_id).account_id != employer.account_id:
        # Another account's worker: say the person is already insured, but show nothing an
        # employer could not read off the MyKad itself — one employer never sees another's data.
        prefill = {}
        if id_type == "mykad":
            card = parse_mykad(number, today=today)
            prefill = {"date_of_birth": card.birth_date.isoformat(), "gender": card.gender}
        return {
            "found": True,
            "source": "existing_records_other_employer",
            "employee": {
                "id_type": other.id_type,
                "id_no_masked": mask_id(other.id_type, other.id_no),
            },
            "prefill": prefill,
        }
    if other is not None:
        return {
            "found": True,
            "source": "existing_records",
            "employee": {
                "residency": other.residency,
                "id_type": other.id_type,
                "id_no_masked": mask_id(other.id_type, other.id_no),
                "ssfw_no": other.ssfw_no,
                "name": other.name,
                "date_of_birth": other.date_of_birth.isoformat(),
                "gender": other.gender,
                "nationality": other.nationality,
            },
        }
    prefill: dict[str, Any] = {}
    if id_type == "mykad":
        card = parse_mykad(number, today=today)
        prefill = {"date_of_birth": card.birth_date.isoformat(), "gender": card.gender}
    return {"found": False, "source": None, "prefill": prefill}


def _local_identity(
    data: EmployeeInput, today: date, flags: list[dict[str, str]]
) -> tuple[str, str, date, str]:
    id_type = (data.id_type or "").strip().lower()
    if id_type not in LOCAL_ID_TYPES:
        raise invalid("id_type", "for a local employee: mykad, old_ic, army or police", "id_type")
    number = normalise_id(id_type, data.id_no, today)
    born = parse_date("date_of_birth", data.date_of_birth)
    gender = _gender(data.gender)
    if id_type == "mykad":
        card = parse_mykad(number, today=today)
        mismatch = []
        if born and born != card.birth_date:
            mismatch.append(("date_of_birth", born.isoformat(), card.birth_date.isoformat()))
        if gender and gender != card.gender:
            mismatch.append(("gender", gender, card.gender))
        if mismatch and not data.confirm_mismatch:
            field, _given, expected = mismatch[0]
            raise invalid(
                field,
                f"the MyKad number says {expected}; correct it, or send confirm_mismatch=true "
                "to keep what you typed (it will be flagged for PERKESO)",
                "mykad_mismatch",
                mykad_date_of_birth=card.birth_date.isoformat(),
                mykad_gender=card.gender,
            )
        for field, given, expected in mismatch:
            flags.append(
                {
                    "code": "mykad_mismatch",
                    "message": f"{field} {given} was kept although the MyKad says {expected}",
                }
            )
        born, gender = born or card.birth_date, gender or card.gender
    if born is None:
        raise invalid("date_of_birth", "is required for this ID type", "required")
    if gender is None:
        raise invalid("gender", "is required (male or female)", "required")
    return id_type, number, born, gender


def add(
    db: Session, employer: Employer, data: EmployeeInput, now: datetime
) -> tuple[Employee, list[dict[str, str]]]:
    """Register one employee on a draft; returns it and the warnings to tell the user."""
    require_draft(employer)
    today = now.date()
    flags: list[dict[str, str]] = []
    residency = (data.residency or "").strip().lower()
    if residency not in ("local", "foreign"):
        raise invalid("residency", "must be local or foreign", "residency")
    worker_type = "domestic" if employer.registration_type == "domestic" else "regular"
    if data.worker_type and data.worker_type != worker_type:
        raise invalid(
            "worker_type",
            f"a {employer.registration_type} registration registers {worker_type} workers only",
            "worker_type",
        )
    name = clean_text("name", data.name, 200).upper()
    if any(ch.isdigit() for ch in name):
        raise invalid("name", "must not contain digits; give the name as on the ID", "name")
    employee = Employee(
        employer_id=employer.id,
        residency=residency,
        worker_type=worker_type,
        name=name,
        status="pending",
        created_at=now,
        updated_at=now,
    )
    if residency == "local":
        employee.id_type, employee.id_no, employee.date_of_birth, employee.gender = _local_identity(
            data, today, flags
        )
        employee.nationality = "malaysian"
    else:
        employee.nationality = normalise_nationality("nationality", data.nationality)
        if employee.nationality == "malaysian":
            raise invalid(
                "nationality", "a Malaysian is registered as a local employee", "nationality"
            )
        try:
            passport = rules.normalise_passport(data.passport_no or "")
        except rules.RegistrationError as exc:
            raise _rule("passport_no", exc) from exc
        employee.id_type, employee.id_no, employee.passport_no = "passport", passport, passport
        born = parse_date("date_of_birth", data.date_of_birth)
        if born is None:
            raise invalid("date_of_birth", "is required", "required")
        gender = _gender(data.gender)
        if gender is None:
            raise invalid("gender", "is required (male or female)", "required")
        employee.date_of_birth, employee.gender = born, gender
        employee.passport_start = parse_date("passport_start", data.passport_start)
        employee.passport_end = parse_date("passport_end", data.passport_end)
        try:
            rules.check_period("passport", employee.passport_start, employee.passport_end, today)
        except rules.RegistrationError as exc:
            raise _rule("passport_end", exc) from exc
        employee.permit_no = clean_text("permit_no", data.permit_no, 30, 4).upper()
        employee.permit_start = parse_date("permit_start", data.permit_start)
        employee.permit_end = parse_date("permit_end", data.permit_end)
        try:
            rules.check_period(
                "permit", employee.permit_start, employee.permit_end, today, must_be_valid=False
            )
        except rules.RegistrationError as exc:
            raise _rule("permit_end", exc) from exc
        if employee.permit_end and employee.permit_end < today:
            flags.append(
                {
                    "code": "permit_expired",
                    "message": f"the work pass / permit expired on {employee.permit_end}",
                }
            )
        employee.kin_name = clean_text("kin_name", data.kin_name, 200).upper()
        employee.kin_phone = _kin_phone(data.kin_phone)
        employee.kin_relationship = clean_text("kin_relationship", data.kin_relationship, 60)
        if data.ssfw_no:
            employee.ssfw_no = normalise_id("ssfw", data.ssfw_no, today)
    if employee.date_of_birth >= today:
        raise invalid("date_of_birth", "must be in the past", "date_of_birth")

    start = parse_date("start_date", data.start_date)
    if start is None:
        raise invalid("start_date", "is required (YYYY-MM-DD)", "required")
    if start <= employee.date_of_birth:
        raise invalid("start_date", "must be after the date of birth", "start_before_birth")
    try:
        warnings = rules.check_start_date(start, today, employer_since(employer)).warnings
    except rules.RegistrationError as exc:
        raise _rule("start_date", exc) from exc
    employee.start_date = start
    try:
        wage = parse_ringgit(str(data.monthly_wage or ""))
    except MoneyError as exc:
        raise invalid("monthly_wage", exc.message, exc.code) from exc
    if wage <= Decimal("0"):
        raise invalid("monthly_wage", "must be more than zero", "money_zero")
    employee.monthly_wage = wage

    duplicate = db.scalars(
        select(Employee).where(
            Employee.employer_id == employer.id,
            Employee.id_type == employee.id_type,
            Employee.id_no_hash == lookup_hash(employee.id_no),
        )
    ).first()
    if duplicate is not None:
        raise ApiError(
            409,
            "employee_exists",
            "this employee is already in this registration; remove it first to change it",
            employee_id=duplicate.id,
        )

    cover = rules.employee_coverage(employee.date_of_birth, residency, worker_type, start, today)
    employee.category, employee.eis_eligible = cover.category, cover.eis
    employee.coverage_note = cover.explanation
    if (
        employer.registration_type == "domestic"
        and residency == "foreign"
        and rules.outside_scheme(employer.nationality, "foreign")
    ):
        flags.append(
            {
                "code": "outside_scheme",
                "message": rules.rules()["foreign_employer_of_foreign_domestic_worker_note"],
            }
        )
    employee.flags = flags
    db.add(employee)
    try:
        db.flush()
    except IntegrityError as exc:  # the same person added twice at the same moment
        db.rollback()
        raise ApiError(
            409, "employee_exists", "this employee is already in this registration"
        ) from exc
    refresh_flags(db, employer)
    employer.updated_at = now
    db.commit()
    return employee, warnings


def view(employee: Employee) -> dict[str, Any]:
    return _view(employee)


def remove(db: Session, employer: Employer, employee_id: int, now: datetime) -> None:
    require_draft(employer)
    employee = db.get(Employee, employee_id)
    if employee is None or employee.employer_id != employer.id:
        raise ApiError(404, "not_found", "no such employee in this registration")
    db.delete(employee)
    db.flush()
    refresh_flags(db, employer)
    employer.updated_at = now
    db.commit()
