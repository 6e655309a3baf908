"""Employer registration (QRG 2, 2b), its employees (QRG 3), documents and letters (QRG 4).

``employers`` holds drafts as well as registered employers: a draft has ``status="draft"`` and
no ``employer_code``; submitting gives it the code. Employees belong to one employer row.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base
from backend.models._common import utcnow
from backend.security import EncryptedText, keep_lookup_hashes


class Employer(Base):
    """One employer registration: a draft until submitted, then a registered employer."""

    __tablename__ = "employers"
    # One registered employer per number, however many drafts (a race between two submissions
    # ends here, not in two codes). On the keyed hash: the number itself is encrypted.
    __table_args__ = (
        Index(
            "uq_employers_registered_number",
            "registration_type",
            "registration_no_hash",
            unique=True,
            sqlite_where=text("status = 'submitted'"),
            postgresql_where=text("status = 'submitted'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # CRN + 14 digits
    account_id: Mapped[int] = mapped_column(
        ForeignKey("portal_accounts.id", ondelete="CASCADE"), index=True
    )
    sender_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    language: Mapped[str] = mapped_column(String(2), default="en")
    registration_type: Mapped[str] = mapped_column(String(10))  # "employer" | "domestic"
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    business_entity: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sub_entity: Mapped[str | None] = mapped_column(String(60), nullable=True)
    sub_entity_item: Mapped[str | None] = mapped_column(String(80), nullable=True)
    # A sole proprietor's or domestic employer's number is their MyKad/passport: encrypted at
    # rest like every ID number, looked up by its keyed hash (backend/security).
    registration_no: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    registration_no_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    registration_no_format: Mapped[str | None] = mapped_column(String(10), nullable=True)
    employer_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    business_start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    nationality: Mapped[str | None] = mapped_column(String(60), nullable=True)
    owner_id_type: Mapped[str | None] = mapped_column(String(10), nullable=True)
    industry_code: Mapped[str | None] = mapped_column(String(10), nullable=True)
    domestic_worker_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    domestic_worker_residency: Mapped[str | None] = mapped_column(String(10), nullable=True)
    address_line1: Mapped[str | None] = mapped_column(String(200), nullable=True)
    address_line2: Mapped[str | None] = mapped_column(String(200), nullable=True)
    city: Mapped[str | None] = mapped_column(String(100), nullable=True)
    postcode: Mapped[str | None] = mapped_column(String(5), nullable=True)
    state: Mapped[str | None] = mapped_column(String(40), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    induction_office: Mapped[str | None] = mapped_column(String(40), nullable=True)
    flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    employer_code: Mapped[str | None] = mapped_column(String(12), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Employee(Base):
    """A worker registered under an employer (local or foreign, regular or domestic)."""

    __tablename__ = "employees"
    __table_args__ = (
        UniqueConstraint("employer_id", "id_type", "id_no_hash", name="uq_employees_employer_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    employer_id: Mapped[int] = mapped_column(
        ForeignKey("employers.id", ondelete="CASCADE"), index=True
    )
    residency: Mapped[str] = mapped_column(String(7))  # "local" | "foreign"
    worker_type: Mapped[str] = mapped_column(String(8), default="regular")  # | "domestic"
    id_type: Mapped[str] = mapped_column(String(10))  # mykad|old_ic|army|police|passport
    # IC/passport numbers are encrypted at rest; look-ups compare the keyed hashes (PDPA).
    id_no: Mapped[str] = mapped_column(EncryptedText)
    id_no_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    ssfw_no: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(6))  # "male" | "female"
    nationality: Mapped[str | None] = mapped_column(String(60), nullable=True)
    passport_no: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    passport_no_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    passport_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    passport_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    permit_no: Mapped[str | None] = mapped_column(String(30), nullable=True)
    permit_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    permit_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    kin_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    kin_phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    kin_relationship: Mapped[str | None] = mapped_column(String(60), nullable=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    monthly_wage: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    category: Mapped[int | None] = mapped_column(Integer, nullable=True)
    eis_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    coverage_note: Mapped[str] = mapped_column(Text, default="")
    flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # | "registered"
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RegistrationDocument(Base):
    """A supporting document uploaded for a registration (QRG 4 ADD DOCUMENT)."""

    __tablename__ = "registration_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    employer_id: Mapped[int] = mapped_column(
        ForeignKey("employers.id", ondelete="CASCADE"), index=True
    )
    doc_type: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(200))
    remarks: Mapped[str | None] = mapped_column(Text, nullable=True)
    original_filename: Mapped[str] = mapped_column(String(255))
    storage_key: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RegistrationLetter(Base):
    """A PDF the backend generated for a registration: a form (Borang …) or a letter."""

    __tablename__ = "registration_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    employer_id: Mapped[int] = mapped_column(
        ForeignKey("employers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    storage_key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


keep_lookup_hashes(Employer, {"registration_no": "registration_no_hash"})
keep_lookup_hashes(Employee, {"id_no": "id_no_hash", "passport_no": "passport_no_hash"})
