"""Monthly contributions (QRG 5–6), FPX payments of their ACR/ECR (QRG 7) and receipts.

A contribution is one employer's month of one type (Monthly / Arrears / Short) for ``act4``
(SOCSO, gets an ACR), ``act800`` (EIS, gets an ECR) or ``both`` (gets both numbers). Money is
``Numeric`` (Decimal) with two places. Only one *submitted* contribution may exist per
(employer, month, type, act): a partial unique index enforces it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import Base
from backend.models._common import utcnow
from backend.security import EncryptedText

Money = Numeric(14, 2)


class Contribution(Base):
    __tablename__ = "contributions"
    __table_args__ = (
        Index(
            "uq_contributions_submitted",
            "employer_id",
            "month",
            "contribution_type",
            "act",
            unique=True,
            sqlite_where=text("status = 'submitted'"),
            postgresql_where=text("status = 'submitted'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    employer_id: Mapped[int] = mapped_column(
        ForeignKey("employers.id", ondelete="CASCADE"), index=True
    )
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    contribution_type: Mapped[str] = mapped_column(String(8))  # Monthly | Arrears | Short
    act: Mapped[str] = mapped_column(String(6))  # act4 | act800 | both
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft|completed|submitted
    medium: Mapped[str] = mapped_column(String(12), default="data_entry")  # |text_file|csv
    total_employees: Mapped[int] = mapped_column(Integer, default=0)
    total_wages: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    socso_employer: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    socso_employee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    skbbk_employee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    eis_employer: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    eis_employee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    acr_no: Mapped[str | None] = mapped_column(String(15), unique=True, nullable=True)
    ecr_no: Mapped[str | None] = mapped_column(String(15), unique=True, nullable=True)
    sender_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    act4_paid_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    act800_paid_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    lines: Mapped[list[ContributionLine]] = relationship(
        back_populates="contribution",
        cascade="all, delete-orphan",
        order_by="ContributionLine.id",
    )

    @property
    def act4_amount(self) -> Decimal:
        return self.socso_employer + self.socso_employee + self.skbbk_employee

    @property
    def act800_amount(self) -> Decimal:
        return self.eis_employer + self.eis_employee

    @property
    def total_amount(self) -> Decimal:
        return self.act4_amount + self.act800_amount


class ContributionLine(Base):
    """One employee in a contribution: status, dates, wage and the shares from the tables."""

    __tablename__ = "contribution_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contributions.id", ondelete="CASCADE"), index=True
    )
    employee_id: Mapped[int | None] = mapped_column(
        ForeignKey("employees.id", ondelete="SET NULL"), nullable=True, index=True
    )
    id_no: Mapped[str] = mapped_column(EncryptedText)  # encrypted at rest (PDPA)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(8), default="working")
    event_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    wage: Mapped[Decimal] = mapped_column(Money)
    category: Mapped[int | None] = mapped_column(Integer, nullable=True)
    socso_employer: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    socso_employee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    skbbk_employee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    eis_employer: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    eis_employee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))

    contribution: Mapped[Contribution] = relationship(back_populates="lines")


class Payment(Base):
    """One FPX payment of a cart of ACR/ECRs; ``state`` follows backend.domain.payments."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seller_order_no: Mapped[str] = mapped_column(String(20), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("portal_accounts.id", ondelete="CASCADE"), index=True
    )
    employer_id: Mapped[int] = mapped_column(
        ForeignKey("employers.id", ondelete="CASCADE"), index=True
    )
    sender_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    business_model: Mapped[str] = mapped_column(String(4))  # B2C | B2B1
    amount: Mapped[Decimal] = mapped_column(Money)
    state: Mapped[str] = mapped_column(String(20), default="created", index=True)
    buyer_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    bank_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    bank_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    fpx_txn_id: Mapped[str | None] = mapped_column(String(30), unique=True, nullable=True)
    debit_auth_code: Mapped[str | None] = mapped_column(String(4), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(120), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    items: Mapped[list[PaymentItem]] = relationship(
        back_populates="payment", cascade="all, delete-orphan", order_by="PaymentItem.id"
    )


class PaymentItem(Base):
    """One ACR or ECR in a payment's cart."""

    __tablename__ = "payment_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contributions.id", ondelete="CASCADE"), index=True
    )
    reference: Mapped[str] = mapped_column(String(15), index=True)  # ACR… | ECR…
    act: Mapped[str] = mapped_column(String(6))  # act4 | act800
    amount: Mapped[Decimal] = mapped_column(Money)

    payment: Mapped[Payment] = relationship(back_populates="items")


class PaymentEvent(Base):
    """Every state change (and every replay or refusal) of a payment, with its time."""

    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_state: Mapped[str] = mapped_column(String(20))
    code: Mapped[str | None] = mapped_column(String(4), nullable=True)
    kind: Mapped[str] = mapped_column(String(20), default="transition")  # |replay|authorise
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Receipt(Base):
    """The receipt of a successful payment (one per payment)."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), unique=True
    )
    receipt_no: Mapped[str] = mapped_column(String(24), unique=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    late_interest: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    pdf_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    emailed_to: Mapped[str | None] = mapped_column(String(254), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class FclbNotice(Base):
    """A late-payment interest (FCLB) notice: one per ACR/ECR paid after its due date (QRG 7's
    "new FCLB notice" after a payment). The amount is the project's estimate
    (``backend/domain/deadlines.py``; the RM5 rounding is unconfirmed)."""

    __tablename__ = "fclb_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_no: Mapped[str] = mapped_column(String(24), unique=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id", ondelete="CASCADE"))
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id", ondelete="CASCADE"))
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # the ACR/ECR
    month: Mapped[str] = mapped_column(String(7))
    amount: Mapped[Decimal] = mapped_column(Money)  # the contribution paid late
    due_date: Mapped[date] = mapped_column(Date)
    paid_on: Mapped[date] = mapped_column(Date)
    days_late: Mapped[int] = mapped_column(Integer)
    late_months: Mapped[int] = mapped_column(Integer)
    interest: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ContributionUpload(Base):
    """A payroll file sent in the chat (text, CSV or XLSX as base64), kept so the user can then
    choose to import only its good lines."""

    __tablename__ = "contribution_uploads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("portal_accounts.id", ondelete="CASCADE"))
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id", ondelete="CASCADE"))
    sender_id: Mapped[str] = mapped_column(String(128))
    filename: Mapped[str] = mapped_column(String(200))
    file_format: Mapped[str] = mapped_column(String(8))
    month: Mapped[str | None] = mapped_column(String(7), nullable=True)
    # act4 | act800 | both, decided when the file was sent (caption or file name): a 223-character
    # file does not say its scheme, and "import the good lines only" comes without the caption.
    act: Mapped[str | None] = mapped_column(String(6), nullable=True)
    content: Mapped[str] = mapped_column(EncryptedText)  # payroll: IC numbers, encrypted
    contribution_id: Mapped[int | None] = mapped_column(
        ForeignKey("contributions.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
