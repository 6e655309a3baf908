"""The payment gateway interface and the built-in FPX simulator (no network, no merchant account).

A real adapter (PayNet or a gateway) implements :class:`PaymentGateway`; the backend only talks
to that interface. The simulator mimics FPX's sandbox: a bank list with active and offline
"SBI Bank" test banks per business model, and the tester chooses the debit auth code the bank
returns (``00`` successful, ``99`` pending authoriser — B2B1 only — or a failure code).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from backend.domain.payments import LIMITS, PENDING_CODE, PaymentError, check_model, state_for_code

RESPONSE_CODES: dict[str, str] = {
    "00": "Approved",
    "99": "Pending for authoriser to approve",
    "51": "Insufficient funds",
    "80": "Buyer cancelled the transaction",
    "1A": "Buyer session timeout at the internet banking login page",
    "1B": "Buyer failed to provide the necessary information to log in",
    "1C": "Buyer chose to cancel at the login page",
    "1D": "Buyer session timeout at the account selection page",
    "1E": "Buyer session timeout at the transaction confirmation page",
    "1K": "Buyer failed the challenge question",
    "1M": "Buyer session timeout at the OTP page",
    "2A": "Transaction amount is lower than the minimum limit",
    "45": "Duplicate seller order number",
    "76": "Transaction not found",
    "XB": "Invalid transaction (maximum amount exceeded)",
}


@dataclass(frozen=True)
class Bank:
    code: str
    name: str
    active: bool

    @property
    def display_name(self) -> str:
        return self.name if self.active else f"{self.name} (Offline)"


@dataclass(frozen=True)
class AuthorisationRequest:
    seller_order_no: str
    amount: Decimal
    model: str  # B2C | B2B1
    bank_code: str
    buyer_email: str
    description: str


@dataclass(frozen=True)
class Authorisation:
    fpx_txn_id: str
    seller_order_no: str


@dataclass(frozen=True)
class GatewayResult:
    fpx_txn_id: str
    seller_order_no: str
    debit_auth_code: str
    credit_auth_code: str
    state: str
    description: str
    bank_name: str
    amount: Decimal


class PaymentGateway(Protocol):
    """What the backend needs from an FPX gateway."""

    def bank_list(self, model: str) -> list[Bank]: ...

    def authorise(self, request: AuthorisationRequest, now: datetime) -> Authorisation: ...

    def result(
        self, authorisation: Authorisation, request: AuthorisationRequest, code: str
    ) -> GatewayResult: ...


_BANKS: dict[str, tuple[Bank, ...]] = {
    "B2C": (
        Bank("TEST0021", "SBI Bank A", True),
        Bank("TEST0022", "SBI Bank B", True),
        Bank("TEST0023", "SBI Bank C", True),
        Bank("TEST0024", "SBI Bank D", False),
    ),
    "B2B1": (
        Bank("TEST0021", "SBI Bank A", True),
        Bank("TEST0022", "SBI Bank B", False),
        Bank("TEST0023", "SBI Bank C", True),
    ),
}


class FpxSimulator:
    """FPX sandbox stand-in: deterministic bank list, outcome chosen by the tester."""

    def bank_list(self, model: str) -> list[Bank]:
        return list(_BANKS[check_model(model)])

    def bank(self, model: str, code: str) -> Bank | None:
        return next((b for b in self.bank_list(model) if b.code == code), None)

    def authorise(self, request: AuthorisationRequest, now: datetime) -> Authorisation:
        bank = self.bank(request.model, request.bank_code)
        if bank is None:
            raise PaymentError("unknown_bank", "choose a bank from the list")
        if not bank.active:
            raise PaymentError("bank_offline", f"{bank.name} is offline now: choose another bank")
        low, high = LIMITS[request.model]
        if not low <= request.amount <= high:
            raise PaymentError("amount_out_of_limits", "the amount is outside the FPX limits")
        # FPX transaction ids are 16 digits: yymmddHHMMSS + 4 random digits.
        fpx_txn_id = f"{now:%y%m%d%H%M%S}{secrets.randbelow(10_000):04d}"
        return Authorisation(fpx_txn_id=fpx_txn_id, seller_order_no=request.seller_order_no)

    def result(
        self, authorisation: Authorisation, request: AuthorisationRequest, code: str
    ) -> GatewayResult:
        if code not in RESPONSE_CODES:
            raise PaymentError("unknown_code", f"{code!r} is not an FPX response code")
        if code == PENDING_CODE and request.model != "B2B1":
            raise PaymentError("pending_not_b2b1", "only corporate (B2B1) payments can be pending")
        bank = self.bank(request.model, request.bank_code)
        return GatewayResult(
            fpx_txn_id=authorisation.fpx_txn_id,
            seller_order_no=authorisation.seller_order_no,
            debit_auth_code=code,
            credit_auth_code=code if code in ("00", "99") else "",
            state=state_for_code(code, request.model),
            description=RESPONSE_CODES[code],
            bank_name=bank.name if bank else request.bank_code,
            amount=request.amount,
        )
