"""QRG 1: apply for an ASSIST portal ID (portal_id_form)."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from backend.domain.identifiers import (
    IdentifierError,
    format_mykad,
    mask_mykad,
    normalise_email,
    normalise_mobile,
    parse_mykad,
)
from bot.actions import backend_client
from bot.actions.forms_meta import PORTAL_ID_FIELDS, PORTAL_ID_SLOTS, label_vars
from bot.actions.language import current_language
from bot.actions.typed_answers import typed_answer

logger = logging.getLogger(__name__)

MAX_NAME_LENGTH = 100
PDF_FILENAME = "Borang-Permohonan-Portal-ASSIST.pdf"
_SPACES = re.compile(r"\s+")
_COMMAND = re.compile(r"^\s*/\w")


def check_name(value: Any) -> tuple[str | None, str | None]:
    """(cleaned value, None) or (None, error code) for a person's, company's or position name."""
    text = _SPACES.sub(" ", str(value or "")).strip()
    if not text:
        return None, "empty"
    if _COMMAND.match(text):
        return None, "command"
    if re.fullmatch(r"[\d\s\-+().,/]+", text):
        return None, "digits"
    if len(text) > MAX_NAME_LENGTH:
        return None, "too_long"
    return text, None


def format_mobile(value: str | None) -> str:
    """+60123456789 → 012-345 6789; +601123456789 → 011-2345 6789."""
    digits = re.sub(r"\D", "", value or "")
    if digits.startswith("60"):
        digits = "0" + digits[2:]
    if len(digits) == 10:
        return f"{digits[:3]}-{digits[3:6]} {digits[6:]}"
    if len(digits) == 11:
        return f"{digits[:3]}-{digits[3:7]} {digits[7:]}"
    return value or ""


class ValidatePortalIdForm(FormValidationAction):
    def name(self) -> str:
        return "validate_portal_id_form"

    def _name_slot(self, slot: str, value: Any, dispatcher: CollectingDispatcher) -> dict:
        cleaned, error = check_name(value)
        if error:
            dispatcher.utter_message(response=f"utter_invalid_name_{error}", **label_vars(slot))
            return {slot: None}
        return {slot: cleaned}

    def validate_applicant_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._name_slot("applicant_name", value, dispatcher)

    def validate_company_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._name_slot("company_name", value, dispatcher)

    def validate_company_role(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._name_slot("company_role", value, dispatcher)

    def validate_mykad(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        try:
            mykad = parse_mykad(text)
        except IdentifierError as error:
            digits = re.sub(r"\D", "", text)
            logger.info("MyKad rejected (%s): %s", error.code, mask_mykad(digits))
            if error.code == "mykad_date":
                dispatcher.utter_message(response="utter_invalid_mykad_date", date_part=digits[:6])
            elif error.code == "mykad_place":
                dispatcher.utter_message(
                    response="utter_invalid_mykad_place", place_code=digits[6:8]
                )
            else:
                dispatcher.utter_message(response="utter_invalid_mykad_length")
            return {"mykad": None}
        return {"mykad": mykad.number}

    async def extract_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return typed_answer(tracker, "email", normalise_email)

    def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            return {"email": normalise_email(str(value or ""))}
        except IdentifierError:
            dispatcher.utter_message(response="utter_invalid_email")
            return {"email": None}

    def validate_mobile(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            return {"mobile": normalise_mobile(str(value or ""))}
        except IdentifierError:
            dispatcher.utter_message(response="utter_invalid_mobile")
            return {"mobile": None}

    def validate_portal_id_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == "yes":
            return {"portal_id_confirm": "yes"}
        if value == "change":
            field = requested_field(tracker)
            if field:
                # Clear the field: the form asks for it again, then shows the summary again.
                return {field: None, "portal_id_confirm": None, "field": None}
        dispatcher.utter_message(response="utter_portal_id_which_field")
        return {"portal_id_confirm": None, "field": None}


def requested_field(tracker: Tracker) -> str | None:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "field" and entity.get("value") in PORTAL_ID_FIELDS:
            return entity["value"]
    value = tracker.get_slot("field")
    return value if value in PORTAL_ID_FIELDS else None


def summary_vars(tracker: Tracker) -> dict[str, Any]:
    mykad = tracker.get_slot("mykad") or ""
    return {
        "applicant_name": tracker.get_slot("applicant_name"),
        "mykad_display": format_mykad(mykad) if len(mykad) == 12 else mykad,
        "email": tracker.get_slot("email"),
        "mobile_display": format_mobile(tracker.get_slot("mobile")),
        "company_name": tracker.get_slot("company_name"),
        "company_role": tracker.get_slot("company_role"),
    }


class ActionAskPortalIdConfirm(Action):
    """Shows the summary (MyKad in full: the user is its owner) with Confirm/Change/Cancel."""

    def name(self) -> str:
        return "action_ask_portal_id_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_portal_id_summary", **summary_vars(tracker))
        return []


def clear_application() -> list[EventType]:
    return [SlotSet(slot, None) for slot in PORTAL_ID_SLOTS] + [SlotSet("field", None)]


class ActionSubmitPortalId(Action):
    def name(self) -> str:
        return "action_submit_portal_id"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        payload = {
            "sender_id": tracker.sender_id,
            "full_name": tracker.get_slot("applicant_name"),
            "mykad": tracker.get_slot("mykad"),
            "email": tracker.get_slot("email"),
            "mobile": tracker.get_slot("mobile"),
            "company_name": tracker.get_slot("company_name"),
            "company_role": tracker.get_slot("company_role"),
            "language": current_language(tracker),
        }
        if any(payload[key] in (None, "") for key in payload):
            # Nothing to send (e.g. the slots were cleared); ask again through the form.
            dispatcher.utter_message(response="utter_nothing_to_resume")
            return []
        try:
            result = await backend_client.backend().create_portal_application(payload)
        except backend_client.BackendUnavailable:
            logger.warning(
                "portal application for %s not sent: backend unavailable",
                mask_mykad(payload["mykad"]),
            )
            dispatcher.utter_message(response="utter_service_unavailable")
            return [SlotSet("portal_id_pending", True)]
        except backend_client.BackendError as error:
            return self._rejected(error, payload, dispatcher)

        email = result.get("email") or payload["email"]
        logger.info(
            "portal application %s submitted for %s",
            result.get("reference"),
            mask_mykad(payload["mykad"]),
        )
        dispatcher.utter_message(
            response="utter_portal_id_submitted", reference=result.get("reference", "")
        )
        if result.get("form_pdf_url"):
            dispatcher.utter_message(
                response="utter_portal_id_form_ready",
                json_message={
                    "document": {"url": result["form_pdf_url"], "filename": PDF_FILENAME}
                },
            )
        dispatcher.utter_message(
            response="utter_portal_id_emailed"
            if result.get("email_sent", True)
            else "utter_portal_id_email_pending",
            email=email,
        )
        dispatcher.utter_message(response="utter_portal_id_how_to_login")
        return [*clear_application(), SlotSet("portal_id_pending", False)]

    @staticmethod
    def _rejected(
        error: backend_client.BackendError,
        payload: dict[str, Any],
        dispatcher: CollectingDispatcher,
    ) -> list[EventType]:
        if error.code == "account_exists":
            dispatcher.utter_message(
                response="utter_portal_id_account_exists", email=payload["email"]
            )
            return [*clear_application(), SlotSet("portal_id_pending", False)]
        field = error.code.removeprefix("invalid_")
        field = {"full_name": "applicant_name"}.get(field, field)
        if error.code.startswith("invalid_") and field in PORTAL_ID_FIELDS:
            dispatcher.utter_message(response="utter_portal_id_field_rejected", **label_vars(field))
            return [
                SlotSet(field, None),
                SlotSet("portal_id_confirm", None),
                SlotSet("portal_id_pending", False),
            ]
        logger.warning("portal application refused: %s %s", error.status, error.code)
        dispatcher.utter_message(response="utter_service_unavailable")
        return [SlotSet("portal_id_pending", True)]
