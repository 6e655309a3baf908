"""A worker's personal answers, read the way people type them, for the local and foreign forms.

Both employee forms ask the same kinds of facts (name, date of birth, gender, employment start
date, monthly wage). Dates and wages go through :mod:`bot.actions.normalise` (the one extractor:
"1hb Mac 1990", "15.6.90", "3 March 2026", "RM3k", "tiga ribu"), then through the backend's own
pure rules, so the chat refuses exactly what the API would refuse, with the reason.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from backend.domain import registration as rules
from bot.actions import normalise
from bot.actions.choices import pick
from bot.actions.portal_id import check_name

GENDERS = [
    {"code": "male", "name_en": "Male", "name_ms": "Lelaki"},
    {"code": "female", "name_en": "Female", "name_ms": "Perempuan"},
]
GENDER_ALIASES = {"male": ("m", "lelaki", "man", "l"), "female": ("f", "perempuan", "woman", "p")}
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(text: Any, today: date | None = None) -> date | None:
    """A calendar date as typed (day first: '1/3/2026', '1hb Mac 2026', '2026-03-01'), or None."""
    return normalise.find_date(str(text or ""), today or date.today())


def birth_date(text: Any, today: date) -> date | None:
    """Like :func:`parse_date`, but a two-digit year is in the past ('15/6/90' is 1990)."""
    born = parse_date(text, today)
    if born is not None and born > today and born.year - 100 >= 1900:
        # normalise reads '90' as 2090 for months and payments; nobody is born in the future.
        if re.search(r"(?<!\d)\d{2}\s*$", str(text or "").strip()):
            born = born.replace(year=born.year - 100)
    return born


def iso_date(value: Any) -> date | None:
    """A slot's stored ISO date, or None when the slot is empty or holds something else."""
    text = str(value or "")
    if not _ISO.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def display_date(iso: Any, language: str = "en") -> str:
    try:
        return date.fromisoformat(str(iso)).strftime("%d/%m/%Y")
    except ValueError:
        return str(iso or "-")


def gender_name(code: Any, language: str) -> str:
    for row in GENDERS:
        if row["code"] == code:
            return row["name_ms"] if language == "ms" else row["name_en"]
    return str(code or "-")


def wage_text(value: Any) -> str | None:
    """The monthly wage as '3000.00' ('RM3k', '3,000', 'tiga ribu'), or None when unreadable."""
    try:
        return f"{normalise.parse_wage(str(value or '')):.2f}"
    except normalise.NormaliseError:
        return None


def name_answer(
    slot: str, value: Any, dispatcher: CollectingDispatcher, response: str
) -> dict[str, Any]:
    cleaned, error = check_name(value)
    if error:
        dispatcher.utter_message(response=response)
        return {slot: None}
    return {slot: cleaned}


def gender_answer(
    slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict[str, Any]:
    return {slot: pick(value, tracker, dispatcher, GENDERS, GENDER_ALIASES)}


def wage_answer(slot: str, value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    wage = wage_text(value)
    if wage is None:
        dispatcher.utter_message(response="utter_invalid_wage")
    return {slot: wage}


def start_date_answer(
    slot: str,
    value: Any,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    today: date,
    born_slot: str | None = None,
) -> dict[str, Any]:
    """The employment start date: not in the future, not before the employer existed, after
    the birth; more than 30 days ago is accepted with the late-registration warning."""
    started = parse_date(value, today)
    if started is None:
        dispatcher.utter_message(response="utter_invalid_emp_start_date")
        return {slot: None}
    born = iso_date(tracker.get_slot(born_slot)) if born_slot else None
    if born and started <= born:
        dispatcher.utter_message(response="utter_invalid_fw_start_before_birth")
        return {slot: None}
    since_text = tracker.get_slot("emp_employer_since")
    try:
        check = rules.check_start_date(started, today, iso_date(since_text))
    except rules.RegistrationError as error:
        if error.code == "start_date_future":
            dispatcher.utter_message(response="utter_invalid_emp_start_future")
        else:
            dispatcher.utter_message(
                response="utter_invalid_emp_start_before_employer",
                employer_since=display_date(since_text),
            )
        return {slot: None}
    if check.warnings:
        dispatcher.utter_message(
            response="utter_employee_late_registration", days=(today - started).days
        )
    return {slot: started.isoformat()}


def mykad_number(text: Any, today: date) -> str:
    """The 12 digits of a valid MyKad in the answer ('900101-14-5678', 'IC dia 900101145678').

    Raises :class:`normalise.NormaliseError` (code mykad_length / mykad_date / mykad_place)."""
    return normalise.parse_mykad_number(str(text or ""), today).number


def reply_bad_mykad(
    error: normalise.NormaliseError, text: Any, dispatcher: CollectingDispatcher, otherwise: str
) -> None:
    """Says what is wrong with a MyKad number: its date, its place code, or its length."""
    digits = normalise.find_mykad(str(text or "")) or re.sub(r"\D", "", str(text or ""))
    if error.code == "mykad_date":
        dispatcher.utter_message(response="utter_invalid_mykad_date", date_part=digits[:6])
    elif error.code == "mykad_place":
        dispatcher.utter_message(response="utter_invalid_mykad_place", place_code=digits[6:8])
    else:
        dispatcher.utter_message(response=otherwise)
