"""Portal accounts (QRG 1), their applications and the login state (OTP codes, lockouts)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base
from backend.models._common import utcnow
from backend.security import EncryptedText, keep_lookup_hashes


class PortalAccount(Base):
    """An ASSIST portal ID: the email address is the ID."""

    __tablename__ = "portal_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    mykad: Mapped[str] = mapped_column(EncryptedText)  # encrypted at rest (PDPA)
    mykad_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    mobile: Mapped[str] = mapped_column(String(20))
    company_name: Mapped[str] = mapped_column(String(200))
    company_role: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(Text, nullable=True)
    temp_password_hash: Mapped[str | None] = mapped_column(Text, nullable=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    terms_accepted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PortalApplication(Base):
    """The filled 'Borang Permohonan Enrolment Penggunaan Portal ASSIST' and where it came from."""

    __tablename__ = "portal_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_accounts.id", ondelete="SET NULL"), nullable=True, index=True
    )
    sender_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    language: Mapped[str] = mapped_column(String(2), default="en")
    full_name: Mapped[str] = mapped_column(String(200))
    mykad: Mapped[str] = mapped_column(EncryptedText)  # encrypted at rest (PDPA)
    mykad_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    email: Mapped[str] = mapped_column(String(254))
    mobile: Mapped[str] = mapped_column(String(20))
    company_name: Mapped[str] = mapped_column(String(200))
    company_role: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    form_pdf_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LoginCode(Base):
    """A one-time chat login code; only its argon2 hash is kept."""

    __tablename__ = "login_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("portal_accounts.id", ondelete="CASCADE"), index=True
    )
    sender_id: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    code_hash: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LoginLockout(Base):
    """Failed sign-in count per account and, after too many, when it may try again."""

    __tablename__ = "login_lockouts"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("portal_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)


# The hash columns follow the numbers on every write (backend/security/pii.py).
keep_lookup_hashes(PortalAccount, {"mykad": "mykad_hash"})
keep_lookup_hashes(PortalApplication, {"mykad": "mykad_hash"})
