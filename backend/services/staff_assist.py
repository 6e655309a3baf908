"""Assisted mode: a helpline agent chats with the assistant for a caller (issue 6).

1. The agent names the caller's portal account (email); :func:`start` emails a six-digit code to
   the account's own address (never shown to the agent) and creates an ``assisted_sessions`` row
   with a fresh Rasa sender id ``staff-<agent id>-<random>``.
2. The caller reads the code out; :func:`verify` checks it (argon2, 10 minutes, 5 tries) and binds
   that conversation to the account (``conversations.account_id``), as the OTP login does.
3. Every turn the agent sends, and every service-API call the action server makes for that
   conversation (``backend/services/acting.py`` asks :func:`acting_staff_id`), is written to
   ``staff_audit`` as "agent X for account Y".
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import AssistedSession, PortalAccount, StaffUser
from backend.services import conversations, email, security, staff_audit
from backend.settings import Settings

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
SENDER_PREFIX = "staff-"


@dataclass
class AssistError(Exception):
    status: int
    code: str
    message: str


def _account(db: Session, address: str) -> PortalAccount | None:
    return db.scalars(
        select(PortalAccount).where(PortalAccount.email == address.strip().lower())
    ).first()


def _code_email(name: str, code: str) -> tuple[str, str]:
    subject = "Your ASSIST helpline verification code / Kod pengesahan talian bantuan ASSIST"
    body = (
        f"Dear {name},\n\n"
        "A PERKESO helpline officer is helping you with your ASSIST account on the phone. "
        f"Read this code out to them: {code}\n"
        "It expires in 10 minutes. If you are not on a call with PERKESO, ignore this email "
        "and do not share the code.\n\n"
        "Pegawai talian bantuan PERKESO sedang membantu anda dengan akaun ASSIST melalui "
        f"telefon. Bacakan kod ini kepada mereka: {code}\n"
        "Kod ini tamat tempoh dalam 10 minit. Jika anda tidak sedang bercakap dengan PERKESO, "
        "abaikan e-mel ini dan jangan kongsi kod ini.\n"
    )
    return subject, body


def start(
    db: Session, settings: Settings, staff: StaffUser, address: str, now: datetime
) -> AssistedSession:
    """Email a code to the account's address and open an unverified assisted session."""
    account = _account(db, address)
    if account is None:
        raise AssistError(404, "no_account", "No portal account uses that email address.")
    code = security.new_login_code()
    row = AssistedSession(
        staff_id=staff.id,
        account_id=account.id,
        sender_id=f"{SENDER_PREFIX}{staff.id}-{secrets.token_urlsafe(12)}",
        code_hash=security.hash_secret(code),
        attempts=0,
        expires_at=now + CODE_TTL,
        created_at=now,
    )
    db.add(row)
    subject, body = _code_email(account.full_name, code)
    email.send_email(db, account.email, subject, body, settings=settings)
    db.flush()
    staff_audit.record(
        db,
        staff,
        "assist_code_sent",
        subject=email.mask_email(account.email),
        detail={"account_id": account.id, "session_id": row.id},
    )
    return row


def get_for(db: Session, session_id: int, staff: StaffUser) -> AssistedSession:
    row = db.get(AssistedSession, session_id)
    if row is None or row.staff_id != staff.id:
        raise AssistError(404, "not_found", "No such assisted chat of yours.")
    return row


def verify(
    db: Session, staff: StaffUser, session_id: int, code: str, now: datetime
) -> AssistedSession:
    row = get_for(db, session_id, staff)
    if row.verified_at is not None:
        return row
    if row.ended_at is not None or row.attempts >= MAX_ATTEMPTS:
        raise AssistError(423, "locked", "Too many wrong codes: start again to send a new one.")
    if now > row.expires_at:
        raise AssistError(410, "expired", "The code has expired: start again to send a new one.")
    row.attempts += 1
    if not security.verify_secret(row.code_hash, (code or "").strip()):
        left = MAX_ATTEMPTS - row.attempts
        staff_audit.record(
            db, staff, "assist_wrong_code", detail={"account_id": row.account_id, "left": left}
        )
        db.commit()
        raise AssistError(400, "wrong_code", f"That code is not right ({left} tries left).")
    row.verified_at = now
    conversation = conversations.bind_account(db, row.sender_id, row.account_id, now)
    conversation.channel = "assisted"
    staff_audit.record(
        db,
        staff,
        "assist_verified",
        subject=_who(db, staff, row.account_id),
        detail={"account_id": row.account_id, "session_id": row.id},
    )
    return row


def end(db: Session, staff: StaffUser, session_id: int, now: datetime) -> AssistedSession:
    row = get_for(db, session_id, staff)
    if row.ended_at is None:
        row.ended_at = now
        conversations.logout(db, row.sender_id, now)
        staff_audit.record(
            db, staff, "assist_ended", detail={"account_id": row.account_id, "session_id": row.id}
        )
    return row


def active_session(db: Session, sender_id: str) -> AssistedSession | None:
    """The verified, not ended assisted session driving ``sender_id`` (None for users' chats)."""
    if not sender_id.startswith(SENDER_PREFIX):
        return None
    return db.scalars(
        select(AssistedSession).where(
            AssistedSession.sender_id == sender_id,
            AssistedSession.verified_at.is_not(None),
            AssistedSession.ended_at.is_(None),
        )
    ).first()


def _who(db: Session, staff: StaffUser | None, account_id: int) -> str:
    account = db.get(PortalAccount, account_id)
    target = email.mask_email(account.email) if account else f"account {account_id}"
    agent = staff.email if staff else "agent ?"
    return f"agent {agent} for account {target}"


def audit_call(db: Session, sender_id: str, method: str, path: str) -> int | None:
    """For ``acting.py``: audit one service-API call made in an assisted conversation; the
    agent's id (None when ``sender_id`` is not an assisted chat)."""
    session = active_session(db, sender_id)
    if session is None:
        return None
    staff = db.get(StaffUser, session.staff_id) if session.staff_id else None
    staff_audit.record(
        db,
        staff,
        "assist_api_call",
        subject=_who(db, staff, session.account_id),
        detail={"account_id": session.account_id, "call": f"{method} {path}"[:200]},
    )
    return session.staff_id


def audit_turn(db: Session, staff: StaffUser, row: AssistedSession, text: str) -> None:
    staff_audit.record(
        db,
        staff,
        "assist_message",
        subject=_who(db, staff, row.account_id),
        detail={"account_id": row.account_id, "chars": len(text)},
    )
