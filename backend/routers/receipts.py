"""Receipts of successful payments (service token + ``sender_id``); the PDF is a signed link."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import get_db
from backend.deps import Clock, get_app_settings, get_clock, require_service_token
from backend.errors import ApiError
from backend.models import Payment, Receipt
from backend.services import contributions, payments
from backend.settings import Settings

router = APIRouter(
    prefix="/api/v1/receipts", tags=["receipts"], dependencies=[Depends(require_service_token)]
)


@router.get("/{receipt_id}")
def get_receipt(
    receipt_id: int,
    sender_id: Annotated[str, Query(min_length=1, max_length=128)],
    db: Annotated[Session, Depends(get_db)],
    settings: Annotated[Settings, Depends(get_app_settings)],
) -> dict[str, Any]:
    account = contributions.acting_account(db, sender_id)
    receipt = db.get(Receipt, receipt_id)
    payment = db.get(Payment, receipt.payment_id) if receipt else None
    if receipt is None or payment is None or payment.account_id != account.id:
        raise ApiError(404, "receipt_not_found", "no such receipt on this account")
    return payments.receipt_view(receipt, settings)


@router.get("")
def receipt_for_payment(
    sender_id: Annotated[str, Query(min_length=1, max_length=128)],
    payment_id: int,
    db: Annotated[Session, Depends(get_db)],
    settings: Annotated[Settings, Depends(get_app_settings)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> dict[str, Any]:
    account = contributions.acting_account(db, sender_id)
    payment = payments.get_for_account(db, account, payment_id)
    receipt = db.scalar(select(Receipt).where(Receipt.payment_id == payment.id))
    if receipt is None and payment.state == "successful":
        # The receipt is issued right after the payment; if that failed (disk, SMTP), now.
        receipt = payments.issue_receipt(db, payment, settings, clock(), contributions.config())
    if receipt is None:
        raise ApiError(404, "receipt_not_found", f"payment {payment.id} is {payment.state}")
    return payments.receipt_view(receipt, settings)
