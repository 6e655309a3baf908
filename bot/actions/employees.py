"""QRG 3(i): register a local employee (local_employee_form) and list the employees."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from backend.domain import registration as rules
from backend.domain.identifiers import mask_mykad
from bot.actions import backend_client, normalise
from bot.actions.buttons import ask_action
from bot.actions.choices import pick
from bot.actions.form_validation import AnswersOnlyFormValidation
from bot.actions.forms_meta import LOCAL_EMPLOYEE_SLOTS
from bot.actions.language import current_language
from bot.actions.person_answers import (
    GENDER_ALIASES,
    GENDERS,
    birth_date,
    display_date,
    gender_answer,
    gender_name,
    iso_date,
    mykad_number,
    name_answer,
    parse_date,
    reply_bad_mykad,
    start_date_answer,
    wage_answer,
)
from bot.actions.registration_lookup import (
    employer_since,
    find_registration,
    registration_id,
    registration_or_reply,
    reply_not_ready,
)

__all__ = [
    "GENDERS",
    "GENDER_ALIASES",
    "display_date",
    "employer_since",
    "find_registration",
    "gender_name",
    "parse_date",
]

logger = logging.getLogger(__name__)

FORM = "local_employee_form"
ID_TYPES = [
    {"code": "mykad", "name_en": "MyKad (new IC)", "name_ms": "MyKad (IC baharu)"},
    {"code": "old_ic", "name_en": "Old IC", "name_ms": "IC lama"},
    {"code": "army", "name_en": "Army number", "name_ms": "Nombor tentera"},
    {"code": "police", "name_en": "Police number", "name_ms": "Nombor polis"},
]
ID_ALIASES = {
    "mykad": ("mykad", "new ic", "ic baru", "ic baharu", "nric", "ic"),
    "old_ic": ("old ic", "ic lama", "old"),
    "army": ("army", "tentera", "military", "askar"),
    "police": ("police", "polis"),
}


def _today() -> date:
    return date.today()


_registration_id = registration_id


class ValidateLocalEmployeeForm(AnswersOnlyFormValidation):
    def name(self) -> str:
        return "validate_local_employee_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return list(domain_slots)

    async def validate_emp_id_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = pick(value, tracker, dispatcher, ID_TYPES, ID_ALIASES)
        if code is None:
            return {"emp_id_type": None}
        return {"emp_id_type": code}

    async def validate_emp_id_no(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        id_type = tracker.get_slot("emp_id_type") or "mykad"
        text = str(value or "")
        try:
            if id_type == "mykad":
                number = mykad_number(text, _today())
            else:
                number = rules.normalise_person_id(id_type, text)
        except normalise.NormaliseError as error:
            reply_bad_mykad(error, text, dispatcher, "utter_invalid_mykad_length")
            return {"emp_id_no": None}
        except rules.RegistrationError:
            dispatcher.utter_message(response=f"utter_invalid_emp_{id_type}")
            return {"emp_id_no": None}
        registration_id = _registration_id(tracker)
        try:
            found = await backend_client.backend().search_employee(
                tracker.sender_id, registration_id or 0, id_type, number
            )
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return {"emp_id_no": None}
        except backend_client.BackendError as error:
            logger.info("employee search refused: %s %s", error.code, error.data.get("reason"))
            dispatcher.utter_message(response="utter_registration_field_refused")
            return {"emp_id_no": None}
        language = current_language(tracker)
        if found.get("found") and found.get("source") == "this_registration":
            employee = found.get("employee") or {}
            dispatcher.utter_message(
                response="utter_employee_already_added", name=employee.get("name", "")
            )
            return {"emp_id_no": None}
        slots: dict[str, Any] = {"emp_id_no": number}
        employee = found.get("employee") or {}
        prefill = found.get("prefill") or {}
        insisting = id_type == "mykad" and number == tracker.get_slot("emp_mismatch")
        if insisting and not employee.get("name") and prefill.get("date_of_birth"):
            # The same MyKad again after "not right": the user types the birth date and
            # gender; a difference from the card is kept and flagged (confirm_mismatch).
            dispatcher.utter_message(
                response="utter_employee_mykad_insist",
                date_of_birth=display_date(prefill["date_of_birth"]),
                gender=gender_name(prefill.get("gender"), language),
            )
            return {**slots, "emp_dob": None, "emp_gender": None}
        if found.get("found") and employee.get("name"):
            dispatcher.utter_message(
                response="utter_employee_found",
                name=employee["name"],
                id_masked=employee.get("id_no_masked", ""),
            )
            slots.update(
                {
                    "emp_name": employee["name"],
                    "emp_dob": employee.get("date_of_birth"),
                    "emp_gender": employee.get("gender"),
                }
            )
        elif prefill.get("date_of_birth"):
            slots.update({"emp_dob": prefill["date_of_birth"], "emp_gender": prefill.get("gender")})
            if found.get("found"):
                dispatcher.utter_message(response="utter_employee_insured_elsewhere")
            else:
                dispatcher.utter_message(
                    response="utter_employee_not_found_mykad",
                    date_of_birth=display_date(prefill["date_of_birth"]),
                    gender=gender_name(prefill.get("gender"), language),
                )
        else:
            dispatcher.utter_message(response="utter_employee_not_found")
        return slots

    async def validate_emp_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return name_answer("emp_name", value, dispatcher, "utter_invalid_emp_name")

    async def validate_emp_dob(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if iso_date(value) and tracker.get_slot("emp_id_no"):
            # Filled from the MyKad or the records (already ISO), not typed.
            return {"emp_dob": str(value)}
        today = _today()
        born = birth_date(value, today)
        if born is None or born > today or born.year < 1900:
            dispatcher.utter_message(response="utter_invalid_emp_dob")
            return {"emp_dob": None}
        return {"emp_dob": born.isoformat()}

    async def validate_emp_gender(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return gender_answer("emp_gender", value, dispatcher, tracker)

    async def validate_emp_person_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == "yes":
            return {"emp_person_confirm": "yes"}
        # Not this person: ask the ID again (the date of birth and gender follow from it); the
        # same MyKad typed again means the number is right but the card's facts are not.
        dispatcher.utter_message(response="utter_employee_person_retry")
        return {
            "emp_mismatch": tracker.get_slot("emp_id_no"),
            "emp_person_confirm": None,
            "emp_id_no": None,
            "emp_name": None,
            "emp_dob": None,
            "emp_gender": None,
        }

    async def validate_emp_start_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return start_date_answer("emp_start_date", value, dispatcher, tracker, _today())

    async def validate_emp_wage(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return wage_answer("emp_wage", value, dispatcher)


ActionAskEmpIdType = ask_action(
    "action_ask_emp_id_type", "utter_ask_emp_id_type", lambda t: ID_TYPES
)
ActionAskEmpGender = ask_action("action_ask_emp_gender", "utter_ask_emp_gender", lambda t: GENDERS)


class ActionAskEmpPersonConfirm(Action):
    def name(self) -> str:
        return "action_ask_emp_person_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = current_language(tracker)
        dispatcher.utter_message(
            response="utter_ask_emp_person_confirm",
            name=tracker.get_slot("emp_name") or "-",
            date_of_birth=display_date(tracker.get_slot("emp_dob")),
            gender=gender_name(tracker.get_slot("emp_gender"), language),
        )
        return []


def clear_employee() -> list[EventType]:
    return [SlotSet(slot, None) for slot in LOCAL_EMPLOYEE_SLOTS] + [SlotSet("emp_mismatch", None)]


class ActionStartLocalEmployee(Action):
    def name(self) -> str:
        return "action_start_local_employee"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        view = await registration_or_reply(dispatcher, tracker)
        if not view:
            return [SlotSet("employee_ready", False)]
        dispatcher.utter_message(
            response="utter_employee_intro",
            employer_name=view.get("employer_name") or view.get("reference") or "-",
        )
        return [
            *clear_employee(),
            SlotSet("employee_ready", True),
            SlotSet("registration_id", view.get("id")),
            SlotSet("registration_reference", view.get("reference")),
            SlotSet("emp_employer_since", employer_since(view)),
        ]


class ActionSaveLocalEmployee(Action):
    def name(self) -> str:
        return "action_save_local_employee"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        get = tracker.get_slot
        payload: dict[str, Any] = {
            "residency": "local",
            "id_type": get("emp_id_type"),
            "id_no": get("emp_id_no"),
            "name": get("emp_name"),
            "start_date": get("emp_start_date"),
            "monthly_wage": get("emp_wage"),
        }
        insisted = payload["id_type"] == "mykad" and get("emp_mismatch") == get("emp_id_no")
        if payload["id_type"] != "mykad" or insisted:
            payload.update({"date_of_birth": get("emp_dob"), "gender": get("emp_gender")})
        registration_id = _registration_id(tracker)
        if not registration_id or any(v in (None, "") for v in payload.values()):
            dispatcher.utter_message(response="utter_nothing_to_resume")
            return clear_employee()
        if insisted:
            payload["confirm_mismatch"] = True
        try:
            employee = await backend_client.backend().add_employee(
                tracker.sender_id, registration_id, payload
            )
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return []
        except backend_client.BackendError as error:
            if error.code == "employee_exists":
                dispatcher.utter_message(
                    response="utter_employee_already_added", name=payload["name"]
                )
            elif error.code == "not_logged_in":
                dispatcher.utter_message(response="utter_registration_login_first")
            else:
                logger.info(
                    "employee %s refused: %s %s",
                    mask_mykad(str(payload["id_no"])),
                    error.code,
                    error.data.get("reason"),
                )
                dispatcher.utter_message(response="utter_employee_refused")
            return clear_employee()
        category = employee.get("category")
        dispatcher.utter_message(
            response="utter_employee_saved",
            name=employee.get("name") or payload["name"],
            category=category or "-",
        )
        if any(flag.get("code") == "mykad_mismatch" for flag in employee.get("flags") or []):
            dispatcher.utter_message(response="utter_employee_mismatch_flagged")
        dispatcher.utter_message(
            response="utter_employee_eis_yes"
            if employee.get("eis_eligible")
            else "utter_employee_eis_no"
        )
        dispatcher.utter_message(response="utter_employee_add_another")
        return clear_employee()


class ActionListEmployees(Action):
    """This registration's employees as the portal lists them (ID numbers masked)."""

    def name(self) -> str:
        return "action_list_employees"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        view = await registration_or_reply(dispatcher, tracker)
        if not view:
            return []
        try:
            listing = await backend_client.backend().list_employees(
                tracker.sender_id, int(view["id"])
            )
        except (backend_client.BackendUnavailable, backend_client.BackendError) as error:
            reply_not_ready(error, dispatcher)
            return []
        employees = listing.get("employees") or []
        if not employees:
            dispatcher.utter_message(response="utter_employee_list_empty")
            return [SlotSet("registration_id", view.get("id"))]
        language = current_language(tracker)
        lines = "\n".join(
            employee_line(row, n, language) for n, row in enumerate(employees, start=1)
        )
        dispatcher.utter_message(
            response="utter_employee_list", count=len(employees), employees=lines
        )
        return [SlotSet("registration_id", view.get("id"))]


ID_TYPE_LABELS = {
    "mykad": ("MyKad", "MyKad"),
    "old_ic": ("Old IC", "IC lama"),
    "army": ("Army", "Tentera"),
    "police": ("Police", "Polis"),
    "passport": ("Passport", "Pasport"),
}
STATUS_LABELS = {
    "pending": ("pending submission", "menunggu penghantaran"),
    "registered": ("registered", "berdaftar"),
}


def employee_line(row: dict[str, Any], number: int, language: str) -> str:
    """One row of the listing: No., ID type, ID no. (masked), date of birth, name, gender,
    status, start date (the portal's columns), then the wage."""
    index = 1 if language == "ms" else 0
    id_type = row.get("id_type") or ""
    status = row.get("status") or ""
    return (
        f"{row.get('no') or number}. {ID_TYPE_LABELS.get(id_type, (id_type, id_type))[index]} "
        f"{row.get('id_no_masked') or '-'} | {display_date(row.get('date_of_birth'))} | "
        f"{row.get('name')} | {gender_name(row.get('gender'), language)} | "
        f"{STATUS_LABELS.get(status, (status, status))[index]} | "
        f"{display_date(row.get('start_date'))} | RM{row.get('monthly_wage')}"
    )
