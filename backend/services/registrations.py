"""Employer registration drafts (QRG 2 / 2b): create, update field by field, discard, view.

A draft is saved on every change, so nothing half-typed is lost; the bot asks for whatever
``missing_fields`` still lists. Every value is validated here again (the bot's checks are a
courtesy). Errors: 422 ``invalid_<field>`` with ``reason`` = the rule's code, 409 for
duplicates, 404 for registrations the acting account does not hold.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.domain import registration as rules
from backend.domain.identifiers import (
    IdentifierError,
    mask_mykad,
    normalise_email,
    parse_mykad,
)
from backend.errors import ApiError
from backend.models import Employee, Employer, RegistrationDocument, RegistrationLetter
from backend.security import lookup_hash
from backend.services.acting import Actor
from backend.services.document_store import document_store
from backend.settings import Settings

log = logging.getLogger(__name__)

REGISTRATION_TYPES = ("employer", "domestic")
DOMESTIC_ENTITY = ("domestic_individual", "individual", "household")

# The order the bot asks in (and PATCH applies fields in); optional ones are never "missing".
EMPLOYER_FIELDS = (
    "business_entity",
    "sub_entity",
    "sub_entity_item",
    "registration_no",
    "employer_name",
    "business_start_date",
    "industry_code",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "state",
    "email",
    "phone",
    "induction_office",
)
DOMESTIC_FIELDS = (
    "nationality",
    "owner_id_type",
    "registration_no",
    "employer_name",
    "domestic_worker_type",
    "domestic_worker_residency",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "state",
    "email",
    "phone",
    "induction_office",
)
OPTIONAL_FIELDS = {"address_line2", "email", "business_start_date", "owner_id_type"}
EDITABLE_FIELDS = set(EMPLOYER_FIELDS) | set(DOMESTIC_FIELDS) | {"language"}
_MALAYSIAN = {"malaysian", "malaysia", "warganegara", "warganegara malaysia", "my", "local"}


def invalid(field: str, message: str, reason: str | None = None, **extra: Any) -> ApiError:
    return ApiError(422, f"invalid_{field}", f"{field}: {message}", reason=reason, **extra)


def _from_rule(field: str, exc: rules.RegistrationError | IdentifierError) -> ApiError:
    return invalid(field, exc.message, exc.code)


def clean_text(field: str, value: Any, max_len: int, min_len: int = 2) -> str:
    cleaned = " ".join(str(value or "").split())
    if len(cleaned) < min_len:
        raise invalid(field, f"is required (at least {min_len} characters)", "required")
    if len(cleaned) > max_len:
        raise invalid(field, f"is too long (at most {max_len} characters)", "too_long")
    return cleaned


def normalise_nationality(field: str, value: Any) -> str:
    text = " ".join(str(value or "").strip().lower().split())
    if text in _MALAYSIAN:
        return "malaysian"
    if not re.fullmatch(r"[a-z][a-z .'\-]{1,59}", text):
        raise invalid(field, "give a nationality, e.g. Malaysian or Indonesian", "nationality")
    return text


def normalise_state(value: Any) -> str:
    text = " ".join(str(value or "").strip().lower().replace("_", " ").split())
    aliases = {"kl": "kuala_lumpur", "wp kuala lumpur": "kuala_lumpur", "penang": "pulau_pinang"}
    if text in aliases:
        return aliases[text]
    for row in rules.states():
        names = {row["code"].replace("_", " "), row["name_en"].lower(), row["name_ms"].lower()}
        if text in names:
            return row["code"]
    choices = ", ".join(row["name_en"] for row in rules.states())
    raise invalid("state", f"not a Malaysian state; choose one of: {choices}", "state_unknown")


def parse_date(field: str, value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise invalid(field, "must be a date as YYYY-MM-DD, e.g. 2024-03-01", "date") from exc


# --------------------------------------------------------------------------- ownership


def get_owned(db: Session, actor: Actor, registration_id: int) -> Employer:
    """The registration if the acting account holds it; 404 otherwise (no hint it exists)."""
    employer = db.get(Employer, registration_id)
    if employer is None or employer.account_id != actor.account.id:
        raise ApiError(404, "not_found", "no such registration for this account")
    return employer


def require_draft(employer: Employer) -> None:
    if employer.status != "draft":
        raise ApiError(
            409,
            "already_submitted",
            "this registration was already submitted; it cannot be changed",
            employer_code=employer.employer_code,
        )


# --------------------------------------------------------------------------- rules per field


def employer_since(employer: Employer) -> date | None:
    """The earliest day the employer can have employed anyone."""
    if employer.business_start_date:
        return employer.business_start_date
    if employer.registration_no_format == "ssm" and employer.registration_no:
        return date(int(employer.registration_no[:4]), 1, 1)
    return None


def _check_duplicate(db: Session, employer: Employer, number: str) -> None:
    others = db.scalars(
        select(Employer).where(
            Employer.registration_no_hash == lookup_hash(number),  # encrypted: keyed hash
            Employer.id != employer.id,
            Employer.registration_type == employer.registration_type,
        )
    ).all()
    for other in others:
        if other.status == "submitted" and other.account_id == employer.account_id:
            raise ApiError(
                409,
                "employer_exists",
                f"this employer is already registered by your account (employer code "
                f"{other.employer_code}); it cannot be registered twice: add employees or pay "
                "contributions under that code instead",
                employer_code=other.employer_code,
                registration_id=other.id,
            )
        if other.status == "submitted":
            raise ApiError(
                409,
                "employer_exists",
                "this employer is already registered with PERKESO under another portal "
                "account; it cannot be registered twice: ask the holder of that account, or "
                "the PERKESO helpline (1-300-22-8000), for access instead",
            )
        if other.account_id == employer.account_id:
            raise ApiError(
                409,
                "draft_exists",
                f"you already have a draft registration for this number ({other.reference}); "
                "continue that one or discard it first",
                registration_id=other.id,
                reference=other.reference,
            )


def _set_registration_no(db: Session, employer: Employer, value: Any, today: date) -> None:
    if employer.registration_type == "domestic":
        if not employer.nationality:
            raise invalid("registration_no", "give the nationality first", "nationality_first")
        id_type = employer.owner_id_type or (
            "mykad" if employer.nationality == "malaysian" else "passport"
        )
        try:
            if id_type == "mykad":
                number = parse_mykad(str(value or ""), today=today).number
            else:
                number = rules.normalise_passport(str(value or ""))
        except (IdentifierError, rules.RegistrationError) as exc:
            raise _from_rule("registration_no", exc) from exc
        _check_duplicate(db, employer, number)
        employer.owner_id_type = id_type
        employer.registration_no, employer.registration_no_format = number, id_type
        return
    if not employer.business_entity:
        raise invalid(
            "registration_no", "choose the business entity first", "business_entity_first"
        )
    try:
        parsed = rules.parse_registration_number(
            employer.business_entity, employer.sub_entity, str(value or ""), today
        )
    except rules.RegistrationError as exc:
        raise _from_rule("registration_no", exc) from exc
    _check_duplicate(db, employer, parsed.number)
    employer.registration_no, employer.registration_no_format = parsed.number, parsed.format


def _revalidate_number(employer: Employer, today: date) -> None:
    """After the (sub-)entity changed, drop a registration number that no longer fits."""
    if not employer.registration_no or employer.registration_type == "domestic":
        return
    try:
        rules.parse_registration_number(
            employer.business_entity or "", employer.sub_entity, employer.registration_no, today
        )
    except rules.RegistrationError:
        employer.registration_no = employer.registration_no_format = None


def set_field(
    db: Session, employer: Employer, field: str, value: Any, today: date, body: dict[str, Any]
) -> None:
    """Validate and store one field (``body`` is the whole update, for cross-field checks)."""
    if value is None and field in OPTIONAL_FIELDS:
        setattr(employer, field, None)
        return
    if field == "business_entity":
        code = str(value or "").strip().lower()
        try:
            rules.entity(code)
            rules.check_entity_for_type(code, employer.registration_type)
        except rules.RegistrationError as exc:
            raise _from_rule(field, exc) from exc
        if code != employer.business_entity:
            employer.business_entity = code
            employer.sub_entity = employer.sub_entity_item = None
            employer.registration_no = employer.registration_no_format = None
    elif field == "sub_entity":
        if not employer.business_entity:
            raise invalid(field, "choose the business entity first", "business_entity_first")
        code = str(value or "").strip().lower()
        try:
            rules.sub_entity(employer.business_entity, code)
        except rules.RegistrationError as exc:
            raise _from_rule(field, exc) from exc
        if code != employer.sub_entity:
            employer.sub_entity, employer.sub_entity_item = code, None
            _revalidate_number(employer, today)
    elif field == "sub_entity_item":
        if not employer.sub_entity or not employer.business_entity:
            raise invalid(field, "choose the sub-business entity first", "sub_entity_first")
        code = str(value or "").strip().lower() or None
        try:
            item = rules.sub_entity_item(employer.business_entity, employer.sub_entity, code)
        except rules.RegistrationError as exc:
            raise _from_rule(field, exc) from exc
        employer.sub_entity_item = item["code"] if item else None
    elif field == "registration_no":
        _set_registration_no(db, employer, value, today)
    elif field == "employer_name":
        employer.employer_name = clean_text(field, value, 200)
    elif field == "business_start_date":
        started = parse_date(field, value)
        if started and started > today:
            raise invalid(field, "cannot be in the future", "future")
        employer.business_start_date = started
    elif field == "nationality":
        nationality = normalise_nationality(field, value)
        if nationality != employer.nationality:
            employer.nationality = nationality
            employer.owner_id_type = "mykad" if nationality == "malaysian" else "passport"
            employer.registration_no = employer.registration_no_format = None
    elif field == "owner_id_type":
        id_type = str(value or "").strip().lower()
        if id_type not in ("mykad", "passport"):
            raise invalid(field, "must be mykad or passport", "id_type")
        if id_type != employer.owner_id_type:
            employer.owner_id_type = id_type
            employer.registration_no = employer.registration_no_format = None
    elif field == "industry_code":
        try:
            employer.industry_code = rules.industry(str(value or ""))["code"]
        except rules.RegistrationError as exc:
            raise _from_rule(field, exc) from exc
    elif field == "domestic_worker_type":
        kind = str(value or "").strip().lower().replace(" ", "_")
        allowed = rules.rules()["domestic_worker_types"]
        if kind not in allowed:
            raise invalid(field, f"choose one of: {', '.join(allowed)}", "unknown_worker_type")
        employer.domestic_worker_type = kind
    elif field == "domestic_worker_residency":
        residency = str(value or "").strip().lower()
        if residency not in ("local", "foreign"):
            raise invalid(field, "must be local or foreign", "residency")
        employer.domestic_worker_residency = residency
    elif field in ("address_line1", "address_line2"):
        setattr(employer, field, clean_text(field, value, 200, 3))
    elif field == "city":
        employer.city = clean_text(field, value, 100)
    elif field == "postcode":
        postcode = str(value or "").strip()
        try:
            derived = rules.state_for_postcode(postcode)
        except rules.RegistrationError as exc:
            raise _from_rule(field, exc) from exc
        if "state" in body and body["state"] not in (None, ""):
            given = normalise_state(body["state"])
            try:
                rules.check_postcode_state(postcode, given)
            except rules.RegistrationError as exc:
                raise _from_rule("postcode", exc) from exc
        employer.postcode, employer.state = postcode, derived
    elif field == "state":
        state = normalise_state(value)
        if employer.postcode:
            try:
                rules.check_postcode_state(employer.postcode, state)
            except rules.RegistrationError as exc:
                raise _from_rule("state", exc) from exc
        employer.state = state
    elif field == "email":
        try:
            employer.email = normalise_email(str(value or ""))
        except IdentifierError as exc:
            raise _from_rule(field, exc) from exc
    elif field == "phone":
        try:
            employer.phone = rules.normalise_phone(str(value or ""))
        except rules.RegistrationError as exc:
            raise _from_rule(field, exc) from exc
    elif field == "induction_office":
        try:
            employer.induction_office = rules.office(str(value or "").strip().lower())["code"]
        except rules.RegistrationError as exc:
            raise _from_rule(field, exc) from exc
    elif field == "language":
        language = str(value or "").lower()
        if language not in ("en", "ms"):
            raise invalid(field, "must be en or ms", "language")
        employer.language = language
    else:  # pragma: no cover - the router only passes known fields
        raise invalid(field, "is not a registration field", "unknown_field")


def apply_fields(db: Session, employer: Employer, body: dict[str, Any], now: datetime) -> list[str]:
    """Apply the given fields in asking order; returns the names changed."""
    unknown = sorted(set(body) - EDITABLE_FIELDS)
    if unknown:
        raise invalid(unknown[0], "is not a registration field", "unknown_field")
    order = DOMESTIC_FIELDS if employer.registration_type == "domestic" else EMPLOYER_FIELDS
    wanted = [f for f in (*order, "language") if f in body]
    foreign = [f for f in body if f not in wanted]
    if foreign:
        raise invalid(
            foreign[0], f"does not apply to a {employer.registration_type} registration", "n/a"
        )
    for field in wanted:
        set_field(db, employer, field, body[field], now.date(), body)
    employer.updated_at = now
    refresh_flags(db, employer)
    return wanted


# --------------------------------------------------------------------------- flags, views


def refresh_flags(db: Session, employer: Employer) -> None:
    flags = []
    if employer.registration_type == "domestic":
        residencies = {employer.domestic_worker_residency} | set(
            db.scalars(select(Employee.residency).where(Employee.employer_id == employer.id))
        )
        if "foreign" in residencies and rules.outside_scheme(employer.nationality, "foreign"):
            flags.append(
                {
                    "code": "outside_scheme",
                    "message": rules.rules()["foreign_employer_of_foreign_domestic_worker_note"],
                }
            )
    employer.flags = flags


def _sub_items(employer: Employer) -> list[dict[str, Any]]:
    if not employer.business_entity or not employer.sub_entity:
        return []
    try:
        return list(rules.sub_entity(employer.business_entity, employer.sub_entity)["items"])
    except rules.RegistrationError:
        return []


def missing_fields(employer: Employer) -> list[str]:
    order = DOMESTIC_FIELDS if employer.registration_type == "domestic" else EMPLOYER_FIELDS
    missing = []
    for field in order:
        if field in OPTIONAL_FIELDS:
            continue
        if field == "sub_entity_item" and not _sub_items(employer) and employer.sub_entity:
            continue
        if getattr(employer, field) in (None, ""):
            missing.append(field)
    return missing


def documents_group(employer: Employer) -> str:
    if employer.registration_type == "domestic":
        return "domestic"
    if not employer.business_entity:
        return "others"
    return str(rules.entity(employer.business_entity)["documents"])


def checklist_status(db: Session, employer: Employer) -> list[dict[str, Any]]:
    uploaded: dict[str, int] = {}
    for doc_type in db.scalars(
        select(RegistrationDocument.doc_type).where(RegistrationDocument.employer_id == employer.id)
    ):
        uploaded[doc_type] = uploaded.get(doc_type, 0) + 1
    return [
        {**item, "uploaded": uploaded.get(item["doc_type"], 0)}
        for item in rules.checklist(documents_group(employer))
    ]


def employees_of(db: Session, employer: Employer) -> list[Employee]:
    return list(
        db.scalars(
            select(Employee).where(Employee.employer_id == employer.id).order_by(Employee.id)
        )
    )


def mask_id(id_type: str, number: str) -> str:
    if id_type == "mykad":
        return mask_mykad(number)
    if len(number) <= 4:
        return "*" * len(number)
    return number[0] + "*" * (len(number) - 3) + number[-2:]


def view(db: Session, employer: Employer, settings: Settings) -> dict[str, Any]:
    """The JSON the API returns for a registration (the owner's view)."""
    from backend.services.registration_submit import letters_view

    checklist = checklist_status(db, employer)
    count = len(employees_of(db, employer))
    office = None
    if employer.induction_office:
        try:
            office = rules.office(employer.induction_office)
        except rules.RegistrationError:
            office = None
    registration_no = employer.registration_no
    if registration_no and employer.registration_no_format in ("mykad", "passport"):
        registration_no = mask_id(employer.registration_no_format, registration_no)
    return {
        "id": employer.id,
        "reference": employer.reference,
        "registration_type": employer.registration_type,
        "status": employer.status,
        "employer_code": employer.employer_code,
        "language": employer.language,
        "business_entity": employer.business_entity,
        "sub_entity": employer.sub_entity,
        "sub_entity_item": employer.sub_entity_item,
        "sub_entity_items": _sub_items(employer),
        "registration_no": registration_no,
        "registration_no_format": employer.registration_no_format,
        "employer_name": employer.employer_name,
        "business_start_date": (
            employer.business_start_date.isoformat() if employer.business_start_date else None
        ),
        "nationality": employer.nationality,
        "owner_id_type": employer.owner_id_type,
        "industry_code": employer.industry_code,
        "domestic_worker_type": employer.domestic_worker_type,
        "domestic_worker_residency": employer.domestic_worker_residency,
        "address_line1": employer.address_line1,
        "address_line2": employer.address_line2,
        "city": employer.city,
        "postcode": employer.postcode,
        "state": employer.state,
        "email": employer.email,
        "phone": employer.phone,
        "induction_office": employer.induction_office,
        "induction_office_detail": office,
        "flags": list(employer.flags or []),
        "missing_fields": missing_fields(employer),
        "employees_count": count,
        "documents": checklist,
        "missing_documents": [
            item["doc_type"] for item in checklist if item["mandatory"] and not item["uploaded"]
        ],
        "letters": letters_view(db, employer, settings) if employer.status == "submitted" else [],
        "created_at": employer.created_at.isoformat(),
        "updated_at": employer.updated_at.isoformat(),
        "submitted_at": employer.submitted_at.isoformat() if employer.submitted_at else None,
    }


def summary(employer: Employer) -> dict[str, Any]:
    return {
        "id": employer.id,
        "reference": employer.reference,
        "registration_type": employer.registration_type,
        "status": employer.status,
        "employer_name": employer.employer_name,
        "employer_code": employer.employer_code,
        "updated_at": employer.updated_at.isoformat(),
    }


# --------------------------------------------------------------------------- create, list, discard


def create(
    db: Session,
    actor: Actor,
    registration_type: str,
    language: str,
    fields: dict[str, Any],
    now: datetime,
) -> Employer:
    if registration_type not in REGISTRATION_TYPES:
        raise invalid("registration_type", "must be employer or domestic", "registration_type")
    if language not in ("en", "ms"):
        raise invalid("language", "must be en or ms", "language")
    if registration_type == "domestic":
        entity = fields.pop("business_entity", None)
        if entity not in (None, "", DOMESTIC_ENTITY[0]):
            try:
                rules.check_entity_for_type(str(entity), "domestic")
            except rules.RegistrationError as exc:
                raise _from_rule("business_entity", exc) from exc
            raise invalid("business_entity", "unknown business entity", "unknown_business_entity")
        for key in ("sub_entity", "sub_entity_item"):
            fields.pop(key, None)
    employer = Employer(
        reference=f"TMP{uuid.uuid4().hex[:17]}",  # replaced once the id is known
        account_id=actor.account.id,
        sender_id=actor.sender_id,
        language=language,
        registration_type=registration_type,
        status="draft",
        flags=[],
        created_at=now,
        updated_at=now,
    )
    if registration_type == "domestic":
        employer.business_entity, employer.sub_entity, employer.sub_entity_item = DOMESTIC_ENTITY
    db.add(employer)
    db.flush()
    employer.reference = rules.reference_for(employer.id, now.date())
    apply_fields(db, employer, fields, now)
    db.commit()
    log.info("registration %s draft created (%s)", employer.reference, registration_type)
    return employer


def list_for(db: Session, actor: Actor) -> list[Employer]:
    return list(
        db.scalars(
            select(Employer).where(Employer.account_id == actor.account.id).order_by(Employer.id)
        )
    )


def discard(db: Session, employer: Employer, settings: Settings) -> None:
    """Delete a draft with its employees, uploads and generated forms."""
    require_draft(employer)
    store = document_store(settings)
    keys = list(
        db.scalars(
            select(RegistrationDocument.storage_key).where(
                RegistrationDocument.employer_id == employer.id
            )
        )
    ) + list(
        db.scalars(
            select(RegistrationLetter.storage_key).where(
                RegistrationLetter.employer_id == employer.id
            )
        )
    )
    reference = employer.reference
    db.delete(employer)
    db.commit()
    for key in keys:
        store.delete(key)
    log.info("registration %s discarded", reference)
