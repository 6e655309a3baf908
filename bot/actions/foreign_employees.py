"""QRG 3(ii): register a foreign employee or foreign domestic worker (foreign_employee_form).

The portal searches by the SSFW/SSFDW foreign worker number first ("ADD FOREIGN EMPLOYEE"). A
worker the search finds among the account's registered workers is confirmed and linked as-is:
the record answers the identity, passport, permit and next of kin, so only the employment start
date and wage are asked. Otherwise a new foreign employee is registered: name, date of birth,
gender, nationality, passport and pass / permit with their dates, next of kin, start date and
wage. Before the summary the passport and permit pages are asked for (uploaded through the
upload page or sent in the chat, or "later"). The answers live in slots until the summary is
confirmed (so an interrupted form resumes where it was), every answer is pre-checked with the
backend's own pure rules, and the employee is POSTed once at the end.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from backend.domain import registration as rules
from bot.actions import backend_client
from bot.actions.buttons import ask_action, ask_with_buttons
from bot.actions.choices import chosen, match_option, name_of, norm, pick
from bot.actions.form_validation import AnswersOnlyFormValidation
from bot.actions.forms_meta import FOREIGN_EMPLOYEE_FIELDS, FOREIGN_EMPLOYEE_SLOTS
from bot.actions.language import current_language
from bot.actions.person_answers import (
    GENDERS,
    birth_date,
    display_date,
    gender_answer,
    gender_name,
    iso_date,
    name_answer,
    parse_date,
    start_date_answer,
    wage_answer,
)
from bot.actions.registration_lookup import (
    employer_since,
    registration_id,
    registration_or_reply,
    reply_if_submitted,
)
from bot.actions.summary_answers import summary_action, summary_answer

logger = logging.getLogger(__name__)

FORM = "foreign_employee_form"
CONFIRM = "fw_confirm"
NONE = "none"

NATIONALITIES = [
    {"code": "indonesian", "name_en": "Indonesian", "name_ms": "Indonesia"},
    {"code": "bangladeshi", "name_en": "Bangladeshi", "name_ms": "Bangladesh"},
    {"code": "nepali", "name_en": "Nepali", "name_ms": "Nepal"},
    {"code": "myanmar", "name_en": "Myanmar", "name_ms": "Myanmar"},
    {"code": "indian", "name_en": "Indian", "name_ms": "India"},
    {"code": "filipino", "name_en": "Filipino", "name_ms": "Filipina"},
    {"code": "vietnamese", "name_en": "Vietnamese", "name_ms": "Vietnam"},
    {"code": "pakistani", "name_en": "Pakistani", "name_ms": "Pakistan"},
]
NATIONALITY_ALIASES = {
    "indonesian": ("indonesia", "indon", "indo"),
    "bangladeshi": ("bangladesh", "bangla"),
    "nepali": ("nepal", "nepalese"),
    "myanmar": ("burmese", "burma", "myanmar national"),
    "indian": ("india",),
    "filipino": ("philippines", "filipina", "pinoy", "philippine"),
    "vietnamese": ("vietnam", "viet nam"),
    "pakistani": ("pakistan",),
}
MALAYSIAN_WORDS = frozenset({"malaysian", "malaysia", "warganegara", "warganegara malaysia", "my"})
_FREE_NATIONALITY = re.compile(r"^[A-Za-z][A-Za-z .'\-]{2,39}$")

RELATIONSHIPS = [
    {"code": "spouse", "name_en": "Spouse", "name_ms": "Suami / isteri"},
    {"code": "parent", "name_en": "Parent", "name_ms": "Ibu bapa"},
    {"code": "child", "name_en": "Child", "name_ms": "Anak"},
    {"code": "sibling", "name_en": "Brother / sister", "name_ms": "Adik-beradik"},
    {"code": "relative", "name_en": "Other relative", "name_ms": "Saudara"},
    {"code": "friend", "name_en": "Friend", "name_ms": "Kawan"},
    {"code": "other", "name_en": "Other", "name_ms": "Lain-lain"},
]
RELATIONSHIP_ALIASES = {
    "spouse": ("wife", "husband", "isteri", "suami", "bini", "laki"),
    "parent": ("mother", "father", "ibu", "bapa", "ayah", "emak", "mak", "mum", "dad"),
    "child": ("son", "daughter", "anak lelaki", "anak perempuan"),
    "sibling": ("brother", "sister", "abang", "kakak", "adik", "sibling"),
    "relative": ("cousin", "uncle", "aunt", "sepupu", "pakcik", "makcik", "saudara", "relative"),
    "friend": ("kawan", "rakan", "friend"),
    "other": ("lain", "others", "lain lain"),
}
NEGATIVE = frozenset(
    {"no", "none", "nope", "tiada", "tidak", "tak", "tak ada", "takde", "tiada nombor", "belum"}
)
_PERMIT = re.compile(r"^[A-Z0-9][A-Z0-9/\-]{3,29}$")

# Backend field → slot, to ask a refused answer again.
SLOT_FOR_FIELD = {
    "name": "fw_name",
    "date_of_birth": "fw_dob",
    "gender": "fw_gender",
    "nationality": "fw_nationality",
    "passport_no": "fw_passport_no",
    "passport_start": "fw_passport_start",
    "passport_end": "fw_passport_end",
    "permit_no": "fw_permit_no",
    "permit_start": "fw_permit_start",
    "permit_end": "fw_permit_end",
    "kin_name": "fw_kin_name",
    "kin_phone": "fw_kin_phone",
    "kin_relationship": "fw_kin_relationship",
    "start_date": "fw_start_date",
    "monthly_wage": "fw_wage",
}
# A correction from the summary clears the field and what only makes sense with it.
DEPENDENT = {
    "fw_passport_no": ("fw_passport_start", "fw_passport_end"),
    "fw_permit_no": ("fw_permit_start", "fw_permit_end"),
    "fw_kin_name": ("fw_kin_phone", "fw_kin_relationship"),
}
FOUND_FILLS = ("fw_name", "fw_dob", "fw_gender", "fw_nationality")
# What the record of a linked worker answers (not asked again).
RECORD_ANSWERS = (
    "fw_passport_no",
    "fw_passport_start",
    "fw_passport_end",
    "fw_permit_no",
    "fw_permit_start",
    "fw_permit_end",
    "fw_kin_name",
    "fw_kin_phone",
    "fw_kin_relationship",
)
PASSPORT_PAGES = "foreign_worker_passport"
DOCUMENTS_LATER = frozenset(
    {"later", "kemudian", "nanti", "lain kali", "not now", "bukan sekarang", "skip", "langkau"}
)
DOCUMENTS_DONE = frozenset(
    {"done", "sent", "uploaded", "sudah", "dah", "siap", "sudah dihantar", "dah hantar"}
)


def _today() -> date:
    return date.today()


def nationality_name(code: Any, language: str) -> str:
    return name_of(NATIONALITIES, code, language, title=True)


def relationship_name(code: Any, language: str) -> str:
    return name_of(RELATIONSHIPS, code, language)


def is_linked(tracker: Tracker) -> bool:
    """A worker found by the SSFW search and confirmed: the record answers the rest."""
    return bool(tracker.get_slot("fw_found")) and tracker.get_slot("fw_person_confirm") == "yes"


def normalise_ssfw(text: str) -> str | None:
    """The SSFW/SSFDW number as stored (letters and digits), or None when it has the wrong shape."""
    value = re.sub(r"[\s\-]", "", (text or "").upper())
    return value if re.match(rules.rules()["ssfw_pattern"], value) else None


def normalise_kin_phone(text: str) -> str | None:
    """A Malaysian number, or a foreign one with its country code (as the backend accepts)."""
    try:
        return rules.normalise_phone(text)
    except rules.RegistrationError:
        digits = re.sub(r"[\s\-().]", "", text or "")
        if re.fullmatch(r"\+\d{7,15}", digits):
            return digits
    return None


_registration_id = registration_id


async def passport_pages_count(tracker: Tracker) -> int | None:
    """How many passport / permit pages the registration holds (None when it cannot be read)."""
    current = _registration_id(tracker)
    if not current:
        return None
    try:
        docs = await backend_client.backend().registration_call(
            tracker.sender_id, "GET", f"/{current}/documents"
        )
    except (backend_client.BackendUnavailable, backend_client.BackendError):
        return None
    for item in docs.get("checklist") or []:
        if item.get("doc_type") == PASSPORT_PAGES:
            return int(item.get("uploaded") or 0)
    return 0


class ValidateForeignEmployeeForm(AnswersOnlyFormValidation):
    def name(self) -> str:
        return "validate_foreign_employee_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        slots = list(domain_slots)
        if not tracker.get_slot("fw_found"):
            return [s for s in slots if s != "fw_person_confirm"]  # only a worker found
        if is_linked(tracker):
            return [s for s in slots if s not in RECORD_ANSWERS]
        return slots

    async def validate_fw_ssfw_no(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = chosen(value, tracker)
        if value == NONE or " ".join(text.lower().split()) in NEGATIVE:
            dispatcher.utter_message(response="utter_fw_no_ssfw")
            return {"fw_ssfw_no": NONE, "fw_found": False}
        number = normalise_ssfw(text)
        if number is None:
            dispatcher.utter_message(response="utter_invalid_fw_ssfw_no")
            return {"fw_ssfw_no": None}
        try:
            found = await backend_client.backend().search_employee(
                tracker.sender_id, _registration_id(tracker) or 0, "ssfw", number
            )
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return {"fw_ssfw_no": None}
        except backend_client.BackendError as error:
            logger.info("SSFW search refused: %s %s", error.code, error.data.get("reason"))
            dispatcher.utter_message(response="utter_invalid_fw_ssfw_no")
            return {"fw_ssfw_no": None}
        employee = found.get("employee") or {}
        if found.get("found") and found.get("source") == "this_registration":
            dispatcher.utter_message(
                response="utter_employee_already_added", name=employee.get("name", "")
            )
            return {"fw_ssfw_no": None}
        if found.get("found") and employee.get("name"):
            dispatcher.utter_message(
                response="utter_fw_found", name=employee["name"], ssfw_no=number
            )
            return {
                "fw_ssfw_no": number,
                "fw_found": True,
                "fw_name": employee["name"],
                "fw_dob": employee.get("date_of_birth"),
                "fw_gender": employee.get("gender"),
                "fw_nationality": employee.get("nationality"),
            }
        if found.get("found"):
            dispatcher.utter_message(response="utter_employee_insured_elsewhere")
        else:
            dispatcher.utter_message(response="utter_fw_not_found", ssfw_no=number)
        return {"fw_ssfw_no": number, "fw_found": False}

    async def validate_fw_person_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == "yes":
            return {"fw_person_confirm": "yes"}
        dispatcher.utter_message(response="utter_fw_person_retry")
        cleared = {slot: None for slot in FOUND_FILLS}
        return {**cleared, "fw_person_confirm": None, "fw_ssfw_no": None, "fw_found": False}

    async def validate_fw_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return name_answer("fw_name", value, dispatcher, "utter_invalid_emp_name")

    async def validate_fw_dob(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        today = _today()
        born = birth_date(value, today)
        if born is None or born >= today or born.year < 1900:
            dispatcher.utter_message(response="utter_invalid_emp_dob")
            return {"fw_dob": None}
        if (today - born).days < 15 * 365:
            dispatcher.utter_message(response="utter_invalid_fw_dob_young")
            return {"fw_dob": None}
        return {"fw_dob": born.isoformat()}

    async def validate_fw_gender(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return gender_answer("fw_gender", value, dispatcher, tracker)

    async def validate_fw_nationality(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = chosen(value, tracker).strip()
        if " ".join(text.lower().split()) in MALAYSIAN_WORDS:
            dispatcher.utter_message(response="utter_fw_nationality_malaysian")
            return {"fw_nationality": None}
        code = match_option(text, NATIONALITIES, NATIONALITY_ALIASES)
        if code:
            return {"fw_nationality": code}
        if _FREE_NATIONALITY.match(text) and len(text.split()) <= 3:
            return {"fw_nationality": " ".join(text.lower().split())}
        ask_with_buttons(dispatcher, tracker, "utter_invalid_fw_nationality", NATIONALITIES)
        return {"fw_nationality": None}

    async def validate_fw_passport_no(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            number = rules.normalise_passport(str(value or ""))
        except rules.RegistrationError:
            dispatcher.utter_message(response="utter_invalid_fw_passport_no")
            return {"fw_passport_no": None}
        try:
            found = await backend_client.backend().search_employee(
                tracker.sender_id, _registration_id(tracker) or 0, "passport", number
            )
        except (backend_client.BackendUnavailable, backend_client.BackendError):
            found = {}  # the duplicate check is repeated when the employee is saved
        if found.get("found") and found.get("source") == "this_registration":
            employee = found.get("employee") or {}
            dispatcher.utter_message(
                response="utter_employee_already_added", name=employee.get("name", "")
            )
            return {"fw_passport_no": None}
        return {"fw_passport_no": number}

    def _start(
        self, what: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        slot = f"fw_{what}_start"
        day = parse_date(value, _today())
        if day is None or day.year < 1950:
            dispatcher.utter_message(response="utter_invalid_fw_date")
            return {slot: None}
        if day > _today():
            dispatcher.utter_message(response=f"utter_invalid_fw_{what}_start_future")
            return {slot: None}
        return {slot: day.isoformat()}

    def _end(
        self, what: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        slot = f"fw_{what}_end"
        day = parse_date(value, _today())
        if day is None:
            dispatcher.utter_message(response="utter_invalid_fw_date")
            return {slot: None}
        start_text = tracker.get_slot(f"fw_{what}_start")
        start = iso_date(start_text)
        if start and day <= start:
            dispatcher.utter_message(
                response=f"utter_invalid_fw_{what}_end_before_start",
                start=display_date(start_text),
            )
            return {slot: None}
        if day < _today():
            if what == "passport":
                dispatcher.utter_message(
                    response="utter_invalid_fw_passport_expired", expired_on=display_date(day)
                )
                return {slot: None}
            dispatcher.utter_message(
                response="utter_fw_permit_expired_warning", expired_on=display_date(day)
            )
        return {slot: day.isoformat()}

    async def validate_fw_passport_start(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._start("passport", value, dispatcher, tracker)

    async def validate_fw_passport_end(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._end("passport", value, dispatcher, tracker)

    async def validate_fw_permit_no(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = re.sub(r"\s", "", str(value or "").upper())
        if not _PERMIT.match(number) or not any(ch.isdigit() for ch in number):
            dispatcher.utter_message(response="utter_invalid_fw_permit_no")
            return {"fw_permit_no": None}
        return {"fw_permit_no": number}

    async def validate_fw_permit_start(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._start("permit", value, dispatcher, tracker)

    async def validate_fw_permit_end(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._end("permit", value, dispatcher, tracker)

    async def validate_fw_kin_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return name_answer("fw_kin_name", value, dispatcher, "utter_invalid_fw_kin_name")

    async def validate_fw_kin_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        phone = normalise_kin_phone(str(value or ""))
        if phone is None:
            dispatcher.utter_message(response="utter_invalid_fw_kin_phone")
            return {"fw_kin_phone": None}
        return {"fw_kin_phone": phone}

    async def validate_fw_kin_relationship(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = pick(value, tracker, dispatcher, RELATIONSHIPS, RELATIONSHIP_ALIASES)
        if code is None:
            return {"fw_kin_relationship": None}
        return {"fw_kin_relationship": code}

    async def validate_fw_start_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return start_date_answer(
            "fw_start_date", value, dispatcher, tracker, _today(), born_slot="fw_dob"
        )

    async def validate_fw_wage(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return wage_answer("fw_wage", value, dispatcher)

    async def validate_fw_documents(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """'later', or 'sent' once the registration holds new passport / permit pages."""
        text = norm(str(value or ""))
        if value == "later" or text in DOCUMENTS_LATER:
            return {"fw_documents": "later"}
        if value != "done" and text not in DOCUMENTS_DONE:
            dispatcher.utter_message(response="utter_fw_documents_not_seen")
            return {"fw_documents": None}
        count = await passport_pages_count(tracker)
        before = int(float(tracker.get_slot("fw_documents_before") or 0))
        if count is not None and count > before:
            return {"fw_documents": "uploaded"}
        dispatcher.utter_message(response="utter_fw_documents_not_seen")
        return {"fw_documents": None}

    async def validate_fw_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return summary_answer(
            value,
            tracker,
            dispatcher,
            confirm_slot=CONFIRM,
            fields=FOREIGN_EMPLOYEE_FIELDS,
            dependent=DEPENDENT,
            which_response="utter_fw_which_field",
        )


# --------------------------------------------------------------------------- ask actions


ActionAskFwGender = ask_action("action_ask_fw_gender", "utter_ask_fw_gender", lambda t: GENDERS)
ActionAskFwNationality = ask_action(
    "action_ask_fw_nationality", "utter_ask_fw_nationality", lambda t: NATIONALITIES
)
ActionAskFwKinRelationship = ask_action(
    "action_ask_fw_kin_relationship", "utter_ask_fw_kin_relationship", lambda t: RELATIONSHIPS
)


class ActionAskFwPersonConfirm(Action):
    def name(self) -> str:
        return "action_ask_fw_person_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = current_language(tracker)
        dispatcher.utter_message(
            response="utter_ask_fw_person_confirm",
            name=tracker.get_slot("fw_name") or "-",
            date_of_birth=display_date(tracker.get_slot("fw_dob")),
            gender=gender_name(tracker.get_slot("fw_gender"), language),
            nationality=nationality_name(tracker.get_slot("fw_nationality"), language),
        )
        return []


DOCUMENT_STATES = {
    "uploaded": ("uploaded", "dimuat naik"),
    "later": ("to upload later", "dimuat naik kemudian"),
}


def summary_vars(tracker: Tracker) -> dict[str, Any]:
    language = current_language(tracker)
    get = tracker.get_slot
    ssfw = get("fw_ssfw_no")
    index = 1 if language == "ms" else 0
    documents = DOCUMENT_STATES.get(get("fw_documents") or "", ("-", "-"))[index]
    if is_linked(tracker):
        # The record answers the passport, permit and next of kin: shown as such.
        on_record = "dalam rekod PERKESO" if language == "ms" else "on PERKESO's record"
        return {
            "ssfw_no": ssfw,
            "name": get("fw_name") or "-",
            "date_of_birth": display_date(get("fw_dob")),
            "gender": gender_name(get("fw_gender"), language),
            "nationality": nationality_name(get("fw_nationality"), language),
            **dict.fromkeys(("passport_no", "permit_no", "kin_name"), on_record),
            **dict.fromkeys(
                (
                    "passport_start",
                    "passport_end",
                    "permit_start",
                    "permit_end",
                    "kin_phone",
                    "kin_relationship",
                ),
                "-",
            ),
            "start_date": display_date(get("fw_start_date")),
            "wage": get("fw_wage") or "-",
            "documents": documents,
        }
    return {
        "documents": documents,
        "ssfw_no": ssfw if ssfw and ssfw != NONE else "-",
        "name": get("fw_name") or "-",
        "date_of_birth": display_date(get("fw_dob")),
        "gender": gender_name(get("fw_gender"), language),
        "nationality": nationality_name(get("fw_nationality"), language),
        "passport_no": get("fw_passport_no") or "-",
        "passport_start": display_date(get("fw_passport_start")),
        "passport_end": display_date(get("fw_passport_end")),
        "permit_no": get("fw_permit_no") or "-",
        "permit_start": display_date(get("fw_permit_start")),
        "permit_end": display_date(get("fw_permit_end")),
        "kin_name": get("fw_kin_name") or "-",
        "kin_phone": get("fw_kin_phone") or "-",
        "kin_relationship": relationship_name(get("fw_kin_relationship"), language),
        "start_date": display_date(get("fw_start_date")),
        "wage": get("fw_wage") or "-",
    }


ActionAskFwConfirm = summary_action("action_ask_fw_confirm", "utter_fw_summary", summary_vars)


class ActionAskFwDocuments(Action):
    """Asks for the passport / permit pages, with the upload page opened on that item."""

    def name(self) -> str:
        return "action_ask_fw_documents"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        current = _registration_id(tracker)
        link: dict[str, Any] = {}
        if current:
            try:
                link = await backend_client.backend().registration_call(
                    tracker.sender_id, "POST", f"/{current}/upload-link"
                )
            except (backend_client.BackendUnavailable, backend_client.BackendError):
                link = {}
        extra: dict[str, Any] = {}
        if link.get("url"):
            url = f"{link['url']}?doc={PASSPORT_PAGES}"
            extra["json_message"] = {"link": {"url": url, "title": "ASSIST upload"}}
        dispatcher.utter_message(response="utter_ask_fw_documents", **extra)
        # What is there now: "sent" means more than this.
        return [SlotSet("fw_documents_before", str(await passport_pages_count(tracker) or 0))]


# --------------------------------------------------------------------------- start and save


def clear_foreign_employee() -> list[EventType]:
    return [SlotSet(slot, None) for slot in FOREIGN_EMPLOYEE_SLOTS] + [
        SlotSet("fw_found", None),
        SlotSet("fw_documents_before", None),
        SlotSet("field", None),
    ]


def has_foreign_answers(tracker: Tracker) -> bool:
    return any(tracker.get_slot(slot) not in (None, "") for slot in FOREIGN_EMPLOYEE_SLOTS)


class ActionStartForeignEmployee(Action):
    """Checks there is a registration to add to; continues a half-filled worker if there is one."""

    def name(self) -> str:
        return "action_start_foreign_employee"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        not_ready = [SlotSet("employee_ready", False)]
        view = await registration_or_reply(dispatcher, tracker)
        if not view or reply_if_submitted(view, dispatcher):
            return not_ready
        same = view.get("id") == tracker.get_slot("registration_id")
        events: list[EventType] = [
            SlotSet("employee_ready", True),
            SlotSet("registration_id", view.get("id")),
            SlotSet("registration_reference", view.get("reference")),
            SlotSet("emp_employer_since", employer_since(view)),
        ]
        if same and has_foreign_answers(tracker):
            dispatcher.utter_message(response="utter_fw_continue")
            return events
        dispatcher.utter_message(
            response="utter_fw_intro",
            employer_name=view.get("employer_name") or view.get("reference") or "-",
        )
        return [*clear_foreign_employee(), *events]


def payload_from(tracker: Tracker) -> dict[str, Any]:
    get = tracker.get_slot
    if is_linked(tracker):
        # The backend takes the identity, passport, permit and next of kin from the record.
        return {
            "residency": "foreign",
            "ssfw_no": get("fw_ssfw_no"),
            "name": get("fw_name"),
            "start_date": get("fw_start_date"),
            "monthly_wage": get("fw_wage"),
        }
    payload: dict[str, Any] = {"residency": "foreign"}
    for field, slot in SLOT_FOR_FIELD.items():
        payload[field] = get(slot)
    ssfw = get("fw_ssfw_no")
    if ssfw and ssfw != NONE:
        payload["ssfw_no"] = ssfw
    return payload


class ActionSaveForeignEmployee(Action):
    """POSTs the confirmed worker; tells the category and EIS in one sentence; offers uploads."""

    def name(self) -> str:
        return "action_save_foreign_employee"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        payload = payload_from(tracker)
        if not is_linked(tracker) and any(payload.get(f) in (None, "") for f in SLOT_FOR_FIELD):
            dispatcher.utter_message(response="utter_nothing_to_resume")
            return clear_foreign_employee()
        registration_id = _registration_id(tracker)
        if not registration_id or any(value in (None, "") for value in payload.values()):
            dispatcher.utter_message(response="utter_nothing_to_resume")
            return clear_foreign_employee()
        client = backend_client.backend()
        try:
            employee = await client.add_employee(tracker.sender_id, registration_id, payload)
        except backend_client.BackendUnavailable:
            # Keep every answer: "continue" shows the summary again.
            dispatcher.utter_message(response="utter_fw_save_unavailable")
            return [SlotSet(CONFIRM, None)]
        except backend_client.BackendError as error:
            return self._refused(error, dispatcher, tracker)
        language = current_language(tracker)
        dispatcher.utter_message(
            response="utter_fw_saved",
            name=employee.get("name") or payload["name"],
            category=employee.get("category") or "-",
            nationality=nationality_name(
                employee.get("nationality") or tracker.get_slot("fw_nationality"), language
            ),
        )
        flags = {flag.get("code") for flag in employee.get("flags") or []}
        if "outside_scheme" in flags:
            dispatcher.utter_message(response="utter_fw_outside_scheme")
        if "permit_expired" in flags:
            dispatcher.utter_message(response="utter_fw_permit_flagged")
        if tracker.get_slot("fw_documents") != "uploaded":
            dispatcher.utter_message(response="utter_fw_upload_documents")
        dispatcher.utter_message(response="utter_fw_add_another")
        return clear_foreign_employee()

    def _refused(
        self,
        error: backend_client.BackendError,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> list[EventType]:
        if error.code == "employee_exists":
            dispatcher.utter_message(
                response="utter_employee_already_added", name=tracker.get_slot("fw_name") or ""
            )
            return clear_foreign_employee()
        if error.code == "not_logged_in":
            dispatcher.utter_message(response="utter_registration_login_first")
            return [SlotSet(CONFIRM, None)]
        if error.code == "already_submitted":
            dispatcher.utter_message(response="utter_registration_already_submitted")
            return clear_foreign_employee()
        field = error.code.removeprefix("invalid_")
        slot = SLOT_FOR_FIELD.get(field)
        if is_linked(tracker) and (slot in RECORD_ANSWERS or field == "ssfw_no"):
            # The record no longer passes (e.g. its passport has expired since): ask the
            # passport, permit and next of kin like for a new worker, keeping the rest.
            logger.info("linked worker refused: %s %s", error.code, error.data.get("reason"))
            dispatcher.utter_message(response="utter_fw_record_outdated")
            return [SlotSet("fw_found", False), SlotSet(CONFIRM, None), FollowupAction(FORM)]
        logger.info("foreign employee refused: %s %s", error.code, error.data.get("reason"))
        dispatcher.utter_message(response="utter_fw_refused")
        if slot is None:
            return [SlotSet(CONFIRM, None)]
        # Ask just that answer again, then the summary.
        return [SlotSet(slot, None), SlotSet(CONFIRM, None), FollowupAction(FORM)]
