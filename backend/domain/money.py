"""Ringgit amounts as people type them, parsed into ``Decimal`` (never float).

Shared by the backend and the action server, so errors carry a machine ``code`` and each caller
words the reply in the user's language.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


class MoneyError(ValueError):
    """Text is not a usable ringgit amount; ``code`` names the rule that failed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_PREFIX = re.compile(r"^(?:rm|myr)\s*", re.IGNORECASE)
_SUFFIX = re.compile(r"\s*(?:ringgit|rm|myr)$", re.IGNORECASE)
_NUMBER = re.compile(r"^(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?P<k>\s*[kK])?$")


def parse_ringgit(text: str) -> Decimal:
    """'2950', '2,950.00', 'RM2,950', 'RM 3k', '3.5k' → Decimal with two places.

    Refuses negatives, more than two decimals (sen is the smallest unit) and words.
    """
    raw = (text or "").strip()
    if not raw:
        raise MoneyError("money_empty", "no amount given")
    cleaned = _SUFFIX.sub("", _PREFIX.sub("", raw)).strip()
    if cleaned.startswith("-") or cleaned.startswith("−"):
        raise MoneyError("money_negative", "an amount cannot be negative")
    if cleaned.startswith("+"):
        cleaned = cleaned[1:].strip()
    match = _NUMBER.match(cleaned)
    if not match:
        raise MoneyError("money_not_a_number", f"{raw!r} is not an amount in ringgit, e.g. 2950.00")
    number = match.group("num").replace(",", "")
    try:
        value = Decimal(number)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guarantees digits
        raise MoneyError("money_not_a_number", f"{raw!r} is not a number") from exc
    if match.group("k"):
        value = value * 1000
    if value != value.quantize(CENT, rounding=ROUND_HALF_UP):
        raise MoneyError("money_too_many_decimals", "an amount has at most two decimals (sen)")
    return value.quantize(CENT)


def format_ringgit(value: Decimal) -> str:
    """Two decimal places, no grouping: the API's money format ("2950.00")."""
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))
