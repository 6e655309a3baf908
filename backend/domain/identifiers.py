"""Identifier rules shared by the backend and the action server (pure functions, no I/O).

Every failure raises :class:`IdentifierError` with a machine ``code`` so that each caller can word
the reply in the user's language; the English ``message`` is for logs and API errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from email_validator import EmailNotValidError, validate_email
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.my import nric

_NON_DIGITS = re.compile(r"[\s\-]")


class IdentifierError(ValueError):
    """A value a user typed is not a valid identifier; ``code`` says which rule failed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class MyKad:
    number: str  # 12 digits, no dashes
    birth_date: date
    gender: str  # "male" | "female"
    birth_place: str | None


def _birth_date(yymmdd: str, today: date) -> date:
    """Pick the century that gives an age under 100 and a date not in the future."""
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    for century in (2000, 1900):
        try:
            candidate = date(century + yy, mm, dd)
        except ValueError as exc:
            raise IdentifierError("mykad_date", f"{yymmdd} is not a real date (YYMMDD)") from exc
        if candidate <= today and (today.year - candidate.year) < 100:
            return candidate
    raise IdentifierError("mykad_date", f"{yymmdd} gives a birth date in the future")


def parse_mykad(text: str, today: date | None = None) -> MyKad:
    """Validate a new-format MyKad number (12 digits, dashes and spaces allowed)."""
    today = today or date.today()
    number = _NON_DIGITS.sub("", text or "")
    if not number.isdigit() or len(number) != 12:
        raise IdentifierError("mykad_length", "a MyKad number has exactly 12 digits")
    born = _birth_date(number[:6], today)
    try:
        nric.validate(number)
    except StdnumError as exc:
        raise IdentifierError(
            "mykad_place", f"{number[6:8]} is not a valid place-of-birth code"
        ) from exc
    place = nric.get_birth_place(number) or {}
    return MyKad(
        number=number,
        birth_date=born,
        gender="male" if int(number[-1]) % 2 else "female",
        birth_place=place.get("state") or place.get("country"),
    )


def format_mykad(number: str) -> str:
    """900101-14-5678 — how people read a MyKad number back."""
    return f"{number[:6]}-{number[6:8]}-{number[8:]}"


def mask_mykad(number: str) -> str:
    """Keep the birth date and the last digit, hide the rest: 900101-**-***8."""
    digits = _NON_DIGITS.sub("", number)
    return f"{digits[:6]}-**-***{digits[-1]}" if len(digits) == 12 else "************"


_MASK_PATTERNS = (
    # MyKad with or without dashes or spaces.
    re.compile(r"(?<!\d)(\d{6})[\s-]?(\d{2})[\s-]?(\d{3})(\d)(?!\d)"),
    # Passport numbers: one or two letters followed by 6 to 9 digits.
    re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,2})(\d{6,9})(?![A-Za-z0-9])"),
)


def mask_identifiers(text: str) -> str:
    """Mask every MyKad- or passport-shaped number in free text (logs, transcripts)."""
    if not text:
        return text
    text = _MASK_PATTERNS[0].sub(lambda m: f"{m.group(1)}-**-***{m.group(4)}", text)
    return _MASK_PATTERNS[1].sub(
        lambda m: m.group(1) + "*" * (len(m.group(2)) - 2) + m.group(2)[-2:], text
    )


def normalise_email(text: str) -> str:
    """Lower-cased, syntax-checked address; no DNS look-up (the outbox must work offline)."""
    try:
        info = validate_email((text or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise IdentifierError("email_invalid", str(exc)) from exc
    return info.normalized.lower()


_MOBILE = re.compile(r"^(?:\+?60|0)(1[0-9])(\d{7,8})$")


def normalise_mobile(text: str) -> str:
    """A Malaysian mobile number (01x-xxx xxxx, 011-xxxx xxxx, +60…) as +601xxxxxxxx."""
    digits = re.sub(r"[\s\-().]", "", text or "")
    match = _MOBILE.match(digits)
    if not match:
        raise IdentifierError(
            "mobile_invalid", "a Malaysian mobile number starts with 01 and has 10 or 11 digits"
        )
    prefix, rest = match.groups()
    if prefix == "11" and len(rest) != 8 or prefix != "11" and len(rest) != 7:
        raise IdentifierError(
            "mobile_invalid", "011 numbers have 11 digits; other 01x numbers have 10"
        )
    return f"+60{prefix}{rest}"
