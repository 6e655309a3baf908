"""Employer and employee registration rules (QRG 2–4): pure functions over the data files.

The catalogues (business entities, MSIC industry sections, postcode ranges, PERKESO offices,
document checklists, unconfirmed rules) live under ``backend/data/registration/`` so that they
can be corrected without touching code. Every failure raises :class:`RegistrationError` with a
machine ``code`` (the bot words the reply) and an English ``message``.

Employer code
-------------
PERKESO's check algorithm is not public (``shared/domain/README.md`` §3), so codes this system
issues use the project's own check letter, and codes typed by users are validated by shape only
(:func:`is_employer_code_shape`). A code is ``P DDDDDDDDDD C``:

* ``P`` — prefix letter: ``E`` for an employer, ``D`` for an employer of domestic workers only;
* ``DDDDDDDDDD`` — two digits for the state (position of the state in ``offices.json``,
  01–16) followed by the employer's row id zero-padded to eight digits;
* ``C`` — check letter: ``s = 11·v(P) + Σ_{i=1..10} (11 − i)·d_i`` where ``v(P)`` is the prefix's
  alphabet position (A = 1 … Z = 26) and ``d_i`` the i-th digit (weights 10, 9, …, 1);
  ``C = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[s mod 26]``.

  Every single-digit mistake changes the letter (a change δ, 1 ≤ |δ| ≤ 9, at weight w moves
  ``s`` by w·δ, never a multiple of 26 because 13 divides neither w ≤ 10 nor δ), and so does
  every swap of two adjacent different digits (it moves ``s`` by their difference, 1–9).

Registration reference
----------------------
``CRN`` + 14 digits like the portal's ``CRN06202100125762``: month (2), year (4) and the row id
padded to eight digits.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from backend.domain.identifiers import IdentifierError, normalise_mobile
from backend.domain.rates import WorkerFacts, age_on, coverage

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "registration"
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SPACES = re.compile(r"[\s\-]")


class RegistrationError(ValueError):
    """A registration value is not acceptable; ``code`` names the rule, ``field`` the input."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


# --------------------------------------------------------------------------- data files


def _read_json(name: str) -> dict[str, Any]:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def _read_csv(name: str) -> list[dict[str, str]]:
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    return list(csv.DictReader(line for line in lines if not line.startswith("#")))


@lru_cache
def business_entities() -> list[dict[str, Any]]:
    return list(_read_json("business_entities.json")["entities"])


@lru_cache
def industries() -> list[dict[str, str]]:
    return _read_csv("industries.csv")


@lru_cache
def postcode_ranges() -> list[tuple[str, int, int]]:
    return [
        (row["state"], int(row["postcode_from"]), int(row["postcode_to"]))
        for row in _read_csv("postcodes.csv")
    ]


@lru_cache
def _offices_data() -> dict[str, Any]:
    return _read_json("offices.json")


def states() -> list[dict[str, str]]:
    return list(_offices_data()["states"])


def offices(state: str | None = None) -> list[dict[str, str]]:
    rows = _offices_data()["offices"]
    return [row for row in rows if state is None or row["state"] == state]


@lru_cache
def _documents_data() -> dict[str, Any]:
    return _read_json("documents.json")


@lru_cache
def rules() -> dict[str, Any]:
    return _read_json("rules.json")


# --------------------------------------------------------------------------- entities


def entity(code: str | None) -> dict[str, Any]:
    for row in business_entities():
        if row["code"] == code:
            return row
    choices = ", ".join(row["code"] for row in business_entities())
    raise RegistrationError(
        "unknown_business_entity", f"unknown business entity; choose one of: {choices}"
    )


def sub_entity(entity_code: str, code: str | None) -> dict[str, Any]:
    row = entity(entity_code)
    for sub in row["sub_entities"]:
        if sub["code"] == code:
            return sub
    choices = ", ".join(sub["code"] for sub in row["sub_entities"])
    raise RegistrationError(
        "unknown_sub_entity", f"not a sub-business entity of {entity_code}; choose: {choices}"
    )


def sub_entity_item(entity_code: str, sub_code: str, code: str | None) -> dict[str, Any] | None:
    """The chosen list item; None is fine only when the sub-entity has no list."""
    sub = sub_entity(entity_code, sub_code)
    if not sub["items"] and not code:
        return None
    for item in sub["items"]:
        if item["code"] == code:
            return item
    choices = ", ".join(item["code"] for item in sub["items"]) or "(none)"
    raise RegistrationError(
        "unknown_sub_entity_item", f"not in the list for {sub_code}; choose: {choices}"
    )


def check_entity_for_type(entity_code: str, registration_type: str) -> None:
    """QRG 2b: domestic workers' employers must be individuals; QRG 2 the other way round."""
    row = entity(entity_code)
    if registration_type == "domestic" and row["registration_type"] != "domestic":
        raise RegistrationError(
            "domestic_employer_must_be_individual",
            "an employer of domestic workers must be an individual, not a "
            f"{row['name_en'].lower()}: register the business as an employer instead",
        )
    if registration_type == "employer" and row["registration_type"] == "domestic":
        raise RegistrationError(
            "use_domestic_registration",
            "'Individual for Domestic Worker' is registered through the domestic employer "
            "registration (QRG 2b)",
        )


# --------------------------------------------------------------------------- numbers

SSM_TYPES = {
    "01": "local company",
    "02": "foreign company",
    "03": "business (sole proprietorship or partnership)",
    "04": "local LLP",
    "05": "foreign LLP",
    "06": "professional-practice LLP",
}
_OLD_FORMATS = {
    # Company numbers before Oct 2019: up to 7 digits, a dash and a check letter (1312525-A).
    "company": re.compile(r"^(\d{1,7})-?([A-Z])$"),
    # Business numbers: two letters + 7 digits or 9 digits, dash, letter (SA0123456-A).
    "business": re.compile(r"^([A-Z]{2}\d{7}|\d{9})-?([A-Z])$"),
    # LLPs: LLP + 7 digits, dash, three letters (LLP0012345-LGN).
    "llp": re.compile(r"^(LLP\d{7})-?([A-Z]{3})$"),
}


@dataclass(frozen=True)
class RegistrationNumber:
    number: str  # normalised: 12 digits, or the old form with its dash
    format: str  # "ssm" | "old" | "free" | "mykad" | "passport"
    year: int | None = None
    entity_type: str | None = None  # TT of a new SSM number


def parse_ssm_number(
    text: str,
    allowed_types: list[str] | tuple[str, ...],
    today: date,
    old_format: str | None = None,
) -> RegistrationNumber:
    """A new 12-digit SSM number ``YYYY TT NNNNNN`` (or the entity's old format beside it)."""
    raw = (text or "").strip().upper()
    compact = _SPACES.sub("", raw)
    if compact.isdigit() and len(compact) == 12:
        year, kind = int(compact[:4]), compact[4:6]
        if not 1800 <= year <= today.year:
            raise RegistrationError(
                "ssm_year",
                f"the first four digits are the year of registration: {year} is not between "
                f"1800 and {today.year}",
            )
        if kind not in SSM_TYPES:
            raise RegistrationError(
                "ssm_type", f"digits 5–6 are the entity type: {kind} is not one of 01–06"
            )
        if kind not in allowed_types:
            expected = " or ".join(f"{t} ({SSM_TYPES[t]})" for t in allowed_types)
            raise RegistrationError(
                "ssm_type_mismatch",
                f"digits 5–6 say {kind} ({SSM_TYPES[kind]}) but this business entity needs "
                f"{expected}",
            )
        if compact[6:] == "000000":
            raise RegistrationError("ssm_serial", "the last six digits cannot all be zero")
        return RegistrationNumber(compact, "ssm", year, kind)
    if old_format:
        match = _OLD_FORMATS[old_format].match(raw.replace(" ", ""))
        if match:
            return RegistrationNumber(f"{match.group(1)}-{match.group(2)}", "old")
    example = {"company": "1312525-A", "business": "SA0123456-A", "llp": "LLP0012345-LGN"}
    also = f" (or the old form, e.g. {example[old_format]})" if old_format else ""
    raise RegistrationError(
        "ssm_format",
        f"an SSM registration number has 12 digits, YYYY TT NNNNNN, e.g. "
        f"{today.year - 3}{allowed_types[0]}012345{also}",
    )


_FREE_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9/\-. ]{2,29}$")


def parse_free_number(text: str) -> RegistrationNumber:
    """Registration numbers of societies, cooperatives and others: any sensible reference."""
    raw = " ".join((text or "").strip().upper().split())
    if not _FREE_NUMBER.match(raw) or not any(ch.isdigit() for ch in raw):
        raise RegistrationError(
            "registration_no_format",
            "give the registration number as on the certificate (3–30 letters and digits, "
            "e.g. PPM-001-14-01012020)",
        )
    return RegistrationNumber(raw, "free")


def parse_registration_number(
    entity_code: str, sub_code: str | None, text: str, today: date
) -> RegistrationNumber:
    """The number rule the chosen entity (and sub-entity) uses."""
    row = entity(entity_code)
    sub = sub_entity(entity_code, sub_code) if sub_code else {}
    kind = sub.get("number_kind", row["number_kind"])
    if kind == "ssm":
        types = sub.get("ssm_types") or row["ssm_types"]
        return parse_ssm_number(text, types, today, row.get("old_format"))
    if kind == "free":
        return parse_free_number(text)
    raise RegistrationError(
        "registration_no_personal",
        "an individual employer's registration number is their MyKad or passport number",
    )


_PASSPORT = re.compile(r"^[A-Z0-9]{6,12}$")


def normalise_passport(text: str) -> str:
    value = _SPACES.sub("", (text or "").upper())
    if not _PASSPORT.match(value) or not any(ch.isdigit() for ch in value):
        raise RegistrationError(
            "passport_format", "a passport number has 6–12 letters and digits, e.g. A12345678"
        )
    return value


_OLD_IC = re.compile(r"^[A-Z]\d{7}$")


def normalise_person_id(id_type: str, text: str) -> str:
    """Shape checks for the non-MyKad ID types (old IC, army, police, passport)."""
    value = _SPACES.sub("", (text or "").upper())
    if id_type == "old_ic":
        if not _OLD_IC.match(value):
            raise RegistrationError(
                "old_ic_format", "an old IC number is one letter and 7 digits, e.g. A1234567"
            )
        return value
    if id_type in ("army", "police"):
        if not re.match(rules()[f"{id_type}_id_pattern"], value):
            example = "T123456" if id_type == "army" else "RF12345"
            raise RegistrationError(
                f"{id_type}_id_format",
                f"an {id_type} number is up to 3 letters followed by digits, e.g. {example}"
                if id_type == "army"
                else f"a police number is 1–3 letters followed by digits, e.g. {example}",
            )
        return value
    if id_type == "passport":
        return normalise_passport(value)
    raise RegistrationError(
        "id_type", "ID type must be mykad, old_ic, army, police (locals) or passport"
    )


# --------------------------------------------------------------------------- address, contact


def state_for_postcode(postcode: str) -> str:
    code = (postcode or "").strip()
    if not re.fullmatch(r"\d{5}", code):
        raise RegistrationError("postcode_format", "a Malaysian postcode has 5 digits, e.g. 50450")
    value = int(code)
    for state, low, high in postcode_ranges():
        if low <= value <= high:
            return state
    raise RegistrationError("postcode_unknown", f"{code} is not a Malaysian postcode in use")


def state_name(code: str) -> str:
    for row in states():
        if row["code"] == code:
            return row["name_en"]
    return code


def check_postcode_state(postcode: str, state: str) -> str:
    """Return the state; refuse a postcode that belongs to another state."""
    expected = state_for_postcode(postcode)
    if state and state != expected:
        raise RegistrationError(
            "postcode_state_mismatch",
            f"postcode {postcode} is in {state_name(expected)}, not {state_name(state)}",
        )
    return expected


_LANDLINE = re.compile(r"^(?:\+?60|0)([3-9])(\d{7,8})$")


def normalise_phone(text: str) -> str:
    """A Malaysian mobile (01x…) or landline (03-xxxx xxxx, 04–07/09-xxx xxxx, 08x-xxx xxx)."""
    digits = re.sub(r"[\s\-().]", "", text or "")
    try:
        return normalise_mobile(digits)
    except IdentifierError:
        pass
    match = _LANDLINE.match(digits)
    if match:
        area, rest = match.groups()
        # 03 has 8 digits after the area code; 04–07 and 09 have 7; Sabah and Sarawak use a
        # three-digit area code 082–089 and 6 digits (so 7 after the "8").
        ok = (area == "3" and len(rest) == 8) or (area in "45679" and len(rest) == 7)
        ok = ok or (area == "8" and len(rest) == 7 and rest[0] in "23456789")
        if ok:
            return f"+60{area}{rest}"
    raise RegistrationError(
        "phone_format",
        "give a Malaysian phone number: a mobile (012-345 6789) or a landline "
        "(03-2345 6789, 04-234 5678, 082-234 567)",
    )


def search_industries(query: str | None) -> list[dict[str, str]]:
    """Sections whose code, English or Malay name or keywords contain every word of ``query``."""
    words = [w for w in (query or "").lower().split() if w]
    found = []
    for row in industries():
        haystack = " ".join(row.values()).lower()
        if all(w in haystack or (len(w) == 1 and row["code"].lower() == w) for w in words):
            found.append(row)
    return found


def industry(code: str) -> dict[str, str]:
    for row in industries():
        if row["code"] == (code or "").strip().upper():
            return row
    raise RegistrationError("unknown_industry", "choose an industry section letter A–U")


def office(code: str) -> dict[str, str]:
    for row in offices():
        if row["code"] == code:
            return row
    raise RegistrationError(
        "unknown_office", "choose a PERKESO office from /api/v1/catalogue/offices"
    )


# --------------------------------------------------------------------------- documents


def checklist(documents_group: str) -> list[dict[str, Any]]:
    data = _documents_data()
    return [
        {"doc_type": key, "mandatory": mandatory, **data["items"][key]}
        for key, mandatory in data["checklists"][documents_group]
    ]


def document_types() -> dict[str, dict[str, str]]:
    return dict(_documents_data()["items"])


# --------------------------------------------------------------------------- codes


def reference_for(row_id: int, on: date) -> str:
    """``CRN`` + MM + YYYY + eight-digit row id (14 digits)."""
    return f"CRN{on.month:02d}{on.year:04d}{row_id:08d}"


def check_letter(prefix: str, digits: str) -> str:
    """The project's own check letter (see the module docstring)."""
    if len(prefix) != 1 or prefix not in ALPHABET or not re.fullmatch(r"\d{10}", digits):
        raise ValueError("an employer code body is one capital letter and 10 digits")
    total = 11 * (ALPHABET.index(prefix) + 1)
    total += sum((10 - i) * int(d) for i, d in enumerate(digits))
    return ALPHABET[total % 26]


def make_employer_code(prefix: str, state_code: str, row_id: int) -> str:
    names = [row["code"] for row in states()]
    state_no = names.index(state_code) + 1 if state_code in names else 0
    digits = f"{state_no:02d}{row_id:08d}"
    return f"{prefix}{digits}{check_letter(prefix, digits)}"


_EMPLOYER_CODE = re.compile(r"^[A-Z]\d{10}[A-Z]$")


def is_employer_code_shape(text: str) -> bool:
    """Shape only (letter + 10 digits + letter): PERKESO's own check is not public."""
    return bool(_EMPLOYER_CODE.match(_SPACES.sub("", (text or "").upper())))


def has_valid_check_letter(code: str) -> bool:
    """True only for codes this system issued (our check letter)."""
    code = _SPACES.sub("", (code or "").upper())
    return is_employer_code_shape(code) and check_letter(code[0], code[1:11]) == code[11]


# --------------------------------------------------------------------------- employees


@dataclass
class StartDateCheck:
    warnings: list[dict[str, str]] = field(default_factory=list)


def check_start_date(start: date, today: date, employer_since: date | None) -> StartDateCheck:
    """Not in the future, not before the employer existed; a warning when registered late."""
    if start > today:
        raise RegistrationError(
            "start_date_future", "the employment start date cannot be in the future"
        )
    if employer_since is not None and start < employer_since:
        raise RegistrationError(
            "start_date_before_employer",
            f"the employment start date is before the employer existed ({employer_since:%Y-%m-%d})",
        )
    result = StartDateCheck()
    days = (today - start).days
    limit = int(rules()["late_registration_days"])
    if days > limit:
        result.warnings.append(
            {
                "code": "late_registration",
                "message": f"the employee started {days} days ago: employees must be registered "
                f"within {limit} days of starting work, so late contributions and interest may "
                "be due",
            }
        )
    return result


def check_period(
    what: str, start: date | None, end: date | None, today: date, *, must_be_valid: bool = True
) -> None:
    """Passport or permit dates: both given, end after start, not expired."""
    if start is None or end is None:
        raise RegistrationError(f"{what}_dates", f"give the {what} start and end dates")
    if end <= start:
        raise RegistrationError(f"{what}_dates", f"the {what} end date must be after its start")
    if start > today:
        raise RegistrationError(f"{what}_dates", f"the {what} start date cannot be in the future")
    if must_be_valid and end < today:
        raise RegistrationError(f"{what}_expired", f"the {what} expired on {end:%Y-%m-%d}")


@dataclass(frozen=True)
class EmployeeCoverage:
    category: int | None
    eis: bool
    explanation: str


def employee_coverage(
    date_of_birth: date, residency: str, worker_type: str, start_date: date, on: date
) -> EmployeeCoverage:
    """SOCSO category and EIS cover from the facts (rates.coverage), with one sentence why.

    The first contribution is taken as the employment start date (a new registration); the
    month is the one containing ``on`` (the day of registration).
    """
    facts = WorkerFacts(
        date_of_birth=date_of_birth,
        residency=residency,  # type: ignore[arg-type]
        worker_type=worker_type,  # type: ignore[arg-type]
        first_contribution_date=start_date,
    )
    month = date(on.year, on.month, 1)
    result = coverage(facts, month)
    age = age_on(date_of_birth, month)
    first_age = age_on(date_of_birth, start_date)
    who = "foreign" if residency == "foreign" else "local"
    who += " domestic worker" if worker_type == "domestic" else " worker"
    if result.category is None:
        socso = "SOCSO does not apply yet"
    elif result.category == 1:
        socso = "SOCSO first category (Employment Injury and Invalidity)"
    else:
        socso = "SOCSO second category (Employment Injury only)"
    if result.category == 2 and age >= 60:
        socso += " because the worker is 60 or older"
    elif result.category == 2 and first_age >= 55:
        socso += " because the worker was 55 or older when first covered"
    elif result.category == 2:
        socso += " because foreign workers had Employment Injury cover only before July 2024"
    if result.eis:
        eis = "EIS applies (local worker aged 18 to 59)"
    elif residency == "foreign":
        eis = "EIS does not cover foreign workers"
    elif age < 18:
        eis = "EIS does not apply under 18"
    elif age >= 60:
        eis = "EIS stops at 60"
    elif first_age >= 57:
        eis = "EIS does not apply to someone first employed at 57 or older"
    else:
        eis = "EIS does not apply"
    return EmployeeCoverage(result.category, result.eis, f"A {who} aged {age}: {socso}; {eis}.")


def outside_scheme(employer_nationality: str | None, worker_residency: str | None) -> bool:
    """A foreign employer of a foreign domestic worker (unconfirmed rule, see rules.json)."""
    if not rules()["foreign_employer_of_foreign_domestic_worker_outside_scheme"]:
        return False
    foreign_employer = bool(employer_nationality) and employer_nationality != "malaysian"
    return foreign_employer and worker_residency == "foreign"
