"""Web sign-in for the account pages: passwords, forced change, signed session and CSRF cookies.

The session cookie carries only the account id, signed with ASSIST_SECRET_KEY and HTTP-only;
CSRF uses a signed double-submit token so forms work before anyone is logged in.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from backend.domain.identifiers import IdentifierError, normalise_email
from backend.models import PortalAccount
from backend.services import accounts
from backend.services.security import hash_secret, sign, unsign, verify_secret
from backend.settings import Settings

log = logging.getLogger(__name__)

SESSION_COOKIE = "assist_web"
CSRF_COOKIE = "assist_csrf"
SESSION_MAX_AGE = 8 * 3600
CSRF_MAX_AGE = 24 * 3600
MIN_PASSWORD_LENGTH = 10
_SESSION_SALT = "web-session-v1"
_CSRF_SALT = "web-csrf-v1"


@dataclass(frozen=True)
class LoginOutcome:
    """Success (``account``) or a reason the page words in the user's language."""

    account: PortalAccount | None = None
    error: str | None = None  # "bad_credentials" | "locked"
    tries_left: int | None = None
    locked_seconds: int = 0

    @property
    def locked_minutes(self) -> int:
        return max(1, -(-self.locked_seconds // 60))


def session_value(settings: Settings, account: PortalAccount) -> str:
    # The hash prefix ties the session to the current password: changing it ends old sessions.
    stamp = (account.password_hash or account.temp_password_hash or "")[-12:]
    return sign(settings.assist_secret_key, _SESSION_SALT, {"a": account.id, "p": stamp})


def account_from_session(
    db: Session, settings: Settings, cookie: str | None
) -> PortalAccount | None:
    if not cookie:
        return None
    payload = unsign(settings.assist_secret_key, _SESSION_SALT, cookie, SESSION_MAX_AGE)
    if not isinstance(payload, dict) or not isinstance(payload.get("a"), int):
        return None
    account = db.get(PortalAccount, payload["a"])
    if account is None:
        return None
    stamp = (account.password_hash or account.temp_password_hash or "")[-12:]
    return account if hmac.compare_digest(str(payload.get("p", "")), stamp) else None


def new_csrf(settings: Settings) -> tuple[str, str]:
    """(token for the form, signed value for the cookie)."""
    token = secrets.token_urlsafe(24)
    return token, sign(settings.assist_secret_key, _CSRF_SALT, token)


def csrf_token_from_cookie(settings: Settings, cookie: str | None) -> str | None:
    if not cookie:
        return None
    token = unsign(settings.assist_secret_key, _CSRF_SALT, cookie, CSRF_MAX_AGE)
    return token if isinstance(token, str) else None


def csrf_ok(settings: Settings, cookie: str | None, submitted: str | None) -> bool:
    expected = csrf_token_from_cookie(settings, cookie)
    return bool(expected and submitted) and hmac.compare_digest(expected, submitted or "")


def login(db: Session, email: str, password: str, now: datetime) -> LoginOutcome:
    """Check email + password (the temporary one until it is changed)."""
    try:
        account = accounts.find_by_email(db, normalise_email(email))
    except IdentifierError:
        account = None
    if account is None:
        return LoginOutcome(error="bad_credentials")
    locked = accounts.locked_for_seconds(db, account.id, now)
    if locked:
        return LoginOutcome(error="locked", locked_seconds=locked)
    stored = account.temp_password_hash if account.must_change_password else account.password_hash
    if verify_secret(stored, password or ""):
        accounts.clear_failures(db, account.id)
        db.commit()
        return LoginOutcome(account=account)
    tries_left, locked = accounts.record_failure(db, account.id, now)
    db.commit()
    if locked:
        log.warning("web login for account %s locked after repeated wrong passwords", account.id)
        return LoginOutcome(error="locked", locked_seconds=locked)
    return LoginOutcome(error="bad_credentials", tries_left=tries_left)


def change_password(
    db: Session,
    account: PortalAccount,
    new_password: str,
    confirm_password: str,
    agreed: bool,
    now: datetime,
) -> list[str]:
    """Set the user's own password (and accept the terms).

    Returns error keys (``too_short``, ``mismatch``, ``same_as_temporary``, ``must_agree``),
    empty on success; the page words them in the user's language.
    """
    errors: list[str] = []
    if len(new_password or "") < MIN_PASSWORD_LENGTH:
        errors.append("too_short")
    elif new_password != confirm_password:
        errors.append("mismatch")
    elif verify_secret(account.temp_password_hash, new_password):
        errors.append("same_as_temporary")
    if account.terms_accepted_at is None and not agreed:
        errors.append("must_agree")
    if errors:
        return errors
    account.password_hash = hash_secret(new_password)
    account.temp_password_hash = None
    account.must_change_password = False
    if account.terms_accepted_at is None:
        account.terms_accepted_at = now
    db.commit()
    log.info("account %s set its own password", account.id)
    return []
