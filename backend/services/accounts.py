"""Portal accounts: look-ups, the shared sign-in lockout, and the public view of an account.

Both chat OTP and web passwords use one lockout per account (5 failures → 15 minutes), so an
attacker cannot alternate channels to get more guesses.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from math import ceil
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import LoginLockout, PortalAccount

MAX_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)


def find_by_email(db: Session, email: str) -> PortalAccount | None:
    return db.scalar(select(PortalAccount).where(PortalAccount.email == email.strip().lower()))


def public_view(account: PortalAccount) -> dict[str, Any]:
    """What the bot may know about the logged-in account (no MyKad, no hashes)."""
    return {
        "id": account.id,
        "email": account.email,
        "full_name": account.full_name,
        "terms_accepted": account.terms_accepted_at is not None,
    }


def _lockout(db: Session, account_id: int) -> LoginLockout:
    row = db.get(LoginLockout, account_id)
    if row is None:
        row = LoginLockout(account_id=account_id, failures=0, locked_until=None)
        db.add(row)
        db.flush()
    return row


def locked_for_seconds(db: Session, account_id: int, now: datetime) -> int:
    """Seconds until the account may try again (0 when not locked)."""
    row = db.get(LoginLockout, account_id)
    if row is None or row.locked_until is None or row.locked_until <= now:
        return 0
    return max(1, ceil((row.locked_until - now).total_seconds()))


def lock(db: Session, account_id: int, now: datetime) -> int:
    """Lock now for the full duration; returns the seconds to wait."""
    row = _lockout(db, account_id)
    row.locked_until = now + LOCK_DURATION
    row.failures = 0
    return int(LOCK_DURATION.total_seconds())


def record_failure(db: Session, account_id: int, now: datetime) -> tuple[int, int]:
    """Count a failed password; returns (tries_left, locked_seconds)."""
    row = _lockout(db, account_id)
    if row.locked_until is not None and row.locked_until <= now:
        row.locked_until = None
    row.failures += 1
    if row.failures >= MAX_FAILURES:
        return 0, lock(db, account_id, now)
    return MAX_FAILURES - row.failures, 0


def clear_failures(db: Session, account_id: int) -> None:
    row = db.get(LoginLockout, account_id)
    if row is not None:
        row.failures = 0
        row.locked_until = None
