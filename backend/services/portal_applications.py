"""QRG 1: apply for a portal ID on the user's behalf.

Records the application, renders the filled form, creates the account (the email is the ID)
with a temporary password and emails the activation message. The temporary password exists in
plain text only inside the email; it is never logged or returned.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.domain.identifiers import (
    IdentifierError,
    mask_mykad,
    normalise_email,
    normalise_mobile,
    parse_mykad,
)
from backend.errors import ApiError
from backend.models import PortalAccount, PortalApplication
from backend.services import files
from backend.services.accounts import find_by_email
from backend.services.email import send_email
from backend.services.portal_form_pdf import PortalFormData, render_portal_form
from backend.services.security import hash_secret, new_temporary_password
from backend.settings import Settings

log = logging.getLogger(__name__)
FILE_KIND = "portal-form"


@dataclass(frozen=True)
class ApplicationInput:
    sender_id: str | None
    full_name: str
    mykad: str
    email: str
    mobile: str
    company_name: str
    company_role: str
    language: str = "en"


@dataclass(frozen=True)
class ApplicationResult:
    application: PortalApplication
    form_pdf_url: str
    email_sent: bool


def _invalid(field: str, message: str, reason: str | None = None) -> ApiError:
    extra = {"reason": reason} if reason else {}
    return ApiError(422, f"invalid_{field}", f"{field}: {message}", **extra)


def _text(field: str, value: str, max_len: int, what: str) -> str:
    cleaned = " ".join((value or "").split())
    if len(cleaned) < 2:
        raise _invalid(field, f"is required: give the {what}")
    if len(cleaned) > max_len:
        raise _invalid(field, f"is too long (at most {max_len} characters)")
    return cleaned


def validate(data: ApplicationInput, today: datetime) -> ApplicationInput:
    """Check every field again server-side; the bot's checks are a courtesy, not a guarantee."""
    full_name = _text("full_name", data.full_name, 200, "full name as on the MyKad")
    if any(ch.isdigit() for ch in full_name):
        raise _invalid("full_name", "must not contain digits; give the name as on the MyKad")
    try:
        mykad = parse_mykad(data.mykad, today=today.date()).number
    except IdentifierError as exc:
        raise _invalid("mykad", exc.message, exc.code) from exc
    try:
        email = normalise_email(data.email)
    except IdentifierError as exc:
        raise _invalid("email", exc.message, exc.code) from exc
    try:
        mobile = normalise_mobile(data.mobile)
    except IdentifierError as exc:
        raise _invalid("mobile", exc.message, exc.code) from exc
    company_name = _text("company_name", data.company_name, 200, "company name")
    company_role = _text("company_role", data.company_role, 100, "position in the company")
    language = (data.language or "en").lower()
    if language not in ("en", "ms"):
        raise _invalid("language", "must be en or ms")
    return ApplicationInput(
        sender_id=data.sender_id,
        full_name=full_name,
        mykad=mykad,
        email=email,
        mobile=mobile,
        company_name=company_name,
        company_role=company_role,
        language=language,
    )


def _activation_email(
    settings: Settings, language: str, name: str, email: str, password: str, ref: str
) -> tuple[str, str]:
    login_url = settings.assist_public_url.rstrip("/") + "/login"
    if language == "ms":
        subject = f"ID Portal ASSIST anda ({ref})"
        body = (
            f"Salam {name},\n\n"
            f"Permohonan ID Portal ASSIST anda ({ref}) telah diterima. Salinan borang "
            "permohonan dilampirkan.\n\n"
            f"ID pengguna: {email}\n"
            f"Kata laluan sementara: {password}\n\n"
            f"Log masuk di {login_url} : masukkan e-mel, kemudian kata laluan sementara. "
            'Anda akan diminta menukar kata laluan dan menerima terma penggunaan ("I Agree").\n\n'
            "Tip: jika e-mel ini tiada dalam peti masuk anda, semak folder spam.\n\n"
            "ASSIST Assistant\n"
        )
    else:
        subject = f"Your ASSIST Portal ID ({ref})"
        body = (
            f"Dear {name},\n\n"
            f"Your application for an ASSIST Portal ID ({ref}) has been received. A copy of the "
            "application form is attached.\n\n"
            f"User ID: {email}\n"
            f"Temporary password: {password}\n\n"
            f"Log in at {login_url} : enter your email, then the temporary password. You will "
            'be asked to choose a new password and accept the terms of use ("I Agree").\n\n'
            "Tip: if you cannot find our emails, check your spam folder.\n\n"
            "ASSIST Assistant\n"
        )
    return subject, body


def apply(
    db: Session, data: ApplicationInput, settings: Settings, now: datetime
) -> ApplicationResult:
    """Create account + application + PDF + email in one transaction (commits on success)."""
    clean = validate(data, now)
    if find_by_email(db, clean.email) is not None:
        raise ApiError(409, "account_exists", "a portal account already exists for this email")

    temporary_password = new_temporary_password()
    account = PortalAccount(
        email=clean.email,
        full_name=clean.full_name,
        mykad=clean.mykad,
        mobile=clean.mobile,
        company_name=clean.company_name,
        company_role=clean.company_role,
        password_hash=None,
        temp_password_hash=hash_secret(temporary_password),
        must_change_password=True,
        created_at=now,
    )
    db.add(account)
    try:
        db.flush()
    except IntegrityError as exc:
        db.rollback()
        raise ApiError(
            409, "account_exists", "a portal account already exists for this email"
        ) from exc

    application = PortalApplication(
        reference=f"PENDING-{account.id}",
        account_id=account.id,
        sender_id=clean.sender_id,
        language=clean.language,
        full_name=clean.full_name,
        mykad=clean.mykad,
        email=clean.email,
        mobile=clean.mobile,
        company_name=clean.company_name,
        company_role=clean.company_role,
        status="submitted",
        created_at=now,
    )
    db.add(application)
    db.flush()
    application.reference = f"PID{now:%Y%m%d}{application.id:06d}"

    relative = Path("portal-applications") / f"{application.reference}.pdf"
    pdf_path = render_portal_form(
        PortalFormData(
            reference=application.reference,
            submitted_at=now,
            full_name=clean.full_name,
            mykad=clean.mykad,
            email=clean.email,
            mobile=clean.mobile,
            company_name=clean.company_name,
            company_role=clean.company_role,
        ),
        Path(settings.documents_dir) / relative,
    )
    application.form_pdf_path = relative.as_posix()

    subject, body = _activation_email(
        settings,
        clean.language,
        clean.full_name,
        clean.email,
        temporary_password,
        application.reference,
    )
    del temporary_password
    email_sent = True
    try:
        outbox = send_email(db, clean.email, subject, body, [pdf_path], settings=settings)
        email_sent = outbox.sent_via == "smtp" or not settings.smtp_host
    except OSError:
        log.exception("portal application %s: activation email failed", application.reference)
        email_sent = False
    db.commit()
    log.info(
        "portal application %s recorded for %s (MyKad %s)",
        application.reference,
        clean.company_name,
        mask_mykad(clean.mykad),
    )
    return ApplicationResult(
        application=application,
        form_pdf_url=files.file_url(settings, FILE_KIND, application.id),
        email_sent=email_sent,
    )


def _resolve_form(db: Session, file_id: int, settings: Settings) -> files.StoredFile | None:
    application = db.get(PortalApplication, file_id)
    if application is None or not application.form_pdf_path:
        return None
    return files.StoredFile(
        path=Path(settings.documents_dir) / application.form_pdf_path,
        filename=f"Borang-Permohonan-Portal-ASSIST-{application.reference}.pdf",
    )


files.register_kind(FILE_KIND, _resolve_form)
