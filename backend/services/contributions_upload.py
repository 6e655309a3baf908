"""A payroll file sent in the chat (QRG 5 bulk: TEXT FILE, or a CSV/XLSX sheet) → a draft.

The hub's file door (``backend/hub/files.py``, web widget and Telegram) hands over ``.txt``,
``.csv`` and ``.xlsx`` files here; PDFs and images stay registration documents. The file is kept
in ``contribution_uploads`` and imported through :func:`contributions.import_file`, the same
rules as ``POST /api/v1/contributions/import``: every bad line is reported with its number and
reason and nothing is imported, unless the user then taps "skip the bad lines" (the bot's
``import_contribution_file`` → ``POST /api/v1/contributions/uploads/{id}/import``).

The reply words live here in both languages, like the hub's other file replies.
"""

from __future__ import annotations

import base64
import logging
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.domain.identifiers import mask_identifiers
from backend.errors import ApiError
from backend.models import ContributionUpload, Employer, PortalAccount
from backend.services import contributions
from backend.services.acting import resolve_actor
from backend.settings import Settings

logger = logging.getLogger("assist.contributions.upload")

EXTENSIONS = {".txt": "text", ".csv": "csv", ".xlsx": "xlsx"}
MAX_ERRORS_SHOWN = 30
MAX_BYTES = 10 * 1024 * 1024
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "mac": 3, "apr": 4, "may": 5, "mei": 5, "jun": 6, "jul": 7,
    "aug": 8, "ogo": 8, "sep": 9, "oct": 10, "okt": 10, "nov": 11, "dec": 12, "dis": 12,
}  # fmt: skip
_ISO = re.compile(r"(20\d\d)[-_/.]?(0[1-9]|1[0-2])(?!\d)")
_MMYYYY = re.compile(r"(?<!\d)(0[1-9]|1[0-2])[-_/.]?(20\d\d)")
_EIS_HINT = re.compile(r"(?i)(?<![a-z])(eis|sip|act ?800|akta ?800)(?![a-z])")
_SOCSO_HINT = re.compile(r"(?i)(?<![a-z])(socso|perkeso|act ?4|akta ?4)(?![a-z0-9])")
_NAMED = re.compile(r"(?i)(jan|feb|mac|mar|apr|mei|may|jun|jul|ogo|aug|sep|okt|oct|nov|dis|dec)"
                    r"[a-z]*[-_ .]?(20\d\d)")  # fmt: skip

TEXTS: dict[str, tuple[str, str]] = {
    "login_first": (
        "I import payroll files once you're logged in. Say 'log in' first, then send the file "
        "again.",
        "Saya mengimport fail gaji selepas anda log masuk. Taip 'log masuk' dahulu, kemudian "
        "hantar fail itu semula.",
    ),
    "no_employer": (
        "Your account has no registered employer yet, so there is no contribution to import into.",
        "Akaun anda belum mempunyai majikan berdaftar, jadi tiada caruman untuk diimport.",
    ),
    "unreadable": (
        "I couldn't read {filename}: {reason} Send the ASSIST text file (278 characters a line, "
        "or the older 223-character SOCSO-only or EIS-only file), or a CSV/XLSX sheet with the "
        "columns ID, name, wage.",
        "Saya tidak dapat membaca {filename}: {reason} Hantar fail teks ASSIST (278 aksara "
        "setiap baris, atau fail lama 223 aksara PERKESO sahaja atau SIP sahaja), atau helaian "
        "CSV/XLSX dengan lajur ID, nama, gaji.",
    ),
    "errors": (
        "{filename} has {count} line(s) with errors, so nothing was imported:\n{lines}\n"
        "Fix them and send the file again, or import only the good lines.",
        "{filename} mempunyai {count} baris yang salah, jadi tiada apa-apa diimport:\n{lines}\n"
        "Betulkan dan hantar semula, atau import baris yang betul sahaja.",
    ),
    "imported": (
        "Imported {imported} employee(s) from {filename} into a draft for {month}: total "
        "RM{total}. Review it and submit when ready.",
        "{imported} pekerja daripada {filename} telah diimport ke dalam draf bagi {month}: "
        "jumlah RM{total}. Semak dan hantar apabila bersedia.",
    ),
    "wage_notes": (
        "The file has no wages, so for {count} employee(s) I used the top of the wage band their "
        "amount belongs to (their registered wage gives a different amount):\n{lines}\n"
        "Change those wages in the review if needed.",
        "Fail itu tiada gaji, jadi bagi {count} pekerja saya guna had atas jalur gaji yang "
        "sepadan dengan amaun mereka (gaji berdaftar memberi amaun lain):\n{lines}\n"
        "Ubah gaji itu semasa semakan jika perlu.",
    ),
    "refused": (
        "I couldn't import {filename}: {reason}",
        "Saya tidak dapat mengimport {filename}: {reason}",
    ),
}
BUTTONS: dict[str, tuple[str, str]] = {
    "skip": ("Import the good lines only", "Import baris yang betul sahaja"),
    "review": ("Review and submit", "Semak dan hantar"),
}
# Why a file was refused, by the import's error code (the English message is the fallback).
REASONS: dict[str, tuple[str, str]] = {
    "several_months": (
        "the file holds several months; send one month per file.",
        "fail itu mengandungi beberapa bulan; hantar satu bulan bagi setiap fail.",
    ),
    "single_scheme_ambiguous": (
        "this 223-character file could be SOCSO-only or EIS-only. Send it again with the "
        "caption 'SOCSO' or 'EIS'.",
        "fail 223 aksara ini mungkin PERKESO sahaja atau SIP sahaja. Hantar semula dengan "
        "kapsyen 'PERKESO' atau 'SIP'.",
    ),
    "nothing_to_import": ("no line could be imported.", "tiada baris yang boleh diimport."),
    "invalid_month": (
        "the month is in the future or not valid.",
        "bulan itu bulan akan datang atau tidak sah.",
    ),
    "not_utf8": (
        "it is not a plain text file.",
        "ia bukan fail teks biasa.",
    ),
    "too_large": ("it is larger than 10 MB.", "saiznya melebihi 10 MB."),
    "not_xlsx": (
        "it is not a readable Excel (.xlsx) file.",
        "ia bukan fail Excel (.xlsx) yang boleh dibaca.",
    ),
}  # fmt: skip


def file_format(filename: str) -> str | None:
    """``text``/``csv``/``xlsx`` for a payroll file's name, else None (a document)."""
    lowered = filename.lower().strip()
    for extension, kind in EXTENSIONS.items():
        if lowered.endswith(extension):
            return kind
    return None


def month_hint(*texts: str | None) -> str | None:
    """'payroll_2026-10.csv', 'gaji 10-2026', 'October 2026' → '2026-10'."""
    for text in texts:
        if not text:
            continue
        match = _ISO.search(text)
        if match:
            return f"{match.group(1)}-{match.group(2)}"
        match = _MMYYYY.search(text)
        if match:
            return f"{match.group(2)}-{match.group(1)}"
        match = _NAMED.search(text)
        if match:
            return f"{match.group(2)}-{_MONTHS[match.group(1).lower()[:3]]:02d}"
    return None


def act_hint(*texts: str | None) -> str:
    """'EIS', 'sip_102026.txt' → act800; 'SOCSO', 'perkeso.txt' → act4; else both (inferred
    from the amounts for an older 223-character file)."""
    for text in texts:
        if not text:
            continue
        eis, socso = _EIS_HINT.search(text), _SOCSO_HINT.search(text)
        if eis and not socso:
            return "act800"
        if socso and not eis:
            return "act4"
    return "both"


def _previous_month(today: date) -> str:
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def _text(kind: str, language: str | None, **values: Any) -> str:
    english, malay = TEXTS[kind]
    return (malay if language == "ms" else english).format(**values)


def _reason(code: str, message: str, language: str | None) -> str:
    pair = REASONS.get(code)
    if pair is None:
        return message
    return pair[1] if language == "ms" else pair[0]


def _employers(db: Session, account: PortalAccount) -> list[Employer]:
    return list(
        db.scalars(
            select(Employer)
            .where(
                Employer.account_id == account.id,
                Employer.employer_code.is_not(None),
                Employer.status != "draft",
            )
            .order_by(Employer.id)
        )
    )


def _pick_employer(employers: list[Employer], kind: str, content: str) -> Employer:
    """A text file names its employer in columns 1-12; otherwise the account's first."""
    if kind == "text":
        code = content.lstrip("\ufeff")[:12].strip().upper()
        for employer in employers:
            if (employer.employer_code or "").upper() == code:
                return employer
    return employers[0]


def decode(kind: str, data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise ApiError(413, "too_large", "file larger than 10 MB")
    if kind == "xlsx":
        if not data.startswith(b"PK"):
            raise ApiError(415, "not_xlsx", "not an xlsx (zip) file")
        return base64.b64encode(data).decode("ascii")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApiError(415, "not_utf8", "not a text file") from exc


def run_import(
    db: Session,
    account: PortalAccount,
    upload: ContributionUpload,
    skip: bool,
    now: datetime,
    act: str | None = None,
) -> dict[str, Any]:
    """Import the stored upload; ``ApiError`` (e.g. ``file_has_errors``) when refused.

    ``act`` matters only for an older 223-character file (SOCSO-only or EIS-only): the caption's
    hint when the file is first sent, then the one stored with the upload (so "import the good
    lines only", which has no caption, reads the file the same way), else the file name's, else
    inferred from the amounts."""
    row, errors, imported, notes = contributions.import_file(
        db,
        account,
        upload.employer_id,
        upload.content,
        upload.file_format,
        "Monthly",
        act or upload.act or act_hint(upload.filename),
        upload.month,
        skip,
        now,
        upload.sender_id,
    )
    upload.contribution_id = row.id
    db.commit()
    return {
        "contribution": contributions.view(row),
        "imported": imported,
        "skipped": len(errors),
        "errors": [e.to_dict() for e in errors],
        "notes": [n.to_dict() for n in notes],
        "upload_id": upload.id,
    }


def error_lines(errors: list[dict[str, Any]], language: str | None = None) -> str:
    word = "baris" if language == "ms" else "line"
    shown = [f"- {word} {e['line']}: {e['message']}" for e in errors[:MAX_ERRORS_SHOWN]]
    if len(errors) > MAX_ERRORS_SHOWN:
        shown.append(f"- … +{len(errors) - MAX_ERRORS_SHOWN}")
    return "\n".join(shown)


def note_lines(notes: list[dict[str, Any]], language: str | None) -> str:
    """'- line 2: Tan Ah Kow RM3,100.00 (amount RM68.60; registered wage RM3,000.00)'."""
    word, amount, registered = (
        ("baris", "amaun", "gaji berdaftar")
        if language == "ms"
        else ("line", "amount", "registered wage")
    )
    shown = []
    for note in notes[:MAX_ERRORS_SHOWN]:
        v = note.get("values") or {}
        shown.append(
            f"- {word} {note['line']}: {v.get('name', '-')} RM{_comma(v.get('wage'))} "
            f"({amount} RM{_comma(v.get('amount'))}; {registered} RM{_comma(v.get('registered'))})"
        )
    if len(notes) > MAX_ERRORS_SHOWN:
        shown.append(f"- … +{len(notes) - MAX_ERRORS_SHOWN}")
    return "\n".join(shown)


def _comma(value: Any) -> str:
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value or "-")


def receive(
    db: Session,
    settings: Settings,
    *,
    sender_id: str,
    filename: str,
    data: bytes,
    caption: str | None,
    language: str | None,
    now: datetime,
    channel: str,
) -> dict[str, Any]:
    """Store and import the file; always answers the hub's ``{messages: [...]}``."""
    from backend.hub.service import _record, get_conversation

    conversation = get_conversation(db, sender_id, channel, language)
    language = language or conversation.language
    _record(
        db, sender_id, "in", caption or None, {"file": {"filename": mask_identifiers(filename)}}
    )
    kind = file_format(filename) or "text"
    message: dict[str, Any]
    try:
        account = resolve_actor(db, sender_id).account
    except ApiError:
        message = {"text": _text("login_first", language)}
        return _reply(db, conversation, sender_id, message, "not_logged_in")
    employers = _employers(db, account)
    if not employers:
        return _reply(
            db, conversation, sender_id, {"text": _text("no_employer", language)}, "no_employer"
        )
    try:
        content = decode(kind, data)
    except ApiError as exc:
        detail = exc.detail if isinstance(exc.detail, dict) else {}
        code = str(detail.get("code"))
        reason = _reason(code, str(detail.get("message")), language)
        message = {"text": _text("unreadable", language, filename=filename, reason=reason)}
        return _reply(db, conversation, sender_id, message, code)
    employer = _pick_employer(employers, kind, content)
    month = month_hint(caption, filename) or _previous_month(now.date())
    act = act_hint(caption, filename)
    upload = ContributionUpload(
        account_id=account.id,
        employer_id=employer.id,
        sender_id=sender_id,
        filename=filename[:200],
        file_format=kind,
        month=month,
        act=act,
        content=content,
        created_at=now,
    )
    db.add(upload)
    db.commit()
    try:
        result = run_import(db, account, upload, False, now, act)
    except ApiError as exc:
        db.rollback()
        detail = exc.detail if isinstance(exc.detail, dict) else {}
        code = str(detail.get("code") or "refused")
        if code == "file_has_errors":
            errors = list(detail.get("errors") or [])
            skip = BUTTONS["skip"][1 if language == "ms" else 0]
            message = {
                "text": _text(
                    "errors",
                    language,
                    filename=filename,
                    count=len(errors),
                    lines=error_lines(errors, language),
                ),
                "buttons": [
                    {
                        "title": skip,
                        "payload": f'/import_contribution_file{{"upload_id":"{upload.id}"}}',
                    }
                ],
            }
        else:
            reason = _reason(code, str(detail.get("message") or code), language)
            message = {"text": _text("refused", language, filename=filename, reason=reason)}
        logger.info("upload %s refused: %s", upload.id, code)
        return _reply(db, conversation, sender_id, message, code)
    view = result["contribution"]
    review = BUTTONS["review"][1 if language == "ms" else 0]
    message = {
        "text": _text(
            "imported",
            language,
            imported=result["imported"],
            filename=filename,
            month=view["month"],
            total=view["total_amount"],
        ),
        "buttons": [{"title": review, "payload": "/submit_contribution"}],
    }
    if result["notes"]:
        message["text"] += "\n\n" + _text(
            "wage_notes",
            language,
            count=len(result["notes"]),
            lines=note_lines(result["notes"], language),
        )
    return _reply(db, conversation, sender_id, message, None, upload_id=upload.id)


def _reply(
    db: Session,
    conversation: Any,
    sender_id: str,
    message: dict[str, Any],
    refused: str | None,
    **extra: Any,
) -> dict[str, Any]:
    """Record the reply (its buttons become the payloads the hub accepts next) and answer it."""
    from backend.hub.service import _record

    buttons = [b["payload"] for b in message.get("buttons", [])]
    if buttons:
        conversation.last_buttons = buttons
    data = {k: v for k, v in message.items() if k != "text"}
    _record(db, sender_id, "out", message["text"], {**data, "hub": "contribution_file"})
    db.commit()
    out: dict[str, Any] = {"messages": [message], **extra}
    if refused:
        out["refused"] = refused
    return out


def upload_of(db: Session, account: PortalAccount, upload_id: int) -> ContributionUpload:
    upload = db.get(ContributionUpload, upload_id)
    if upload is None or upload.account_id != account.id:
        raise ApiError(404, "upload_not_found", "no such upload on this account")
    return upload
