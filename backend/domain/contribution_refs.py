"""ACR / ECR numbers: "ACR" (SOCSO, Act 4) or "ECR" (EIS, Act 800) + 12 digits (pure).

PERKESO's internal structure is not public, so this is the project's own, documented scheme:

    ACR  YYMM  NNNNNNN  C
         │     │        └ Luhn check digit over the 11 digits before it
         │     └ 7-digit sequence (the contribution row id, zero-padded)
         └ contribution month (year, month)

Numbers a user types are checked for shape only (``parse_reference``); ``is_own`` also checks the
Luhn digit of numbers this system generated.
"""

from __future__ import annotations

import re

PREFIXES = {"act4": "ACR", "act800": "ECR"}
_SHAPE = re.compile(r"^(ACR|ECR)(\d{12})$")


class ReferenceError_(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return str((10 - total % 10) % 10)


def make_reference(act: str, month: tuple[int, int], sequence: int) -> str:
    """``act`` is act4 (ACR) or act800 (ECR); ``sequence`` 1 … 9,999,999."""
    if act not in PREFIXES:
        raise ReferenceError_("invalid_act", "act must be act4 or act800")
    if not 0 < sequence < 10_000_000:
        raise ReferenceError_("sequence_out_of_range", "sequence must be 1 to 9,999,999")
    year, mon = month
    body = f"{year % 100:02d}{mon:02d}{sequence:07d}"
    return f"{PREFIXES[act]}{body}{luhn_digit(body)}"


def parse_reference(text: str) -> str:
    """Upper-cased, spaces/dashes removed, shape checked: "ACR" or "ECR" + 12 digits."""
    cleaned = re.sub(r"[\s-]", "", text or "").upper()
    if not _SHAPE.match(cleaned):
        raise ReferenceError_(
            "invalid_reference", 'an ACR/ECR number is "ACR" or "ECR" followed by 12 digits'
        )
    return cleaned


def is_own(reference: str) -> bool:
    match = _SHAPE.match(reference or "")
    return bool(match) and luhn_digit(match.group(2)[:11]) == match.group(2)[11]
