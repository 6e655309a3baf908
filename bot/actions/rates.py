"""'How much SOCSO/EIS for RM2,950?': a quote from GET /api/v1/rates/quote (rate_quote_form)."""

from __future__ import annotations

import logging
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from backend.domain.money import parse_ringgit
from bot.actions import backend_client, normalise
from bot.actions.language import current_language

logger = logging.getLogger(__name__)

MONTHS = {
    "jan": 1, "january": 1, "januari": 1,
    "feb": 2, "february": 2, "februari": 2,
    "mar": 3, "march": 3, "mac": 3,
    "apr": 4, "april": 4,
    "may": 5, "mei": 5,
    "jun": 6, "june": 6,
    "jul": 7, "july": 7, "julai": 7,
    "aug": 8, "august": 8, "ogos": 8, "ogo": 8,
    "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "okt": 10, "oktober": 10,
    "nov": 11, "november": 11,
    "dec": 12, "december": 12, "dis": 12, "disember": 12,
}  # fmt: skip
MONTH_NAMES = {
    "en": [
        "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December",
    ],
    "ms": [
        "Januari", "Februari", "Mac", "April", "Mei", "Jun", "Julai", "Ogos",
        "September", "Oktober", "November", "Disember",
    ],
}  # fmt: skip

_MONTH_WORD = "|".join(sorted(MONTHS, key=len, reverse=True))
_NAMED_MONTH = re.compile(rf"\b({_MONTH_WORD})\b\.?\s*(\d{{4}})?", re.IGNORECASE)
_ISO_MONTH = re.compile(r"\b(\d{4})-(\d{1,2})\b")
_SLASH_MONTH = re.compile(r"\b(\d{1,2})/(\d{4})\b")
_RM_AMOUNT = re.compile(r"(?i)\b(?:rm|myr)\s*(\d[\d,]*(?:\.\d{1,2})?\s*k?)\b")
_PLAIN_AMOUNT = re.compile(
    r"(?<![\d/\-])(\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)(?![\d/\-])"
)
_JUST_AMOUNT = re.compile(r"\s*(?:rm|myr)?\s*[\d,.]+\s*k?\s*(?:ringgit)?\s*", re.IGNORECASE)


def parse_month(
    text: str | None, today: date | None = None, require_year: bool = False
) -> str | None:
    """'October 2025', 'Oktober 2025', 'okt', '2025-10', '10/2025' → '2025-10'; else None.

    A month name without a year means the latest such month not after this month.
    """
    today = today or date.today()
    if not text:
        return None
    match = _ISO_MONTH.search(text)
    if match and 1 <= int(match.group(2)) <= 12:
        return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"
    match = _SLASH_MONTH.search(text)
    if match and 1 <= int(match.group(1)) <= 12:
        return f"{int(match.group(2)):04d}-{int(match.group(1)):02d}"
    for match in _NAMED_MONTH.finditer(text):
        if require_year and not match.group(2):
            continue  # "may" in "may I know" is not a month
        month = MONTHS[match.group(1).lower()]
        if match.group(2):
            year = int(match.group(2))
        else:
            year = today.year if month <= today.month else today.year - 1
        return f"{year:04d}-{month:02d}"
    return None


def strip_months(text: str) -> str:
    text = _ISO_MONTH.sub(" ", text)
    text = _SLASH_MONTH.sub(" ", text)
    return _NAMED_MONTH.sub(" ", text)


def find_amount(text: str | None) -> str | None:
    """The wage in a sentence, when the entity extractor missed it ('gaji 3000 bulan Mac 2026')."""
    if not text:
        return None
    rest = strip_months(text)
    match = _RM_AMOUNT.search(rest)
    if match:
        return match.group(1).strip()
    match = _PLAIN_AMOUNT.search(rest)
    return match.group(1) if match else None


def month_label(month: str, language: str) -> str:
    year, number = month.split("-")
    return f"{MONTH_NAMES.get(language, MONTH_NAMES['en'])[int(number) - 1]} {year}"


def display_amount(value: Any) -> str:
    """'2950.00' → '2,950.00' (Decimal all the way, never float)."""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


class ValidateRateQuoteForm(FormValidationAction):
    def name(self) -> str:
        return "validate_rate_quote_form"

    async def extract_wage_amount(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("wage_amount") is not None:
            return {}
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent != "ask_contribution_rate":
            return {}
        found = find_amount(tracker.latest_message.get("text"))
        return {"wage_amount": found} if found else {}

    def validate_wage_amount(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, list):  # several amount entities, e.g. "RM2800 bulan oktober 2025"
            latest = tracker.latest_message.get("text") or ""
            value = find_amount(latest) or (value[0] if value else "")
        text = str(value or "")
        try:  # 'RM3k', 'tiga ribu', '3,000.50': the project's one wage reader first
            return {"wage_amount": str(normalise.parse_wage(text))}
        except normalise.NormaliseError:
            pass  # a sentence around the figure, or a reason to give below
        candidate = text if _JUST_AMOUNT.fullmatch(text) else find_amount(text)
        try:
            amount = parse_ringgit(candidate or text)
        except ValueError as error:
            code = getattr(error, "code", "")
            response = {
                "money_negative": "utter_invalid_wage_negative",
                "money_too_many_decimals": "utter_invalid_wage_decimals",
            }.get(code, "utter_invalid_wage")
            dispatcher.utter_message(response=response)
            return {"wage_amount": None}
        if amount <= 0:
            dispatcher.utter_message(response="utter_invalid_wage_negative")
            return {"wage_amount": None}
        return {"wage_amount": str(amount)}


class ActionQuoteContribution(Action):
    def name(self) -> str:
        return "action_quote_contribution"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = [SlotSet("wage_amount", None), SlotSet("quote_month", None)]
        wage = tracker.get_slot("wage_amount")
        if not wage:
            dispatcher.utter_message(response="utter_ask_wage_amount")
            return events
        language = current_language(tracker)
        month_text = tracker.get_slot("quote_month")
        if isinstance(month_text, list):
            month_text = " ".join(str(part) for part in month_text)
        # The whole message reads "Oktober 2025" better than an entity that kept only "Oktober".
        month = parse_month(tracker.latest_message.get("text"), require_year=True) or (
            parse_month(month_text) if month_text else None
        )
        if month is None:
            month = date.today().strftime("%Y-%m")
            if month_text:
                dispatcher.utter_message(
                    response="utter_rate_month_unclear",
                    month_text=month_text,
                    month_label=month_label(month, language),
                )
        try:
            quote = await backend_client.backend().rate_quote(wage, month, category=1)
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return events
        except backend_client.BackendError as error:
            logger.info("quote refused: %s %s", error.status, error.message)
            dispatcher.utter_message(response="utter_rate_quote_rejected")
            return events
        band = quote.get("band") or {}
        socso = quote.get("socso") or {}
        eis = quote.get("eis") or {}
        skbbk = (quote.get("skbbk") or {}).get("employee") or "0.00"
        top_band = band.get("to") in (None, "")  # wages above the ceiling
        dispatcher.utter_message(
            response="utter_rate_quote_top_band" if top_band else "utter_rate_quote",
            wage=display_amount(quote.get("wage", wage)),
            month_label=month_label(quote.get("month", month), language),
            band_from=display_amount(band.get("from") or "0.00"),
            band_to=display_amount(band.get("to") or "0.00"),
            socso_employer=display_amount(socso.get("employer", "0.00")),
            socso_employee=display_amount(socso.get("employee", "0.00")),
            eis_employer=display_amount(eis.get("employer", "0.00")),
            eis_employee=display_amount(eis.get("employee", "0.00")),
        )
        if Decimal(str(skbbk)) != 0:
            dispatcher.utter_message(
                response="utter_rate_quote_skbbk", skbbk_employee=display_amount(skbbk)
            )
        dispatcher.utter_message(response="utter_rate_quote_note")
        return events
