"""QRG 2b: register an employer of domestic workers (domestic_employer_registration_form).

The business entity is fixed to "Individual for Domestic Worker": a company or any other business
entity is refused with the reason (the employer must be an individual) and pointed to the
employer registration. The employer's nationality decides their own ID (MyKad for a Malaysian,
passport otherwise), and the domestic worker's type and residency replace the industry. A
foreigner employing a foreign domestic worker is told the scheme does not cover that case (an
unconfirmed rule kept in the backend's data). Like the employer form, every accepted answer is
saved to the backend's draft at once, so nothing is lost when the chat is left half-way.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from backend.domain import registration as rules
from bot.actions import backend_client, normalise
from bot.actions.buttons import ask_action, ask_with_buttons
from bot.actions.choices import chosen, match_option, pick
from bot.actions.choices import name_of as option_text
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
from bot.actions.foreign_employees import NATIONALITIES, NATIONALITY_ALIASES
from bot.actions.form_validation import AnswersOnlyFormValidation
from bot.actions.forms_meta import DOMESTIC_REG_FIELDS, DOMESTIC_REG_SLOTS
from bot.actions.language import current_language
from bot.actions.person_answers import mykad_number, reply_bad_mykad
from bot.actions.portal_id import check_name, format_mobile
from bot.actions.registration import ENTITY_ALIASES, employer_entities
from bot.actions.registration_lookup import reply_not_ready
from bot.actions.summary_answers import requested_field as field_named
from bot.actions.summary_answers import summary_action, summary_answer

logger = logging.getLogger(__name__)

FORM = "domestic_employer_registration_form"
CONFIRM = "dom_confirm"
INDIVIDUAL = "domestic_individual"

BACKEND_FIELD = {
    "dom_nationality": "nationality",
    "dom_id_no": "registration_no",
    "dom_employer_name": "employer_name",
    "dom_worker_type": "domestic_worker_type",
    "dom_worker_residency": "domestic_worker_residency",
    "dom_address": "address_line1",
    "dom_postcode": "postcode",
    "dom_city": "city",
    "dom_email": "email",
    "dom_phone": "phone",
    "dom_induction_office": "induction_office",
}
SLOT_FOR_FIELD = {field: slot for slot, field in BACKEND_FIELD.items()}
DEPENDENT = {
    "dom_nationality": ("dom_id_no",),  # a new nationality means another ID (MyKad/passport)
    "dom_postcode": ("dom_induction_office",),
}

NATIONALITY_OPTIONS = [
    {"code": "malaysian", "name_en": "Malaysian", "name_ms": "Warganegara Malaysia"},
    *NATIONALITIES[:6],
]
MALAYSIAN_ALIASES = {
    "malaysian": ("malaysia", "warganegara", "rakyat malaysia", "local", "tempatan", "my")
}
INDIVIDUAL_WORDS = ("individual", "individu", "myself", "saya sendiri", "person", "perseorangan")
WORKER_TYPE_NAMES = {
    "housemaid": ("Housemaid", "Pembantu rumah"),
    "driver": ("Driver", "Pemandu"),
    "gardener": ("Gardener", "Tukang kebun"),
    "cook": ("Cook", "Tukang masak"),
    "nanny": ("Nanny", "Pengasuh"),
    "caregiver": ("Caregiver", "Penjaga"),
    "home_guard": ("Home guard", "Pengawal rumah"),
    "other": ("Other domestic work", "Kerja domestik lain"),
}
WORKER_TYPE_ALIASES = {
    "housemaid": ("maid", "amah", "helper", "bibik", "pembantu", "orang gaji"),
    "driver": ("drebar", "pemandu", "chauffeur"),
    "gardener": ("kebun", "tukang kebun"),
    "cook": ("masak", "chef"),
    "nanny": ("babysitter", "pengasuh", "baby sitter"),
    "caregiver": ("carer", "jaga orang tua", "penjaga"),
    "home_guard": ("guard", "jaga", "pengawal", "security"),
}
RESIDENCIES = [
    {
        "code": "local",
        "name_en": "Malaysian / permanent resident",
        "name_ms": "Warganegara / penduduk tetap",
    },
    {"code": "foreign", "name_en": "Foreign", "name_ms": "Warga asing"},
]
RESIDENCY_ALIASES = {
    "local": ("local", "tempatan", "malaysian", "pr", "permanent resident", "warganegara"),
    "foreign": ("foreign", "asing", "foreigner", "indonesia", "filipina", "luar negara"),
}


def _today() -> date:
    return date.today()


def worker_types() -> list[dict[str, str]]:
    rows = []
    for code in rules.rules()["domestic_worker_types"]:
        name_en, name_ms = WORKER_TYPE_NAMES.get(code, (code, code))
        rows.append({"code": code, "name_en": name_en, "name_ms": name_ms})
    return rows


def name_of(options: list[dict[str, Any]], code: Any, language: str) -> str:
    return option_text(options, code, language, title=True)


def is_malaysian(tracker: Tracker) -> bool:
    return tracker.get_slot("dom_nationality") == "malaysian"


# --------------------------------------------------------------------------- saving


async def save_field(
    slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict[str, Any] | None:
    """PATCHes one answer (POSTs the draft at the first). None when refused (reply uttered)."""
    registration_id = tracker.get_slot("dom_registration_id")
    fields = {BACKEND_FIELD[slot]: value} if slot in BACKEND_FIELD else {}
    create = {
        "registration_type": "domestic",
        "language": current_language(tracker),
        "business_entity": INDIVIDUAL,
    }
    try:
        view = await send_answer(tracker, registration_id, fields, create)
    except backend_client.BackendUnavailable:
        dispatcher.utter_message(response="utter_service_unavailable_general")
        return None
    except backend_client.BackendError as error:
        reply_to_refusal(error, slot, dispatcher, tracker)
        return None
    extra: dict[str, Any] = {
        "dom_registration_id": view.get("id", registration_id),
        "registration_id": view.get("id", registration_id),
        "registration_reference": view.get("reference")
        or tracker.get_slot("registration_reference"),
    }
    if BACKEND_FIELD.get(slot) == "postcode" and view.get("state"):
        extra["reg_state"] = view["state"]
    if slot == "dom_worker_residency" and any(
        flag.get("code") == "outside_scheme" for flag in view.get("flags") or []
    ):
        dispatcher.utter_message(response="utter_dom_outside_scheme")
    return extra


def reply_to_refusal(
    error: backend_client.BackendError,
    slot: str,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
) -> None:
    reason = str(error.data.get("reason") or "")
    if error.code == "not_logged_in":
        dispatcher.utter_message(response="utter_registration_login_first")
    elif error.code == "terms_not_accepted":
        dispatcher.utter_message(response="utter_registration_terms_first")
    elif error.code in ("draft_exists", "employer_exists"):
        dispatcher.utter_message(
            response="utter_dom_already_registered",
            reference=error.data.get("reference") or error.data.get("employer_code") or "-",
        )
    elif error.code == "already_submitted":
        dispatcher.utter_message(response="utter_registration_already_submitted")
    elif reason == "domestic_employer_must_be_individual":
        dispatcher.utter_message(response="utter_dom_must_be_individual", entity="-")
    elif reason in ("mykad_date", "mykad_place", "mykad_length", "mykad_format"):
        dispatcher.utter_message(response="utter_invalid_dom_mykad")
    elif reason == "passport_format":
        dispatcher.utter_message(response="utter_invalid_fw_passport_no")
    elif reason in REASON_RESPONSES:
        dispatcher.utter_message(response=REASON_RESPONSES[reason], example="-")
    else:
        logger.info("domestic registration field %s refused: %s %s", slot, error.code, reason)
        dispatcher.utter_message(response="utter_registration_field_refused")


# --------------------------------------------------------------------------- form


class ValidateDomesticEmployerRegistrationForm(DraftAnswers, AnswersOnlyFormValidation):
    ANSWER_SLOTS: ClassVar[dict[str, str]] = {
        "address": "dom_address",
        "postcode": "dom_postcode",
        "city": "dom_city",
        "email": "dom_email",
        "phone": "dom_phone",
        "office": "dom_induction_office",
    }

    def name(self) -> str:
        return "validate_domestic_employer_registration_form"

    async def _save(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        extra = await save_field(slot, value, dispatcher, tracker)
        if extra is None:
            return {slot: None}
        return {slot: value, **extra}

    async def validate_dom_entity(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = chosen(value, tracker)
        words = " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())
        if value == "yes" or any(w in words for w in INDIVIDUAL_WORDS):
            return await self._save("dom_entity", INDIVIDUAL, dispatcher, tracker)
        language = current_language(tracker)
        entity = match_option(text, employer_entities(), ENTITY_ALIASES)
        name = name_of(employer_entities(), entity, language) if entity else ""
        # A business entity (or "no, I'm a company") is refused with the reason.
        refused = entity is not None or value == "no"
        dispatcher.utter_message(
            response="utter_dom_must_be_individual" if refused else "utter_dom_entity_unclear",
            entity=name or "-",
        )
        return {"dom_entity": None}

    async def validate_dom_nationality(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = chosen(value, tracker).strip()
        aliases = {**NATIONALITY_ALIASES, **MALAYSIAN_ALIASES}
        code = match_option(text, NATIONALITY_OPTIONS, aliases) or match_option(
            text, NATIONALITIES, NATIONALITY_ALIASES
        )
        if code is None and re.fullmatch(r"[A-Za-z][A-Za-z .'\-]{2,39}", text):
            code = " ".join(text.lower().split())
        if code is None:
            ask_with_buttons(
                dispatcher, tracker, "utter_invalid_fw_nationality", NATIONALITY_OPTIONS
            )
            return {"dom_nationality": None}
        result = await self._save("dom_nationality", code, dispatcher, tracker)
        if result.get("dom_nationality") and code != tracker.get_slot("dom_nationality"):
            result["dom_id_no"] = None  # MyKad for a Malaysian, passport otherwise
        return result

    async def validate_dom_id_no(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        try:
            if is_malaysian(tracker):
                number = mykad_number(text, _today())
            else:
                number = rules.normalise_passport(text)
        except normalise.NormaliseError as error:
            reply_bad_mykad(error, text, dispatcher, "utter_invalid_dom_mykad")
            return {"dom_id_no": None}
        except rules.RegistrationError:
            dispatcher.utter_message(response="utter_invalid_fw_passport_no")
            return {"dom_id_no": None}
        return await self._save("dom_id_no", number, dispatcher, tracker)

    async def validate_dom_employer_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        cleaned, error = check_name(value)
        if error:
            dispatcher.utter_message(response="utter_invalid_dom_employer_name")
            return {"dom_employer_name": None}
        return await self._save("dom_employer_name", cleaned, dispatcher, tracker)

    async def validate_dom_worker_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = pick(value, tracker, dispatcher, worker_types(), WORKER_TYPE_ALIASES)
        if code is None:
            return {"dom_worker_type": None}
        return await self._save("dom_worker_type", code, dispatcher, tracker)

    async def validate_dom_worker_residency(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = pick(value, tracker, dispatcher, RESIDENCIES, RESIDENCY_ALIASES)
        if code is None:
            return {"dom_worker_residency": None}
        return await self._save("dom_worker_residency", code, dispatcher, tracker)

    async def validate_dom_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return summary_answer(
            value,
            tracker,
            dispatcher,
            confirm_slot=CONFIRM,
            fields=DOMESTIC_REG_FIELDS,
            dependent=DEPENDENT,
            which_response="utter_dom_which_field",
        )


def requested_field(tracker: Tracker) -> str | None:
    return field_named(tracker, DOMESTIC_REG_FIELDS)


# --------------------------------------------------------------------------- ask actions

ActionAskDomNationality = ask_action(
    "action_ask_dom_nationality", "utter_ask_dom_nationality", lambda t: NATIONALITY_OPTIONS
)
ActionAskDomWorkerType = ask_action(
    "action_ask_dom_worker_type", "utter_ask_dom_worker_type", lambda t: worker_types()
)
ActionAskDomWorkerResidency = ask_action(
    "action_ask_dom_worker_residency", "utter_ask_dom_worker_residency", lambda t: RESIDENCIES
)
ActionAskDomInductionOffice = ask_action(
    "action_ask_dom_induction_office",
    "utter_ask_reg_induction_office",
    state_offices,
    lambda t: {
        "state": rules.state_name(t.get_slot("reg_state")) if t.get_slot("reg_state") else "-"
    },
)


class ActionAskDomIdNo(Action):
    def name(self) -> str:
        return "action_ask_dom_id_no"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(
            response="utter_ask_dom_mykad" if is_malaysian(tracker) else "utter_ask_dom_passport"
        )
        return []


def summary_vars(tracker: Tracker) -> dict[str, Any]:
    language = current_language(tracker)
    get = tracker.get_slot
    try:
        office_text = rules.office(get("dom_induction_office") or "")["name"]
    except rules.RegistrationError:
        office_text = "-"
    phone = get("dom_phone") or ""
    id_no = str(get("dom_id_no") or "-")
    id_label = "MyKad" if is_malaysian(tracker) else "Pasport" if language == "ms" else "Passport"
    return {
        "nationality": name_of(NATIONALITY_OPTIONS, get("dom_nationality"), language),
        "id_label": id_label,
        "id_no": id_no,
        "employer_name": get("dom_employer_name") or "-",
        "worker_type": name_of(worker_types(), get("dom_worker_type"), language),
        "worker_residency": name_of(RESIDENCIES, get("dom_worker_residency"), language),
        "address": get("dom_address") or "-",
        "postcode": get("dom_postcode") or "-",
        "city": get("dom_city") or "-",
        "state": rules.state_name(get("reg_state")) if get("reg_state") else "-",
        "email": get("dom_email") or "-",
        "phone": format_mobile(phone) if phone.startswith("+601") else phone or "-",
        "induction_office": office_text,
        "reference": get("registration_reference") or "-",
    }


ActionAskDomConfirm = summary_action("action_ask_dom_confirm", "utter_dom_summary", summary_vars)


# --------------------------------------------------------------------------- start and finish


def clear_form() -> list[EventType]:
    return [SlotSet(slot, None) for slot in DOMESTIC_REG_SLOTS] + [
        SlotSet("field", None),
        SlotSet("reg_state", None),
        SlotSet("dom_registration_id", None),
    ]


def slots_from_view(view: dict[str, Any]) -> list[EventType]:
    return [SlotSet("dom_entity", INDIVIDUAL), *draft_slots(view, SLOT_FOR_FIELD)]


async def domestic_draft(tracker: Tracker) -> dict[str, Any] | None:
    """The account's domestic draft registration (full view), if there is one."""
    client = backend_client.backend()
    listing = await client.list_registrations(tracker.sender_id)
    draft = next(
        (
            row
            for row in listing.get("registrations") or []
            if row.get("registration_type") == "domestic" and row.get("status") == "draft"
        ),
        None,
    )
    return await client.get_registration(tracker.sender_id, int(draft["id"])) if draft else None


class ActionStartDomesticRegistration(Action):
    """Checks the login, then starts a domestic employer registration or continues the draft."""

    def name(self) -> str:
        return "action_start_domestic_registration"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        not_ready = [SlotSet("registration_ready", False)]
        try:
            view = await domestic_draft(tracker)
        except (backend_client.BackendUnavailable, backend_client.BackendError) as error:
            reply_not_ready(error, dispatcher, otherwise="utter_service_unavailable_general")
            return not_ready
        events = [*clear_form(), SlotSet("registration_ready", True)]
        if view:
            dispatcher.utter_message(
                response="utter_registration_resume_draft", reference=view.get("reference", "")
            )
            # The view masks the employer's own MyKad/passport; it is saved, so the masked
            # form stands in for it (shown masked in the summary, never asked again).
            restored = slots_from_view(view)
            return [
                *events,
                SlotSet("dom_registration_id", view.get("id")),
                SlotSet("registration_id", view.get("id")),
                SlotSet("registration_reference", view.get("reference")),
                *restored,
            ]
        dispatcher.utter_message(response="utter_dom_intro")
        return [*events, SlotSet("registration_reference", None)]


class ActionSubmitDomesticRegistration(Action):
    """After Confirm: reads the saved draft back and gives the CRN reference and what is next."""

    def name(self) -> str:
        return "action_submit_domestic_registration"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        view, retry = await complete_draft(
            tracker,
            dispatcher,
            tracker.get_slot("dom_registration_id"),
            CONFIRM,
            SLOT_FOR_FIELD,
            lambda error: reply_to_refusal(error, CONFIRM, dispatcher, tracker),
        )
        if view is None:
            return retry
        dispatcher.utter_message(
            response="utter_dom_saved",
            reference=view.get("reference") or "",
            employer_name=view.get("employer_name") or "",
        )
        foreign = view.get("domestic_worker_residency") == "foreign"
        dispatcher.utter_message(
            response="utter_dom_next_foreign" if foreign else "utter_dom_next_local"
        )
        return [
            *clear_form(),
            SlotSet("registration_id", view.get("id")),
            SlotSet("registration_reference", view.get("reference")),
        ]


class ActionCancelDomesticRegistration(Action):
    """'cancel' mid-form: stops asking; what was saved stays in the draft to continue later."""

    def name(self) -> str:
        return "action_cancel_domestic_registration"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(
            response="utter_dom_cancelled",
            reference=tracker.get_slot("registration_reference") or "-",
        )
        return [*clear_form(), SlotSet("requested_slot", None), ActiveLoop(None)]
