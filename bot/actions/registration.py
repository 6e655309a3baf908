"""QRG 2: register the employer (employer_registration_form), saved to the backend as you go.

Each accepted answer is sent at once (POST at the first answer, PATCH one field at a time after),
so nothing half-saved is lost and a draft can be continued later. The catalogues (business
entities, industries, offices) come from the same data files the backend serves
(``backend.domain.registration``), and answers are pre-checked with the same pure rules.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from backend.domain import registration as rules
from bot.actions import backend_client
from bot.actions.buttons import ask_action, choice_buttons, option_name
from bot.actions.choices import chosen, match_option, name_of, norm, pick
from bot.actions.draft_answers import (
    REASON_RESPONSES,
    DraftAnswers,
    complete_draft,
    send_answer,
    state_offices,
)
from bot.actions.draft_answers import (
    slots_from_view as draft_slots,
)
from bot.actions.form_validation import AnswersOnlyFormValidation
from bot.actions.forms_meta import EMPLOYER_REG_FIELDS, EMPLOYER_REG_SLOTS
from bot.actions.language import current_language
from bot.actions.portal_id import check_name, format_mobile
from bot.actions.registration_lookup import reply_not_ready
from bot.actions.summary_answers import requested_field as field_named
from bot.actions.summary_answers import summary_action, summary_answer

# chosen and match_option are imported from here by the contribution and payment flows.
__all__ = ["REASON_RESPONSES", "chosen", "match_option"]

logger = logging.getLogger(__name__)

FORM = "employer_registration_form"
CONFIRM = "employer_registration_confirm"

# Slot → backend field.
BACKEND_FIELD = {
    "reg_business_entity": "business_entity",
    "reg_sub_entity": "sub_entity",
    "reg_sub_entity_item": "sub_entity_item",
    "reg_registration_no": "registration_no",
    "reg_employer_name": "employer_name",
    "reg_industry": "industry_code",
    "reg_address": "address_line1",
    "reg_postcode": "postcode",
    "reg_city": "city",
    "reg_email": "email",
    "reg_phone": "phone",
    "reg_induction_office": "induction_office",
}
SLOT_FOR_FIELD = {field: slot for slot, field in BACKEND_FIELD.items()}

# What a correction from the summary clears besides the field itself (later answers that
# depend on it).
DEPENDENT = {
    "reg_business_entity": (
        "reg_sub_entity",
        "reg_sub_entity_item",
        "reg_registration_no",
    ),
    "reg_sub_entity": ("reg_sub_entity_item", "reg_registration_no"),
    "reg_postcode": ("reg_induction_office",),
}

# Words people type for an entity, beside the catalogue's own names.
ENTITY_ALIASES = {
    "sole_proprietorship": ("sole", "proprietor", "milikan tunggal", "enterprise", "perniagaan"),
    "partnership": ("partnership", "perkongsian", "partner"),
    "sdn_bhd": ("sdn bhd", "sendirian berhad", "private limited", "syarikat sendirian", "pte"),
    "berhad": ("berhad", "bhd", "public limited", "public company"),
    "llp": ("llp", "plt", "perkongsian liabiliti terhad", "limited liability"),
    "society": ("society", "persatuan", "association", "pertubuhan", "kelab", "club", "union"),
    "cooperative": ("cooperative", "co-operative", "koperasi", "coop"),
    "others": ("others", "other", "lain", "statutory", "trust", "embassy", "kedutaan"),
}


def _today() -> date:
    return date.today()


_norm = norm


def employer_entities() -> list[dict[str, Any]]:
    return [e for e in rules.business_entities() if e["registration_type"] == "employer"]


def sub_entities(entity_code: str | None) -> list[dict[str, Any]]:
    try:
        return list(rules.entity(entity_code)["sub_entities"])
    except rules.RegistrationError:
        return []


def sub_items(entity_code: str | None, sub_code: str | None) -> list[dict[str, Any]]:
    try:
        return list(rules.sub_entity(entity_code or "", sub_code)["items"])
    except rules.RegistrationError:
        return []


def ssm_example(entity_code: str | None, sub_code: str | None) -> str:
    """A right number for the entity, e.g. 202001012345 for a Sdn Bhd."""
    try:
        row = rules.entity(entity_code)
    except rules.RegistrationError:
        return "202001012345"
    sub = {}
    if sub_code:
        try:
            sub = rules.sub_entity(entity_code or "", sub_code)
        except rules.RegistrationError:
            sub = {}
    kind = sub.get("number_kind", row["number_kind"])
    if kind == "free":
        return "PPM-001-14-01012020"
    types = sub.get("ssm_types") or row.get("ssm_types") or ["01"]
    return f"2020{types[0]}012345"


# --------------------------------------------------------------------------- saving


async def save_field(
    slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict[str, Any] | None:
    """Sends one answer to the backend. Returns extra slot changes, or None when it failed
    (the reply has been uttered)."""
    field = BACKEND_FIELD[slot]
    registration_id = tracker.get_slot("registration_id")
    create = {"registration_type": "employer", "language": current_language(tracker)}
    try:
        view = await send_answer(tracker, registration_id, {field: value}, create)
    except backend_client.BackendUnavailable:
        dispatcher.utter_message(response="utter_service_unavailable_general")
        return None
    except backend_client.BackendError as error:
        reply_to_refusal(error, slot, dispatcher, tracker)
        return None
    extra: dict[str, Any] = {
        "registration_id": view.get("id", registration_id),
        "registration_reference": view.get("reference")
        or tracker.get_slot("registration_reference"),
    }
    if field == "postcode" and view.get("state"):
        extra["reg_state"] = view["state"]
    return extra


def reply_to_refusal(
    error: backend_client.BackendError,
    slot: str,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
) -> None:
    reason = str(error.data.get("reason") or "")
    entity_code = tracker.get_slot("reg_business_entity")
    sub_code = tracker.get_slot("reg_sub_entity")
    if error.code == "not_logged_in":
        dispatcher.utter_message(response="utter_registration_login_first")
    elif error.code == "terms_not_accepted":
        dispatcher.utter_message(response="utter_registration_terms_first")
    elif error.code == "draft_exists":
        dispatcher.utter_message(
            response="utter_registration_draft_exists", reference=error.data.get("reference", "")
        )
    elif error.code == "employer_exists":
        dispatcher.utter_message(
            response="utter_registration_employer_exists",
            employer_code=error.data.get("employer_code") or "-",
        )
    elif error.code == "already_submitted":
        dispatcher.utter_message(response="utter_registration_already_submitted")
    elif reason in REASON_RESPONSES:
        dispatcher.utter_message(
            response=REASON_RESPONSES[reason], example=ssm_example(entity_code, sub_code)
        )
    else:
        logger.info("registration field %s refused: %s %s", slot, error.code, reason)
        dispatcher.utter_message(response="utter_registration_field_refused")


# --------------------------------------------------------------------------- form


class ValidateEmployerRegistrationForm(DraftAnswers, AnswersOnlyFormValidation):
    ANSWER_SLOTS: ClassVar[dict[str, str]] = {
        "address": "reg_address",
        "postcode": "reg_postcode",
        "city": "reg_city",
        "email": "reg_email",
        "phone": "reg_phone",
        "office": "reg_induction_office",
    }

    def name(self) -> str:
        return "validate_employer_registration_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        slots = list(domain_slots)
        entity_code = tracker.get_slot("reg_business_entity")
        sub_code = tracker.get_slot("reg_sub_entity")
        if entity_code and sub_code and not sub_items(entity_code, sub_code):
            slots.remove("reg_sub_entity_item")
        return slots

    async def _save(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        extra = await save_field(slot, value, dispatcher, tracker)
        if extra is None:
            return {slot: None}
        return {slot: value, **extra}

    async def validate_reg_business_entity(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = chosen(value, tracker)
        if _norm(text) in ("domestic individual", "domestic", "individual for domestic worker"):
            dispatcher.utter_message(response="utter_registration_use_domestic")
            return {"reg_business_entity": None}
        code = match_option(text, employer_entities(), ENTITY_ALIASES)
        if code is None:
            dispatcher.utter_message(response="utter_invalid_reg_business_entity")
            return {"reg_business_entity": None}
        return await self._save("reg_business_entity", code, dispatcher, tracker)

    async def validate_reg_sub_entity(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        options = sub_entities(tracker.get_slot("reg_business_entity"))
        code = pick(value, tracker, dispatcher, options)
        if code is None:
            return {"reg_sub_entity": None}
        return await self._save("reg_sub_entity", code, dispatcher, tracker)

    async def validate_reg_sub_entity_item(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        options = sub_items(
            tracker.get_slot("reg_business_entity"), tracker.get_slot("reg_sub_entity")
        )
        code = pick(value, tracker, dispatcher, options)
        if code is None:
            return {"reg_sub_entity_item": None}
        return await self._save("reg_sub_entity_item", code, dispatcher, tracker)

    async def validate_reg_registration_no(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        entity_code = tracker.get_slot("reg_business_entity")
        sub_code = tracker.get_slot("reg_sub_entity")
        try:
            parsed = rules.parse_registration_number(
                entity_code or "", sub_code, str(value or ""), _today()
            )
        except rules.RegistrationError as error:
            response = REASON_RESPONSES.get(error.code, "utter_invalid_reg_no_format")
            typed = re.sub(r"[\s\-]", "", str(value or ""))
            dispatcher.utter_message(
                response=response,
                example=ssm_example(entity_code, sub_code),
                type_code=typed[4:6] if len(typed) >= 6 else "",
            )
            return {"reg_registration_no": None}
        return await self._save("reg_registration_no", parsed.number, dispatcher, tracker)

    async def validate_reg_employer_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        cleaned, error = check_name(value)
        if error:
            dispatcher.utter_message(response="utter_invalid_reg_employer_name")
            return {"reg_employer_name": None}
        return await self._save("reg_employer_name", cleaned, dispatcher, tracker)

    async def validate_reg_industry(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = chosen(value, tracker).strip()
        language = current_language(tracker)
        if re.fullmatch(r"[A-Za-z]", text):
            try:
                code = rules.industry(text)["code"]
            except rules.RegistrationError:
                code = None
            if code:
                return await self._save("reg_industry", code, dispatcher, tracker)
        found = rules.search_industries(text) if text else []
        if not found:
            # Any one word is enough when all of them together match nothing.
            seen: dict[str, dict[str, str]] = {}
            for word in _norm(text).split():
                if len(word) >= 3:
                    for row in rules.search_industries(word):
                        seen.setdefault(row["code"], row)
            found = list(seen.values())
        if len(found) == 1:
            return await self._save("reg_industry", found[0]["code"], dispatcher, tracker)
        if not found:
            dispatcher.utter_message(response="utter_invalid_reg_industry")
            return {"reg_industry": None}
        dispatcher.utter_message(
            response="utter_reg_industry_pick", buttons=choice_buttons(found, language)
        )
        return {"reg_industry": None}

    async def validate_employer_registration_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return summary_answer(
            value,
            tracker,
            dispatcher,
            confirm_slot=CONFIRM,
            fields=EMPLOYER_REG_FIELDS,
            dependent=DEPENDENT,
            which_response="utter_employer_registration_which_field",
        )


def requested_field(tracker: Tracker) -> str | None:
    return field_named(tracker, EMPLOYER_REG_FIELDS)


# --------------------------------------------------------------------------- ask actions


ActionAskRegBusinessEntity = ask_action(
    "action_ask_reg_business_entity",
    "utter_ask_reg_business_entity",
    lambda tracker: employer_entities(),
)
ActionAskRegSubEntity = ask_action(
    "action_ask_reg_sub_entity",
    "utter_ask_reg_sub_entity",
    lambda tracker: sub_entities(tracker.get_slot("reg_business_entity")),
)
ActionAskRegSubEntityItem = ask_action(
    "action_ask_reg_sub_entity_item",
    "utter_ask_reg_sub_entity_item",
    lambda tracker: sub_items(
        tracker.get_slot("reg_business_entity"), tracker.get_slot("reg_sub_entity")
    ),
)


class ActionAskRegRegistrationNo(Action):
    def name(self) -> str:
        return "action_ask_reg_registration_no"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(
            response="utter_ask_reg_registration_no",
            example=ssm_example(
                tracker.get_slot("reg_business_entity"), tracker.get_slot("reg_sub_entity")
            ),
        )
        return []


ActionAskRegInductionOffice = ask_action(
    "action_ask_reg_induction_office",
    "utter_ask_reg_induction_office",
    state_offices,
    lambda tracker: {
        "state": rules.state_name(tracker.get_slot("reg_state"))
        if tracker.get_slot("reg_state")
        else "-"
    },
)


def summary_vars(tracker: Tracker) -> dict[str, Any]:
    language = current_language(tracker)
    get = tracker.get_slot
    entity_code, sub_code = get("reg_business_entity"), get("reg_sub_entity")
    entity_text = name_of(employer_entities(), entity_code, language)
    sub_text = name_of(sub_entities(entity_code), sub_code, language)
    item = get("reg_sub_entity_item")
    if item:
        sub_text += " / " + name_of(sub_items(entity_code, sub_code), item, language)
    try:
        industry_row = rules.industry(get("reg_industry") or "")
        industry_text = f"{industry_row['code']} {option_name(industry_row, language)}"
    except rules.RegistrationError:
        industry_text = "-"
    try:
        office_text = rules.office(get("reg_induction_office") or "")["name"]
    except rules.RegistrationError:
        office_text = "-"
    phone = get("reg_phone") or ""
    return {
        "business_entity": entity_text,
        "sub_entity": sub_text,
        "registration_no": get("reg_registration_no") or "-",
        "employer_name": get("reg_employer_name") or "-",
        "industry": industry_text,
        "address": get("reg_address") or "-",
        "postcode": get("reg_postcode") or "-",
        "city": get("reg_city") or "-",
        "state": rules.state_name(get("reg_state")) if get("reg_state") else "-",
        "email": get("reg_email") or "-",
        "phone": format_mobile(phone) if phone.startswith("+601") else phone or "-",
        "induction_office": office_text,
        "reference": get("registration_reference") or "-",
    }


ActionAskEmployerRegistrationConfirm = summary_action(
    "action_ask_employer_registration_confirm", "utter_employer_registration_summary", summary_vars
)


# --------------------------------------------------------------------------- start and finish


def clear_form() -> list[EventType]:
    return [SlotSet(slot, None) for slot in EMPLOYER_REG_SLOTS] + [
        SlotSet("field", None),
        SlotSet("reg_state", None),
    ]


def slots_from_view(view: dict[str, Any]) -> list[EventType]:
    return draft_slots(view, SLOT_FOR_FIELD)


class ActionStartEmployerRegistration(Action):
    """Checks the login, then starts a new registration or continues the account's draft."""

    def name(self) -> str:
        return "action_start_employer_registration"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        not_ready = [SlotSet("registration_ready", False)]
        client = backend_client.backend()
        try:
            listing = await client.list_registrations(tracker.sender_id)
            draft = next(
                (
                    row
                    for row in listing.get("registrations") or []
                    if row.get("registration_type") == "employer" and row.get("status") == "draft"
                ),
                None,
            )
            view = (
                await client.get_registration(tracker.sender_id, int(draft["id"]))
                if draft
                else None
            )
        except (backend_client.BackendUnavailable, backend_client.BackendError) as error:
            if isinstance(error, backend_client.BackendError):
                logger.info("registration listing refused: %s %s", error.status, error.code)
            reply_not_ready(error, dispatcher, otherwise="utter_service_unavailable_general")
            return not_ready
        events = [*clear_form(), SlotSet("registration_ready", True)]
        if view:
            dispatcher.utter_message(
                response="utter_registration_resume_draft", reference=view.get("reference", "")
            )
            return [
                *events,
                SlotSet("registration_id", view.get("id")),
                SlotSet("registration_reference", view.get("reference")),
                *slots_from_view(view),
            ]
        dispatcher.utter_message(response="utter_registration_intro")
        return [*events, SlotSet("registration_id", None), SlotSet("registration_reference", None)]


class ActionSubmitEmployerRegistration(Action):
    """After Confirm: reads the saved draft back and gives the CRN reference."""

    def name(self) -> str:
        return "action_submit_employer_registration"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        view, retry = await complete_draft(
            tracker,
            dispatcher,
            tracker.get_slot("registration_id"),
            CONFIRM,
            SLOT_FOR_FIELD,
            lambda error: reply_to_refusal(error, CONFIRM, dispatcher, tracker),
        )
        if view is None:
            return retry
        dispatcher.utter_message(
            response="utter_employer_registration_saved",
            reference=view.get("reference") or tracker.get_slot("registration_reference") or "",
            employer_name=view.get("employer_name") or tracker.get_slot("reg_employer_name") or "",
        )
        return [*clear_form(), SlotSet("registration_reference", view.get("reference"))]


class ActionAcceptTerms(Action):
    """'I agree' to the ASSIST terms (offered when the backend says they are not accepted)."""

    def name(self) -> str:
        return "action_accept_terms"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            await backend_client.backend().accept_terms(tracker.sender_id)
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return []
        except backend_client.BackendError as error:
            if error.code == "not_logged_in":
                dispatcher.utter_message(response="utter_registration_login_first")
                return []
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return []
        dispatcher.utter_message(response="utter_terms_accepted_now")
        return [SlotSet("terms_accepted", None)]
