"""Helpline staff sign-in: argon2 passwords, a signed staff-only session cookie, lock-out.

The staff cookie (``assist_staff``) has its own salt, so neither a portal user's ``assist_web``
cookie nor the chat cookie can ever pass for it. CSRF reuses :mod:`backend.services.web_auth`.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.domain.identifiers import IdentifierError, normalise_email
from backend.models import StaffUser
from backend.services.security import hash_secret, sign, unsign, verify_secret
from backend.settings import Settings

log = logging.getLogger(__name__)

SESSION_COOKIE = "assist_staff"
SESSION_MAX_AGE = 8 * 3600
MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 12
ROLES = ("agent", "supervisor")
_SALT = "staff-session-v1"


class StaffError(ValueError):
    """Bad input when creating a staff account."""


@dataclass(frozen=True)
class StaffLogin:
    staff: StaffUser | None = None
    error: str | None = None  # bad_credentials | locked
    locked_seconds: int = 0


def find(db: Session, email: str) -> StaffUser | None:
    try:
        address = normalise_email(email)
    except IdentifierError:
        return None
    return db.scalar(select(StaffUser).where(StaffUser.email == address))


def create_staff(
    db: Session, email: str, name: str, password: str, role: str = "agent"
) -> StaffUser:
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    try:
        address = normalise_email(email)
    except IdentifierError as exc:
        raise StaffError("invalid email address") from exc
    if not name.strip():
        raise StaffError("name is required")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise StaffError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if find(db, address) is not None:
        raise StaffError("a staff account with this email already exists")
    staff = StaffUser(
        email=address, name=name.strip(), role=role, password_hash=hash_secret(password)
    )
    db.add(staff)
    db.flush()
    return staff


def login(db: Session, email: str, password: str, now: datetime) -> StaffLogin:
    staff = find(db, email)
    if staff is None or not staff.active:
        return StaffLogin(error="bad_credentials")
    if staff.locked_until and staff.locked_until > now:
        return StaffLogin(error="locked", locked_seconds=_seconds(staff.locked_until - now))
    if verify_secret(staff.password_hash, password or ""):
        staff.failed_attempts = 0
        staff.locked_until = None
        db.commit()
        return StaffLogin(staff=staff)
    staff.failed_attempts = (staff.failed_attempts or 0) + 1
    if staff.failed_attempts >= MAX_FAILURES:
        staff.failed_attempts = 0
        staff.locked_until = now + timedelta(minutes=LOCK_MINUTES)
        db.commit()
        log.warning("staff sign-in for staff %s locked after repeated failures", staff.id)
        return StaffLogin(error="locked", locked_seconds=LOCK_MINUTES * 60)
    db.commit()
    return StaffLogin(error="bad_credentials")


def _seconds(delta: timedelta) -> int:
    return max(1, int(delta.total_seconds()))


def _stamp(staff: StaffUser) -> str:
    return staff.password_hash[-12:]


def session_value(settings: Settings, staff: StaffUser) -> str:
    return sign(settings.assist_secret_key, _SALT, {"s": staff.id, "p": _stamp(staff)})


def staff_from_session(db: Session, settings: Settings, cookie: str | None) -> StaffUser | None:
    if not cookie:
        return None
    payload = unsign(settings.assist_secret_key, _SALT, cookie, SESSION_MAX_AGE)
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int):
        return None
    staff = db.get(StaffUser, payload["s"])
    if staff is None or not staff.active:
        return None
    return staff if hmac.compare_digest(str(payload.get("p", "")), _stamp(staff)) else None
