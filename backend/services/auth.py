"""Chat login by one-time code (OTP) sent to the portal account's email.

Codes are six digits, stored only as argon2 hashes, valid 10 minutes, bound to the chat that
asked for them; a new request voids older codes; five wrong tries lock the account 15 minutes.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.domain.identifiers import IdentifierError, normalise_email
from backend.errors import ApiError
from backend.models import LoginCode, PortalAccount
from backend.services import accounts, conversations
from backend.services.email import send_email
from backend.services.security import hash_secret, new_login_code, verify_secret
from backend.settings import Settings

log = logging.getLogger(__name__)
CODE_TTL = timedelta(minutes=10)
MAX_CODE_ATTEMPTS = 5
# Anyone can type an email into the chat, so cap codes per account to stop email flooding;
# the contract's 423 "locked" + retry_after_seconds already tells the bot what to say.
MAX_CODES_PER_WINDOW = 5
CODE_WINDOW = timedelta(minutes=15)


def _locked_error(seconds: int) -> ApiError:
    return ApiError(
        423,
        "locked",
        f"too many wrong attempts; try again in {max(1, seconds // 60)} minutes",
        headers={"Retry-After": str(seconds)},
        retry_after_seconds=seconds,
    )


def _account(db: Session, email: str) -> PortalAccount | None:
    try:
        return accounts.find_by_email(db, normalise_email(email))
    except IdentifierError:
        return None


def _code_email(language: str, name: str, code: str) -> tuple[str, str]:
    minutes = int(CODE_TTL.total_seconds() // 60)
    if language == "ms":
        return (
            "Kod log masuk ASSIST Assistant",
            f"Salam {name},\n\nKod log masuk anda ialah {code}. Kod ini sah selama {minutes} "
            "minit. Jangan kongsi kod ini dengan sesiapa.\n\nJika anda tidak meminta kod ini, "
            "abaikan e-mel ini.\n\nASSIST Assistant\n",
        )
    return (
        "Your ASSIST Assistant login code",
        f"Dear {name},\n\nYour login code is {code}. It is valid for {minutes} minutes. Do not "
        "share it with anyone.\n\nIf you did not ask for this code, ignore this email.\n\n"
        "ASSIST Assistant\n",
    )


def request_code(
    db: Session, sender_id: str, email: str, language: str, settings: Settings, now: datetime
) -> dict[str, Any]:
    account = _account(db, email)
    if account is None:
        raise ApiError(404, "no_account", "no portal account uses this email")
    locked = accounts.locked_for_seconds(db, account.id, now)
    if locked:
        raise _locked_error(locked)
    recent = list(
        db.scalars(
            select(LoginCode.created_at)
            .where(LoginCode.account_id == account.id, LoginCode.created_at > now - CODE_WINDOW)
            .order_by(LoginCode.created_at)
        )
    )
    if len(recent) >= MAX_CODES_PER_WINDOW:
        wait = recent[-MAX_CODES_PER_WINDOW] + CODE_WINDOW - now
        raise _locked_error(max(1, int(wait.total_seconds())))
    db.execute(
        update(LoginCode)
        .where(LoginCode.account_id == account.id, LoginCode.used_at.is_(None))
        .values(used_at=now)
    )
    code = new_login_code()
    db.add(
        LoginCode(
            account_id=account.id,
            sender_id=sender_id,
            code_hash=hash_secret(code),
            expires_at=now + CODE_TTL,
            attempts=0,
            created_at=now,
        )
    )
    subject, body = _code_email(
        language if language in ("en", "ms") else "en", account.full_name, code
    )
    send_email(db, account.email, subject, body, settings=settings)
    db.commit()
    log.info("login code sent for account %s to chat %s", account.id, sender_id)
    return {"status": "sent", "expires_in_seconds": int(CODE_TTL.total_seconds())}


def verify_code(
    db: Session, sender_id: str, email: str, code: str, now: datetime
) -> dict[str, Any]:
    account = _account(db, email)
    if account is None:
        raise ApiError(404, "no_pending_code", "no login code is waiting for this email")
    locked = accounts.locked_for_seconds(db, account.id, now)
    if locked:
        raise _locked_error(locked)
    pending = db.scalar(
        select(LoginCode)
        .where(
            LoginCode.account_id == account.id,
            LoginCode.sender_id == sender_id,
            LoginCode.used_at.is_(None),
        )
        .order_by(LoginCode.id.desc())
        .limit(1)
    )
    if pending is None:
        raise ApiError(404, "no_pending_code", "no login code is waiting; ask for a new one")
    if pending.expires_at <= now:
        pending.used_at = now
        db.commit()
        raise ApiError(410, "expired", "the login code has expired; ask for a new one")
    typed = "".join((code or "").split())
    if not (typed.isdigit() and len(typed) == 6 and verify_secret(pending.code_hash, typed)):
        # Count per code and per account: asking for a fresh code must not reset the budget.
        pending.attempts += 1
        account_left, seconds = accounts.record_failure(db, account.id, now)
        if not seconds and pending.attempts >= MAX_CODE_ATTEMPTS:
            seconds = accounts.lock(db, account.id, now)
        if seconds:
            pending.used_at = now
            db.commit()
            log.warning("account %s locked after repeated wrong login codes", account.id)
            raise _locked_error(seconds)
        tries_left = min(MAX_CODE_ATTEMPTS - pending.attempts, account_left)
        db.commit()
        raise ApiError(
            400,
            "wrong_code",
            f"the code is not correct; {tries_left} tries left",
            tries_left=tries_left,
        )
    pending.used_at = now
    accounts.clear_failures(db, account.id)
    conversations.bind_account(db, sender_id, account.id, now)
    db.commit()
    log.info("chat %s logged in as account %s", sender_id, account.id)
    return {"status": "verified", "account": accounts.public_view(account)}


def accept_terms(db: Session, sender_id: str, now: datetime) -> dict[str, Any]:
    account = conversations.logged_in_account(db, sender_id)
    if account is None:
        raise ApiError(401, "not_logged_in", "this chat is not logged in to a portal account")
    if account.terms_accepted_at is None:
        account.terms_accepted_at = now
    db.commit()
    return {"terms_accepted": True}
