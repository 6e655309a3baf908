"""FPX payments of ACR/ECR carts: limits, cart splitting and the state machine (pure, no I/O).

States: ``created`` → ``pending_authoriser`` (B2B1 only: a corporate maker–checker payment waits
for the authoriser, FPX code 99) → ``successful`` | ``failed``; ``created`` can also go straight to
``successful`` (code 00) or ``failed`` (any other code). ``successful`` and ``failed`` are final.

Limits (README §2.5, §5): B2C (personal, ``01``) RM1.00 to RM30,000.00; B2B1 (corporate, ``02``)
RM2.00 to RM1,000,000.00. An ACR/ECR is paid whole: a cart above the maximum is split into
several payments, each at most the maximum; a single ACR/ECR above it, or a cart (or part)
below the minimum, is refused with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

CREATED = "created"
PENDING_AUTHORISER = "pending_authoriser"
SUCCESSFUL = "successful"
FAILED = "failed"
STATES = (CREATED, PENDING_AUTHORISER, SUCCESSFUL, FAILED)
FINAL = frozenset({SUCCESSFUL, FAILED})

MODELS = {"B2C": "01", "B2B1": "02"}
LIMITS: dict[str, tuple[Decimal, Decimal]] = {
    "B2C": (Decimal("1.00"), Decimal("30000.00")),
    "B2B1": (Decimal("2.00"), Decimal("1000000.00")),
}

SUCCESS_CODE = "00"
PENDING_CODE = "99"

_TRANSITIONS: dict[str, frozenset[str]] = {
    CREATED: frozenset({PENDING_AUTHORISER, SUCCESSFUL, FAILED}),
    PENDING_AUTHORISER: frozenset({SUCCESSFUL, FAILED}),
    SUCCESSFUL: frozenset(),
    FAILED: frozenset(),
}


class PaymentError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_model(model: str) -> str:
    if model not in MODELS:
        raise PaymentError(
            "invalid_business_model", "business model must be B2C (personal) or B2B1 (corporate)"
        )
    return model


def state_for_code(code: str, model: str) -> str:
    """The state an FPX debit auth code leads to."""
    if code == SUCCESS_CODE:
        return SUCCESSFUL
    if code == PENDING_CODE:
        if model != "B2B1":
            raise PaymentError("pending_not_b2b1", "only corporate (B2B1) payments can be pending")
        return PENDING_AUTHORISER
    return FAILED


def can_move(current: str, new: str) -> bool:
    return new in _TRANSITIONS.get(current, frozenset())


@dataclass(frozen=True)
class Move:
    """What applying an outcome does: ``changed`` False means a replay (nothing to do)."""

    state: str
    changed: bool


def apply_outcome(current: str, code: str, model: str) -> Move:
    """Move ``current`` for FPX ``code``; a replay of a final outcome is a no-op.

    A different outcome after a final state (e.g. ``00`` after ``failed``) raises
    ``already_final`` — a final state never changes.
    """
    target = state_for_code(code, model)
    if current == target:
        return Move(current, False)
    if current in FINAL:
        raise PaymentError(
            "already_final", f"the payment is already {current}; it cannot become {target}"
        )
    if not can_move(current, target):
        raise PaymentError("invalid_transition", f"a payment cannot go from {current} to {target}")
    return Move(target, True)


def check_amount(model: str, amount: Decimal) -> None:
    low, high = LIMITS[check_model(model)]
    if amount < low:
        raise PaymentError(
            "below_minimum",
            f"the smallest {model} payment is RM{low:,.2f} (this one RM{amount:,.2f})",
        )
    if amount > high:
        raise PaymentError(
            "above_maximum",
            f"the largest {model} payment is RM{high:,.2f} (this one RM{amount:,.2f})",
        )


@dataclass(frozen=True)
class CartItem:
    reference: str  # ACR… / ECR…
    amount: Decimal


def split_cart(items: list[CartItem], model: str) -> list[list[CartItem]]:
    """Group the cart into payments within the model's limits (first fit, largest first).

    Refuses (``PaymentError``) an empty or duplicate cart, an item above the maximum, and a cart
    whose total is below the minimum.
    """
    low, high = LIMITS[check_model(model)]
    if not items:
        raise PaymentError("empty_cart", "the cart has no ACR/ECR")
    refs = [item.reference for item in items]
    if len(set(refs)) != len(refs):
        raise PaymentError("duplicate_item", "an ACR/ECR is in the cart twice")
    for item in items:
        if item.amount <= 0:
            raise PaymentError("zero_item", f"{item.reference} has nothing to pay")
        if item.amount > high:
            raise PaymentError(
                "item_above_maximum",
                f"{item.reference} (RM{item.amount:,.2f}) is above the {model} maximum of "
                f"RM{high:,.2f}: pay it as a corporate (B2B1) payment or at a bank counter",
            )
    total = sum((item.amount for item in items), Decimal("0"))
    if total < low:
        raise PaymentError(
            "below_minimum", f"the smallest {model} payment is RM{low:,.2f} (cart RM{total:,.2f})"
        )
    groups: list[list[CartItem]] = []
    sums: list[Decimal] = []
    for item in sorted(items, key=lambda i: (-i.amount, i.reference)):
        for index, current in enumerate(sums):
            if current + item.amount <= high:
                groups[index].append(item)
                sums[index] += item.amount
                break
        else:
            groups.append([item])
            sums.append(item.amount)
    for group_total in sums:
        if group_total < low:
            raise PaymentError(
                "part_below_minimum",
                f"splitting leaves a payment of RM{group_total:,.2f}, below the {model} minimum",
            )
    return groups
