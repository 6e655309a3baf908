"""Files a channel receives from the user (Telegram photos and documents) → registration documents.

``POST /internal/v1/hub/files`` (service token) takes the file with the gateway's sender id. When
that chat is logged in and its account has a draft registration (the supporting-documents step of
QRG 2–4), the file is stored through :func:`backend.services.registration_documents.add`, the same
path as ``POST /api/v1/registrations/{id}/documents``; otherwise the user is told, in both
languages, when uploads are accepted. Both the upload and the reply go into the transcript.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.domain.identifiers import mask_identifiers
from backend.errors import ApiError
from backend.hub.service import _record, get_conversation
from backend.models import ConversationMessage, Employer
from backend.services import registration_documents as documents
from backend.services import registrations
from backend.services.acting import resolve_actor
from backend.settings import Settings

logger = logging.getLogger("assist.hub.files")

_REPLIES: dict[str, tuple[str, str]] = {
    "stored": (
        "Thank you — I saved {filename} as “{doc_en}” in your registration {reference}.",
        "Terima kasih — saya telah menyimpan {filename} sebagai “{doc_ms}” dalam pendaftaran "
        "anda {reference}.",
    ),
    "no_registration": (
        "I accept uploaded documents during the supporting-documents step of an employer "
        "registration. Please log in and start (or continue) a registration first.",
        "Saya menerima dokumen yang dimuat naik semasa langkah dokumen sokongan dalam pendaftaran "
        "majikan. Sila log masuk dan mulakan (atau teruskan) pendaftaran dahulu.",
    ),
    "rejected": (
        "I couldn't accept {filename}: {reason_en} Please send a PDF, JPEG or PNG of at most "
        "10 MB.",
        "Saya tidak dapat menerima {filename}: {reason_ms} Sila hantar PDF, JPEG atau PNG "
        "tidak melebihi 10 MB.",
    ),
}

# Why the documents service refused a file, by its error code, in both languages.
_REASONS: dict[str, tuple[str, str]] = {
    "file_too_large": ("it is larger than 10 MB.", "saiznya melebihi 10 MB."),
    "unsupported_file": (
        "it is not a readable PDF, JPEG or PNG file (checked by its content).",
        "ia bukan fail PDF, JPEG atau PNG yang boleh dibaca (disemak melalui kandungannya).",
    ),
    "already_submitted": (
        "your registration was already submitted, so it cannot take more documents.",
        "pendaftaran anda telah dihantar, jadi ia tidak boleh menerima dokumen lagi.",
    ),
}
_OTHER_REASON = ("it could not be stored.", "ia tidak dapat disimpan.")


def reply_text(kind: str, language: str | None, **values: Any) -> str:
    english, malay = (text.format(**values) for text in _REPLIES[kind])
    if language == "ms":
        return malay
    if language == "en":
        return english
    return f"{english}\n\n{malay}"


def draft_registration(db: Session, sender_id: str) -> Employer | None:
    """The newest draft registration of the account logged in on this chat, if any."""
    try:
        actor = resolve_actor(db, sender_id)
    except ApiError:
        return None
    drafts = [e for e in registrations.list_for(db, actor) if e.status == "draft"]
    return max(drafts, key=lambda e: (e.updated_at, e.id)) if drafts else None


def asked_doc_type(db: Session, sender_id: str) -> str | None:
    """The checklist item the bot's latest reply asked for, if it did: its upload link names it
    (``?doc=foreign_worker_passport`` when the foreign worker form asks for the passport pages).

    Only the bot's reply since the user's last text counts (files sent meanwhile and their
    acknowledgements are passed over), so a later question does not inherit it."""
    rows = db.scalars(
        select(ConversationMessage)
        .where(ConversationMessage.sender_id == sender_id)
        .order_by(ConversationMessage.id.desc())
        .limit(20)
    )
    for row in rows:
        data = row.data or {}
        if data.get("file") or data.get("hub") == "file":
            continue
        if row.direction == "in":
            return None
        url = str((data.get("link") or {}).get("url") or "")
        doc = parse_qs(urlsplit(url).query).get("doc")
        if doc:
            return doc[0]
    return None


def choose_doc_type(
    db: Session, employer: Employer, caption: str | None, asked: str | None = None
) -> dict[str, Any]:
    """A caption naming a checklist item wins; then the item the chat just asked for; else the
    first mandatory one still missing."""
    items = registrations.checklist_status(db, employer)
    wanted = " ".join((caption or "").lower().split())
    if wanted:
        for item in items:
            names = {item["doc_type"], str(item.get("name_en", "")), str(item.get("name_ms", ""))}
            names |= set(item.get("keywords") or [])  # 'passport' for the passport pages
            if any(name and name.lower() in wanted for name in names):
                return item
    for candidates in (
        [i for i in items if i["doc_type"] == asked],
        [i for i in items if i.get("mandatory") and not i["uploaded"]],
        [i for i in items if not i["uploaded"]],
        items,
    ):
        if candidates:
            return candidates[0]
    raise ApiError(409, "no_document_types", "this registration takes no documents")


def receive_file(
    db: Session,
    settings: Settings,
    *,
    sender_id: str,
    filename: str,
    data: bytes,
    caption: str | None,
    language: str | None,
    now: datetime,
    channel: str = "telegram",
) -> dict[str, Any]:
    """Store the file for the chat's draft registration; always answers ``{messages: [...]}``."""
    from backend.services import contributions_upload

    if contributions_upload.file_format(filename):  # .txt/.csv/.xlsx: a payroll file (issue 4)
        return contributions_upload.receive(
            db,
            settings,
            sender_id=sender_id,
            filename=filename,
            data=data,
            caption=caption,
            language=language,
            now=now,
            channel=channel,
        )
    get_conversation(db, sender_id, channel, language)
    _record(
        db, sender_id, "in", caption or None, {"file": {"filename": mask_identifiers(filename)}}
    )
    employer = draft_registration(db, sender_id)
    result: dict[str, Any]
    if employer is None:
        text = reply_text("no_registration", language)
        result = {"messages": [{"text": text}], "refused": "no_registration"}
    else:
        try:
            item = choose_doc_type(db, employer, caption, asked_doc_type(db, sender_id))
            row = documents.add(
                db,
                settings,
                employer,
                item["doc_type"],
                None,
                caption,
                filename,
                data,
                now,
            )
        except ApiError as exc:
            db.rollback()
            detail = exc.detail if isinstance(exc.detail, dict) else {}
            code = str(detail.get("code") or "rejected")
            reason_en, reason_ms = _REASONS.get(code, _OTHER_REASON)
            text = reply_text(
                "rejected", language, filename=filename, reason_en=reason_en, reason_ms=reason_ms
            )
            result = {"messages": [{"text": text}], "refused": code}
        else:
            text = reply_text(
                "stored",
                language,
                filename=row.original_filename,
                doc_en=item.get("name_en") or item["doc_type"],
                doc_ms=item.get("name_ms") or item.get("name_en") or item["doc_type"],
                reference=employer.reference,
            )
            result = {
                "messages": [{"text": text}],
                "document": {
                    "id": row.id,
                    "registration_id": employer.id,
                    "doc_type": row.doc_type,
                    "media_type": row.media_type,
                },
            }
    _record(db, sender_id, "out", result["messages"][0]["text"], {"hub": "file"})
    db.commit()
    logger.info(
        "file received",
        extra={
            "event": "hub_file",
            "sender": sender_id,
            "bytes": len(data),
            "refused": result.get("refused"),
        },
    )
    return result
