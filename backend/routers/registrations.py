"""Employer registration API (QRG 2–4) for the action server: service token + sender id.

The acting account comes from the chat's OTP login (:func:`backend.services.acting.acting_account`);
another account's registration answers 404.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Response, UploadFile
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from backend.db import get_db
from backend.deps import Clock, get_app_settings, get_clock
from backend.services import registration_documents as documents
from backend.services import registration_employees as employees
from backend.services import registration_linking as linking
from backend.services import registrations as service
from backend.services.acting import ActingAccount
from backend.services.registration_submit import submit as submit_registration
from backend.settings import Settings

router = APIRouter(prefix="/api/v1/registrations", tags=["registrations"])

Db = Annotated[Session, Depends(get_db)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]
NowClock = Annotated[Clock, Depends(get_clock)]


class RegistrationFields(BaseModel):
    """Every field is optional; send one at a time or several. ``null`` clears an optional one."""

    model_config = ConfigDict(extra="forbid")

    business_entity: str | None = None
    sub_entity: str | None = None
    sub_entity_item: str | None = None
    registration_no: str | None = None
    employer_name: str | None = None
    business_start_date: str | None = None
    nationality: str | None = None
    owner_id_type: str | None = None
    industry_code: str | None = None
    domestic_worker_type: str | None = None
    domestic_worker_residency: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    postcode: str | None = None
    state: str | None = None
    email: str | None = None
    phone: str | None = None
    induction_office: str | None = None
    language: str | None = None


class RegistrationCreate(RegistrationFields):
    registration_type: str = "employer"
    sender_id: str | None = None  # accepted for symmetry; the dependency reads header/query


class EmployeeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    residency: str = "local"
    id_type: str = "mykad"
    id_no: str = ""
    name: str = ""
    date_of_birth: date | None = None
    gender: str | None = None
    start_date: date | None = None
    monthly_wage: str | None = None
    confirm_mismatch: bool = False
    worker_type: str | None = None
    ssfw_no: str | None = None
    nationality: str | None = None
    passport_no: str | None = None
    passport_start: date | None = None
    passport_end: date | None = None
    permit_no: str | None = None
    permit_start: date | None = None
    permit_end: date | None = None
    kin_name: str | None = None
    kin_phone: str | None = None
    kin_relationship: str | None = None


@router.post("", status_code=201)
def create(
    body: RegistrationCreate, actor: ActingAccount, db: Db, settings: AppSettings, clock: NowClock
) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True, exclude={"registration_type", "sender_id"})
    language = fields.pop("language", None) or "en"
    employer = service.create(db, actor, body.registration_type, language, fields, clock())
    return service.view(db, employer, settings)


@router.get("")
def list_registrations(actor: ActingAccount, db: Db) -> dict[str, Any]:
    return {"registrations": [service.summary(e) for e in service.list_for(db, actor)]}


@router.get("/{registration_id}")
def get_registration(
    registration_id: int, actor: ActingAccount, db: Db, settings: AppSettings
) -> dict[str, Any]:
    return service.view(db, service.get_owned(db, actor, registration_id), settings)


@router.patch("/{registration_id}")
def update(
    registration_id: int,
    body: RegistrationFields,
    actor: ActingAccount,
    db: Db,
    settings: AppSettings,
    clock: NowClock,
) -> dict[str, Any]:
    employer = service.get_owned(db, actor, registration_id)
    service.require_draft(employer)
    try:
        service.apply_fields(db, employer, body.model_dump(exclude_unset=True), clock())
    except Exception:
        db.rollback()
        raise
    db.commit()
    return service.view(db, employer, settings)


@router.delete("/{registration_id}", status_code=204)
def discard(registration_id: int, actor: ActingAccount, db: Db, settings: AppSettings) -> Response:
    service.discard(db, service.get_owned(db, actor, registration_id), settings)
    return Response(status_code=204)


@router.get("/{registration_id}/employees/search")
def search_employee(
    registration_id: int,
    id_type: str,
    id_no: str,
    actor: ActingAccount,
    db: Db,
    clock: NowClock,
) -> dict[str, Any]:
    employer = service.get_owned(db, actor, registration_id)
    return employees.search(db, employer, id_type, id_no, clock().date())


@router.get("/{registration_id}/employees")
def list_employees(registration_id: int, actor: ActingAccount, db: Db) -> dict[str, Any]:
    employer = service.get_owned(db, actor, registration_id)
    return {"employees": employees.listing(db, employer)}


@router.post("/{registration_id}/employees", status_code=201)
def add_employee(
    registration_id: int, body: EmployeeIn, actor: ActingAccount, db: Db, clock: NowClock
) -> dict[str, Any]:
    employer = service.get_owned(db, actor, registration_id)
    data = employees.EmployeeInput(**body.model_dump())
    now = clock()
    try:
        if linking.wants_link(data):
            # Found by the SSFW search and confirmed: the record answers the rest.
            linking.fill_from_record(db, employer, data, now.date())
        employee, warnings = employees.add(db, employer, data, now)
    except Exception:
        db.rollback()
        raise
    return {**employees.view(employee), "warnings": warnings}


@router.delete("/{registration_id}/employees/{employee_id}", status_code=204)
def remove_employee(
    registration_id: int, employee_id: int, actor: ActingAccount, db: Db, clock: NowClock
) -> Response:
    employer = service.get_owned(db, actor, registration_id)
    employees.remove(db, employer, employee_id, clock())
    return Response(status_code=204)


@router.get("/{registration_id}/documents")
def list_documents(
    registration_id: int, actor: ActingAccount, db: Db, settings: AppSettings
) -> dict[str, Any]:
    employer = service.get_owned(db, actor, registration_id)
    return {
        "checklist": service.checklist_status(db, employer),
        "documents": [
            documents.document_view(row, settings) for row in documents.listing(db, employer)
        ],
    }


@router.post("/{registration_id}/documents", status_code=201)
async def upload_document(
    registration_id: int,
    actor: ActingAccount,
    db: Db,
    settings: AppSettings,
    clock: NowClock,
    file: Annotated[UploadFile, File(description="PDF, JPEG or PNG, at most 10 MB")],
    doc_type: Annotated[str, Form()],
    description: Annotated[str, Form()] = "",
    remarks: Annotated[str, Form()] = "",
) -> dict[str, Any]:
    employer = service.get_owned(db, actor, registration_id)
    data = await file.read(documents.MAX_UPLOAD_BYTES + 1)
    row = documents.add(
        db, settings, employer, doc_type, description, remarks, file.filename, data, clock()
    )
    return documents.document_view(row, settings)


@router.delete("/{registration_id}/documents/{document_id}", status_code=204)
def remove_document(
    registration_id: int, document_id: int, actor: ActingAccount, db: Db, settings: AppSettings
) -> Response:
    employer = service.get_owned(db, actor, registration_id)
    documents.remove(db, settings, employer, document_id)
    return Response(status_code=204)


@router.get("/{registration_id}/forms")
def forms(
    registration_id: int, actor: ActingAccount, db: Db, settings: AppSettings, clock: NowClock
) -> dict[str, Any]:
    """The pre-filled forms (Borang 1, 2, SIP 1 or Borang Pendaftaran DS) as signed links."""
    employer = service.get_owned(db, actor, registration_id)
    return {"forms": documents.generate_forms(db, settings, employer, clock())}


@router.post("/{registration_id}/upload-link")
def upload_link(
    registration_id: int, actor: ActingAccount, db: Db, settings: AppSettings
) -> dict[str, Any]:
    employer = service.get_owned(db, actor, registration_id)
    service.require_draft(employer)
    return {
        "url": documents.upload_url(settings, employer),
        "expires_in_seconds": documents.UPLOAD_LINK_MAX_AGE_SECONDS,
    }


@router.post("/{registration_id}/submit")
def submit(
    registration_id: int, actor: ActingAccount, db: Db, settings: AppSettings, clock: NowClock
) -> dict[str, Any]:
    employer = service.get_owned(db, actor, registration_id)
    return submit_registration(db, settings, employer, clock())
