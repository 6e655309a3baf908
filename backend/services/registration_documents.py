"""Supporting documents of a registration (QRG 4): checked uploads, the forms to sign, links.

Uploads are judged by their content, never their name: a PDF must start with ``%PDF-`` and
open in pypdf with at least one page; a PNG must carry its signature and a sane IHDR header; a
JPEG its SOI marker and a frame header with a size. At most 10 MB (413 beyond, 415 for any
other content). Files go to the document store under ``registrations/<reference>/``.

Upload pages: ``POST …/upload-link`` signs a token bound to one registration and its account,
valid 24 hours, for the browser page ``GET /upload/<token>``.
"""

from __future__ import annotations

import hashlib
import io
import logging
import struct
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.domain import registration as rules
from backend.errors import ApiError
from backend.models import Employer, RegistrationDocument, RegistrationLetter
from backend.services import files
from backend.services.document_store import document_store
from backend.services.registration_pdfs import FORM_TITLES, render_form
from backend.services.registrations import (
    documents_group,
    employees_of,
    invalid,
    require_draft,
)
from backend.services.security import sign, unsign
from backend.settings import Settings

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
UPLOAD_LINK_MAX_AGE_SECONDS = 24 * 3600
PDF_FILE_KIND = "registration-pdf"
UPLOAD_FILE_KIND = "registration-upload"
_UPLOAD_SALT = "registration-upload-v1"


class UploadRejected(ApiError):
    """413 / 415 / 422 with the reason; the upload page shows the same message."""


def _unsupported(reason: str, message: str) -> UploadRejected:
    return UploadRejected(415, "unsupported_file", message, reason=reason)


def _check_pdf(data: bytes) -> None:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise _unsupported(
                "pdf_encrypted", "the PDF is password-protected; upload an unprotected copy"
            )
        if len(reader.pages) < 1:
            raise _unsupported("pdf_empty", "the PDF has no pages")
    except UploadRejected:
        raise
    except Exception as exc:  # pypdf raises many kinds of errors for broken files
        raise _unsupported(
            "pdf_broken", "the file starts like a PDF but cannot be opened as one"
        ) from exc


def _check_png(data: bytes) -> None:
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise _unsupported("png_broken", "the PNG image has no valid header")
    width, height = struct.unpack(">II", data[16:24])
    if not (0 < width <= 50_000 and 0 < height <= 50_000):
        raise _unsupported("png_broken", "the PNG image has an impossible size")


def _check_jpeg(data: bytes) -> None:
    """Walk the segments to a start-of-frame marker carrying the image size."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            break
        marker = data[pos + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if pos + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            if width > 0 and height > 0:
                return
            break
        if marker == 0xDA or length < 2:
            break
        pos += 2 + length
    raise _unsupported("jpeg_broken", "the JPEG image has no valid frame header")


def sniff(data: bytes) -> tuple[str, str]:
    """(media type, extension) from the bytes; 413/415 with the reason otherwise."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRejected(
            413,
            "file_too_large",
            f"the file is {len(data) / 1024 / 1024:.1f} MB; the limit is 10 MB",
            reason="too_large",
            max_bytes=MAX_UPLOAD_BYTES,
        )
    if not data:
        raise _unsupported("empty", "the file is empty")
    if data.startswith(b"%PDF-"):
        _check_pdf(data)
        return "application/pdf", "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        _check_png(data)
        return "image/png", "png"
    if data.startswith(b"\xff\xd8\xff"):
        _check_jpeg(data)
        return "image/jpeg", "jpg"
    raise _unsupported(
        "type_not_allowed", "only PDF, JPEG and PNG files are accepted (checked by content)"
    )


def _doc_types(employer: Employer) -> dict[str, dict[str, Any]]:
    return {item["doc_type"]: item for item in rules.checklist(documents_group(employer))}


def add(
    db: Session,
    settings: Settings,
    employer: Employer,
    doc_type: str,
    description: str | None,
    remarks: str | None,
    filename: str | None,
    data: bytes,
    now: datetime,
) -> RegistrationDocument:
    require_draft(employer)
    allowed = _doc_types(employer)
    doc_type = (doc_type or "").strip().lower()
    if doc_type not in allowed:
        raise invalid(
            "doc_type",
            f"choose one of this registration's documents: {', '.join(allowed)}",
            "unknown_doc_type",
        )
    media_type, ext = sniff(data)
    description = " ".join((description or "").split())[:200] or allowed[doc_type]["name_en"]
    remarks = (remarks or "").strip()[:2000] or None
    key = f"registrations/{employer.reference}/uploads/{uuid.uuid4().hex}.{ext}"
    document_store(settings).save(key, data)
    row = RegistrationDocument(
        employer_id=employer.id,
        doc_type=doc_type,
        description=description,
        remarks=remarks,
        original_filename=Path(filename or f"document.{ext}").name[:255],
        storage_key=key,
        media_type=media_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        created_at=now,
    )
    db.add(row)
    employer.updated_at = now
    db.commit()
    log.info("registration %s: %s uploaded (%s)", employer.reference, doc_type, media_type)
    return row


def document_view(row: RegistrationDocument, settings: Settings) -> dict[str, Any]:
    return {
        "id": row.id,
        "doc_type": row.doc_type,
        "description": row.description,
        "remarks": row.remarks,
        "filename": row.original_filename,
        "media_type": row.media_type,
        "size_bytes": row.size_bytes,
        "uploaded_at": row.created_at.isoformat(),
        "url": files.file_url(settings, UPLOAD_FILE_KIND, row.id),
    }


def listing(db: Session, employer: Employer) -> list[RegistrationDocument]:
    return list(
        db.scalars(
            select(RegistrationDocument)
            .where(RegistrationDocument.employer_id == employer.id)
            .order_by(RegistrationDocument.id)
        )
    )


def remove(db: Session, settings: Settings, employer: Employer, document_id: int) -> None:
    require_draft(employer)
    row = db.get(RegistrationDocument, document_id)
    if row is None or row.employer_id != employer.id:
        raise ApiError(404, "not_found", "no such document in this registration")
    key = row.storage_key
    db.delete(row)
    db.commit()
    document_store(settings).delete(key)


# --------------------------------------------------------------------------- generated PDFs


def store_pdf(
    db: Session, settings: Settings, employer: Employer, kind: str, render: Any, now: datetime
) -> RegistrationLetter:
    """Render into the store and keep one row per (registration, kind); re-rendering replaces."""
    key = f"registrations/{employer.reference}/{kind}.pdf"
    store = document_store(settings)
    render(store.local_path(key))
    row = db.scalars(
        select(RegistrationLetter).where(
            RegistrationLetter.employer_id == employer.id, RegistrationLetter.kind == kind
        )
    ).first()
    if row is None:
        row = RegistrationLetter(employer_id=employer.id, kind=kind, storage_key=key)
        db.add(row)
    row.created_at = now
    db.flush()
    return row


def applicable_forms(employer: Employer, has_employees: bool) -> list[str]:
    if employer.registration_type == "domestic":
        return ["borang_ds"]
    return ["borang_1", *(["borang_2"] if has_employees else []), "borang_sip_1"]


def generate_forms(
    db: Session, settings: Settings, employer: Employer, now: datetime
) -> list[dict[str, Any]]:
    """Pre-filled forms to print, sign and upload (regenerated from the current draft)."""
    employees = employees_of(db, employer)
    out = []
    for kind in applicable_forms(employer, bool(employees)):
        row = store_pdf(
            db,
            settings,
            employer,
            kind,
            lambda path, kind=kind: render_form(kind, employer, employees, path, now),
            now,
        )
        out.append(
            {
                "kind": kind,
                "title": FORM_TITLES[kind][1],
                "title_ms": FORM_TITLES[kind][0],
                "url": files.file_url(settings, PDF_FILE_KIND, row.id),
            }
        )
    db.commit()
    return out


def _filename(employer: Employer, kind: str) -> str:
    return f"{kind.replace('_', '-')}-{employer.employer_code or employer.reference}.pdf"


def _resolve_pdf(db: Session, file_id: int, settings: Settings) -> files.StoredFile | None:
    row = db.get(RegistrationLetter, file_id)
    if row is None:
        return None
    employer = db.get(Employer, row.employer_id)
    if employer is None:
        return None
    return files.StoredFile(
        path=document_store(settings).local_path(row.storage_key),
        filename=_filename(employer, row.kind),
    )


def _resolve_upload(db: Session, file_id: int, settings: Settings) -> files.StoredFile | None:
    row = db.get(RegistrationDocument, file_id)
    if row is None:
        return None
    return files.StoredFile(
        path=document_store(settings).local_path(row.storage_key),
        filename=row.original_filename,
        media_type=row.media_type,
    )


files.register_kind(PDF_FILE_KIND, _resolve_pdf)
files.register_kind(UPLOAD_FILE_KIND, _resolve_upload)


# --------------------------------------------------------------------------- upload pages


def upload_token(settings: Settings, employer: Employer) -> str:
    return sign(
        settings.assist_secret_key, _UPLOAD_SALT, {"r": employer.id, "a": employer.account_id}
    )


def upload_url(settings: Settings, employer: Employer) -> str:
    base = settings.assist_public_url.rstrip("/")
    return f"{base}/upload/{upload_token(settings, employer)}"


def employer_for_token(db: Session, settings: Settings, token: str) -> Employer | None:
    """The registration a valid, unexpired token names (and its account still holds)."""
    payload = unsign(settings.assist_secret_key, _UPLOAD_SALT, token, UPLOAD_LINK_MAX_AGE_SECONDS)
    if not isinstance(payload, dict):
        return None
    employer = db.get(Employer, payload.get("r"))
    if employer is None or employer.account_id != payload.get("a"):
        return None
    return employer
