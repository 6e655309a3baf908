"""What employers type, turned into the values the backend takes.

One place for the shapes people use in chat: wages ("RM3k", "3,000.50", "tiga ribu"), months
("Oktober 2026", "bulan lepas", "10/2026"), dates in Malaysian formats ("1/3/2026", "1hb Mac
2026"), MyKad numbers with or without dashes, employer codes and SSM numbers. Pure functions with
no Rasa or I/O imports, so flow actions and the backend can both call them.

Extraction policy (one extractor per value): ``amount`` and ``month`` are NLU entities found by
DIET (the regexes and lookup tables in the training data are features, not a second extractor);
identifiers have fixed shapes and are found here, by regex, in the message text, and are never
annotated for DIET. Either way, the action validates the value with these functions before use.

Every ``parse_*`` raises :class:`NormaliseError` (a ``ValueError`` with a machine ``code``) so the
caller words the reply in the user's language; every ``find_*`` returns ``None`` when nothing of
that shape is in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from backend.domain.identifiers import IdentifierError, MyKad, parse_mykad
from backend.domain.money import MoneyError, parse_ringgit
from backend.domain.registration import is_employer_code_shape


class NormaliseError(ValueError):
    """The text does not hold a usable value; ``code`` names the rule that failed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --------------------------------------------------------------------------------------------
# Numbers written as words (Malay and English), for wages like "tiga ribu lima ratus".

_UNITS = {
    "kosong": 0, "sifar": 0, "zero": 0, "satu": 1, "one": 1, "dua": 2, "two": 2,
    "tiga": 3, "three": 3, "empat": 4, "four": 4, "lima": 5, "five": 5, "enam": 6, "six": 6,
    "tujuh": 7, "seven": 7, "lapan": 8, "delapan": 8, "eight": 8, "sembilan": 9, "nine": 9,
    "sepuluh": 10, "ten": 10, "sebelas": 11, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "seratus": 100,
}  # fmt: skip
_FILLER = {"and", "dan", "ringgit", "rm", "myr", "sahaja", "saja", "je", "only"}
_TOKEN = re.compile(r"[a-z]+|\d+")


def words_to_number(text: str) -> Decimal | None:
    """'tiga ribu lima ratus' → 3500; 'three thousand two hundred' → 3200; 'dua belas' → 12;
    'seribu lapan ratus' → 1800; '2 ribu 500' → 2500; 'tiga ribu setengah' → 3500.

    ``None`` when any word is not a number word (so 'saya' never becomes a wage).
    """
    lowered = (text or "").lower()
    if not re.fullmatch(r"[a-z0-9\s]+", lowered) or not re.search(r"[a-z]", lowered):
        return None  # '3,00,0' is a mistyped figure, not words
    words = [w for w in _TOKEN.findall(lowered) if w not in _FILLER]
    if not words:
        return None
    total, current, half = 0, 0, False
    for previous, word in zip([None, *words], words, strict=False):
        if word.isdigit():
            if previous is not None and previous.isdigit():
                return None  # '3 000' is a figure with a space, not 3 + 0
            current += int(word)
        elif word in _UNITS:
            current += _UNITS[word]
        elif word == "belas":  # dua belas = 2 + 10
            current += 10
        elif word == "puluh":  # dua puluh = 2 x 10, keeping any hundreds
            hundreds, rest = divmod(current, 100)
            current = hundreds * 100 + rest * 10
        elif word in ("ratus", "hundred"):
            thousands, rest = divmod(current, 1000)
            current = thousands * 1000 + (rest or 1) * 100
        elif word == "seribu":
            total += 1000
        elif word in ("ribu", "thousand", "rb", "k"):
            total += (current or 1) * 1000
            current = 0
        elif word in ("setengah", "half") and total and not current:
            half = True
        else:
            return None
    return Decimal(total + current + (500 if half else 0))


# --------------------------------------------------------------------------------------------
# Wages.

_K_AMOUNT = re.compile(r"(?i)^(?:rm|myr)?\s*(\d+(?:\.\d+)?)\s*(?:k|ribu|rb)$")
# "RM 3 000" (space as thousands separator), "2,500/=" (cheque style), "RM3k sebulan".
_SPACE_GROUPED = re.compile(r"(?<=\d) (?=\d{3}(?:\D|$))")
_WAGE_TAIL = re.compile(
    r"\s*(?:/=|/-|(?:/|\s)(?:sebulan|bulan|month|mth|mo)|\s(?:per|a|se)\s*(?:month|bulan))$",
    re.IGNORECASE,
)


def parse_wage(text: str) -> Decimal:
    """A monthly wage in ringgit: 'RM3k', '3,000.50', 'RM 2,950', 'RM 3 000', '2,500/=',
    'RM3k sebulan', '3 ribu', 'tiga ribu'.

    Refuses zero, negatives, more than two decimals and text that is not an amount.
    """
    raw = " ".join((text or "").split())
    if not raw:
        raise NormaliseError("wage_empty", "no wage given")
    raw = _WAGE_TAIL.sub("", raw)
    raw = _SPACE_GROUPED.sub("", raw) if re.fullmatch(r"(?i)(?:rm|myr)?\s*[\d ,.]+", raw) else raw
    match = _K_AMOUNT.match(raw)
    if match:
        value = Decimal(match.group(1)) * 1000
    else:
        try:
            value = parse_ringgit(raw)
        except MoneyError as exc:
            if exc.code != "money_not_a_number":
                raise NormaliseError(exc.code, exc.message) from exc
            worded = words_to_number(raw)
            if worded is None:
                raise NormaliseError(exc.code, exc.message) from exc
            value = worded
    if value <= 0:
        raise NormaliseError("wage_not_positive", "a wage must be more than RM0")
    if value != value.quantize(Decimal("0.01")):
        raise NormaliseError("money_too_many_decimals", "an amount has at most two decimals")
    return value.quantize(Decimal("0.01"))


# --------------------------------------------------------------------------------------------
# Months and dates.

MONTHS = {
    "jan": 1, "january": 1, "januari": 1,
    "feb": 2, "february": 2, "februari": 2, "febuari": 2,
    "mar": 3, "march": 3, "mac": 3,
    "apr": 4, "april": 4,
    "may": 5, "mei": 5,
    "jun": 6, "june": 6,
    "jul": 7, "july": 7, "julai": 7,
    "aug": 8, "august": 8, "ogos": 8, "ogs": 8,
    "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "okt": 10, "oktober": 10,
    "nov": 11, "november": 11,
    "dec": 12, "december": 12, "dis": 12, "disember": 12,
}  # fmt: skip
_MONTH_WORD = "|".join(sorted(MONTHS, key=len, reverse=True))
_RELATIVE_MONTHS = (
    (
        re.compile(
            r"\b(bulan|bln|bulan2)\s+(lepas|lps|lalu|sudah|sblm|sebelum(nya)?)\b"
            r"|\blast\s+month\b|\bprevious\s+month\b"
        ),
        -1,
    ),
    (re.compile(r"\b(bulan|bln)\s+(ini|ni)\b|\bthis\s+month\b|\bcurrent\s+month\b"), 0),
    (re.compile(r"\b(bulan|bln)\s+(depan|hadapan)\b|\bnext\s+month\b"), 1),
    (re.compile(r"\b(dua|2)\s+(bulan|bln)\s+(lepas|lalu)\b|\b(two|2)\s+months\s+ago\b"), -2),
)
_ISO_MONTH = re.compile(r"\b(\d{4})[-/.](\d{1,2})\b(?![-/.]\d)")
_NUMERIC_MONTH = re.compile(r"(?<![\d/.-])(\d{1,2})[/.-](\d{4}|\d{2})\b(?![/.-]\d)")
# "bulan 10 2026", "bulan 10", "month 10/2026" (a month number after the word for month).
_MONTH_NUMBER = re.compile(
    r"\b(?:bulan|bln|month)\s+(\d{1,2})\b(?:\s*(?:tahun|thn|year|/|-)?\s*(\d{4}))?"
)
_NAMED_MONTH = re.compile(rf"\b({_MONTH_WORD})\b\.?,?\s*'?(\d{{4}}|\d{{2}}\b)?", re.IGNORECASE)


def _shift(today: date, months: int) -> tuple[int, int]:
    index = today.year * 12 + today.month - 1 + months
    return index // 12, index % 12 + 1


def _year(text: str) -> int:
    year = int(text)
    return 2000 + year if year < 100 else year


def find_month(text: str | None, today: date | None = None) -> str | None:
    """The contribution month in a message as 'YYYY-MM', or ``None``.

    'Oktober 2026', 'oct 26', '10/2026', '2026-10', 'bulan 10 2026', 'bulan lepas', 'bln lps',
    'last month', 'bulan ni'. A month
    name without a year is the latest such month not after this one (contributions are for months
    that have ended or are running). 'may' needs a year ('may I know' is not a month).
    """
    today = today or date.today()
    lowered = " ".join((text or "").lower().split())
    if not lowered:
        return None
    for pattern, offset in _RELATIVE_MONTHS[::-1]:
        if pattern.search(lowered):
            year, month = _shift(today, offset)
            return f"{year:04d}-{month:02d}"
    match = _ISO_MONTH.search(lowered)
    if match and 1 <= int(match.group(2)) <= 12:
        return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"
    match = _NUMERIC_MONTH.search(lowered)
    if match and 1 <= int(match.group(1)) <= 12:
        return f"{_year(match.group(2)):04d}-{int(match.group(1)):02d}"
    match = _MONTH_NUMBER.search(lowered)
    if match and 1 <= int(match.group(1)) <= 12:
        month = int(match.group(1))
        if match.group(2):
            year = int(match.group(2))
        else:
            year = today.year if month <= today.month else today.year - 1
        return f"{year:04d}-{month:02d}"
    for match in _NAMED_MONTH.finditer(lowered):
        word, year_text = match.group(1), match.group(2)
        if word == "may" and not year_text:
            continue
        month = MONTHS[word]
        if year_text:
            year = _year(year_text)
        else:
            year = today.year if month <= today.month else today.year - 1
        return f"{year:04d}-{month:02d}"
    return None


def parse_month(text: str, today: date | None = None, allow_future: bool = False) -> str:
    """Like :func:`find_month` but raises: no month found, or a month that has not started."""
    today = today or date.today()
    found = find_month(text, today)
    if found is None:
        raise NormaliseError("month_not_found", "say a month, e.g. October 2026 or 10/2026")
    if not allow_future and found > f"{today.year:04d}-{today.month:02d}":
        raise NormaliseError("month_in_future", f"{found} has not started yet")
    return found


_DMY = re.compile(r"(?<!\d)(\d{1,2})[/.\-\s](\d{1,2})[/.\-\s](\d{4}|\d{2})(?!\d)")
_YMD = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_D_NAMED_Y = re.compile(
    rf"(?<!\d)(\d{{1,2}})\s*(?:hb|haribulan|th|st|nd|rd)?\.?[\s-]+({_MONTH_WORD})\.?,?[\s-]+"
    rf"(\d{{4}}|\d{{2}}(?!\d))",
    re.IGNORECASE,
)
_NAMED_D_Y = re.compile(rf"\b({_MONTH_WORD})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})")
_RELATIVE_DAYS = (
    (re.compile(r"\b(hari\s+ini|harini|today)\b"), 0),
    (re.compile(r"\b(semalam|kelmarin|yesterday)\b"), -1),
    (re.compile(r"\b(esok|tomorrow)\b"), 1),
)


def find_date(text: str | None, today: date | None = None) -> date | None:
    """A calendar date the Malaysian way (day first): '1/3/2026', '01-03-2026', '1.3.26',
    '1hb Mac 2026', '1-Mac-2026', '1 Mac 26', '1 March 2026', 'March 1, 2026', ISO '2026-03-01',
    'semalam', 'today'.

    ``None`` when there is no date or the day/month do not exist (31/02/2026)."""
    today = today or date.today()
    lowered = " ".join((text or "").lower().split())
    if not lowered:
        return None
    candidates: list[tuple[int, int, int]] = []
    match = _YMD.search(lowered)
    if match:
        candidates.append((int(match.group(1)), int(match.group(2)), int(match.group(3))))
    match = _D_NAMED_Y.search(lowered)
    if match:
        candidates.append((_year(match.group(3)), MONTHS[match.group(2)], int(match.group(1))))
    match = _NAMED_D_Y.search(lowered)
    if match:
        candidates.append((int(match.group(3)), MONTHS[match.group(1)], int(match.group(2))))
    match = _DMY.search(lowered)
    if match:
        day, month, year = int(match.group(1)), int(match.group(2)), _year(match.group(3))
        candidates.append((year, month, day))
    for year, month, day in candidates:
        try:
            return date(year, month, day)
        except ValueError:
            return None
    for pattern, offset in _RELATIVE_DAYS:
        if pattern.search(lowered):
            return date.fromordinal(today.toordinal() + offset)
    return None


def parse_date(text: str, today: date | None = None) -> date:
    """Like :func:`find_date` but raises with a reason."""
    found = find_date(text, today)
    if found is None:
        raise NormaliseError("date_invalid", "give a real date as day/month/year, e.g. 01/03/2026")
    return found


# --------------------------------------------------------------------------------------------
# Identifiers: found by shape in the text, validated by the backend's rules.

_MYKAD_IN_TEXT = re.compile(r"(?<![\d-])(\d{6})\s*-?\s*(\d{2})\s*-?\s*(\d{4})(?![\d-])")
_EMPLOYER_CODE_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z])[\s-]?(\d{10})[\s-]?([A-Za-z])(?![A-Za-z0-9])"
)
_SSM_IN_TEXT = re.compile(r"(?<![\d-])((?:19|20)\d{2})[\s-]?(0[1-6])[\s-]?(\d{6})(?![\d-])")
# Old company numbers ('1312525-A') and old business (ROB) numbers ('SA0123456-A', '002345678-W').
_OLD_SSM_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9-])([A-Za-z]{2}\d{7}|\d{1,9})\s?-\s?([A-Za-z])(?![A-Za-z0-9])"
)
_REFERENCE_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])(ACR|ECR)\s?-?\s?(\d{12})(?!\d)", re.IGNORECASE)


def find_mykad(text: str | None) -> str | None:
    """The first MyKad-shaped number (12 digits, dashes or spaces allowed) as 12 digits."""
    match = _MYKAD_IN_TEXT.search(text or "")
    return "".join(match.groups()) if match else None


def parse_mykad_number(text: str, today: date | None = None) -> MyKad:
    """A valid MyKad in a message ('IC saya 900101-14-5678'): real birth date, known place."""
    number = find_mykad(text)
    if number is None:
        raise NormaliseError("mykad_length", "a MyKad number has 12 digits, e.g. 900101-14-5678")
    try:
        return parse_mykad(number, today)
    except IdentifierError as exc:
        raise NormaliseError(exc.code, exc.message) from exc


def find_employer_code(text: str | None) -> str | None:
    """An employer code (letter + 10 digits + letter, e.g. E1100050233Z), upper-cased.

    Only the shape is checked: PERKESO's check-letter algorithm is not public.
    """
    match = _EMPLOYER_CODE_IN_TEXT.search(text or "")
    if not match:
        return None
    code = "".join(match.groups()).upper()
    return code if is_employer_code_shape(code) else None


def find_ssm_number(text: str | None) -> str | None:
    """A new SSM number (YYYY TT NNNNNN, 12 digits) or an old one ('1312525-A', business
    'SA0123456-A' or '002345678-W'), normalised: digits only, or upper case with one dash."""
    match = _SSM_IN_TEXT.search(text or "")
    if match:
        return "".join(match.groups())
    match = _OLD_SSM_IN_TEXT.search(text or "")
    return f"{match.group(1).upper()}-{match.group(2).upper()}" if match else None


def find_contribution_reference(text: str | None) -> str | None:
    """An ACR/ECR number ('ACR 123456789012' → 'ACR123456789012')."""
    match = _REFERENCE_IN_TEXT.search(text or "")
    return f"{match.group(1).upper()}{match.group(2)}" if match else None


@dataclass(frozen=True)
class Found:
    """Everything of a known shape in one message (for logging intent tests and for actions)."""

    mykad: str | None
    employer_code: str | None
    ssm_number: str | None
    reference: str | None
    month: str | None
    date: date | None


def find_all(text: str | None, today: date | None = None) -> Found:
    return Found(
        mykad=find_mykad(text),
        employer_code=find_employer_code(text),
        ssm_number=find_ssm_number(text),
        reference=find_contribution_reference(text),
        month=find_month(text, today),
        date=find_date(text, today),
    )
