"""QRG 3(i): register a local employee (local_employee_form) and list the employees."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from backend.domain import registration as rules
from backend.domain.identifiers import IdentifierError, mask_mykad, parse_mykad
from backend.domain.money import MoneyError, parse_ringgit
from bot.actions import backend_client
from bot.actions.buttons import ask_action, ask_with_buttons
from bot.actions.form_validation import AnswersOnlyFormValidation
from bot.actions.forms_meta import LOCAL_EMPLOYEE_SLOTS
from bot.actions.language import current_language
from bot.actions.portal_id import check_name
from bot.actions.registration import chosen, match_option

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
GENDERS = [
    {"code": "male", "name_en": "Male", "name_ms": "Lelaki"},
    {"code": "female", "name_en": "Female", "name_ms": "Perempuan"},
]
GENDER_ALIASES = {"male": ("m", "lelaki", "man", "l"), "female": ("f", "perempuan", "woman", "p")}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %m %Y", "%d/%m/%y")


def _today() -> date:
    return date.today()


def parse_date(text: Any) -> date | None:
    raw = " ".join(str(text or "").split())
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
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


def employer_since(view: dict[str, Any]) -> str | None:
    """The earliest day the employer can have employed anyone (as the backend reckons it)."""
    if view.get("business_start_date"):
        return str(view["business_start_date"])
    number = str(view.get("registration_no") or "")
    if view.get("registration_no_format") == "ssm" and number[:4].isdigit():
        return f"{number[:4]}-01-01"
    return None


def _registration_id(tracker: Tracker) -> int | None:
    value = tracker.get_slot("registration_id")
    return int(value) if value else None


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
        code = match_option(chosen(value, tracker), ID_TYPES, ID_ALIASES)
        if code is None:
            ask_with_buttons(dispatcher, tracker, "utter_invalid_reg_choice", ID_TYPES)
            return {"emp_id_type": None}
        return {"emp_id_type": code}

    async def validate_emp_id_no(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        id_type = tracker.get_slot("emp_id_type") or "mykad"
        text = str(value or "")
        try:
            if id_type == "mykad":
                number = parse_mykad(text, today=_today()).number
            else:
                number = rules.normalise_person_id(id_type, text)
        except IdentifierError as error:
            digits = re.sub(r"\D", "", text)
            if error.code == "mykad_date":
                dispatcher.utter_message(response="utter_invalid_mykad_date", date_part=digits[:6])
            elif error.code == "mykad_place":
                dispatcher.utter_message(
                    response="utter_invalid_mykad_place", place_code=digits[6:8]
                )
            else:
                dispatcher.utter_message(response="utter_invalid_mykad_length")
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
        cleaned, error = check_name(value)
        if error:
            dispatcher.utter_message(response="utter_invalid_emp_name")
            return {"emp_name": None}
        return {"emp_name": cleaned}

    async def validate_emp_dob(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value or "")) and tracker.get_slot("emp_id_no"):
            # Filled from the MyKad or the records (already ISO), not typed.
            if parse_date(value):
                return {"emp_dob": str(value)}
        born = parse_date(value)
        if born is None or born > _today() or born.year < 1900:
            dispatcher.utter_message(response="utter_invalid_emp_dob")
            return {"emp_dob": None}
        return {"emp_dob": born.isoformat()}

    async def validate_emp_gender(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = match_option(chosen(value, tracker), GENDERS, GENDER_ALIASES)
        if code is None:
            ask_with_buttons(dispatcher, tracker, "utter_invalid_reg_choice", GENDERS)
            return {"emp_gender": None}
        return {"emp_gender": code}

    async def validate_emp_person_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == "yes":
            return {"emp_person_confirm": "yes"}
        # Not this person: ask the ID again (the date of birth and gender follow from it).
        dispatcher.utter_message(response="utter_employee_person_retry")
        return {
            "emp_person_confirm": None,
            "emp_id_no": None,
            "emp_name": None,
            "emp_dob": None,
            "emp_gender": None,
        }

    async def validate_emp_start_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        started = parse_date(value)
        if started is None:
            dispatcher.utter_message(response="utter_invalid_emp_start_date")
            return {"emp_start_date": None}
        since_text = tracker.get_slot("emp_employer_since")
        since = date.fromisoformat(since_text) if since_text else None
        try:
            check = rules.check_start_date(started, _today(), since)
        except rules.RegistrationError as error:
            if error.code == "start_date_future":
                dispatcher.utter_message(response="utter_invalid_emp_start_future")
            else:
                dispatcher.utter_message(
                    response="utter_invalid_emp_start_before_employer",
                    employer_since=display_date(since_text),
                )
            return {"emp_start_date": None}
        if check.warnings:
            dispatcher.utter_message(
                response="utter_employee_late_registration", days=(_today() - started).days
            )
        return {"emp_start_date": started.isoformat()}

    async def validate_emp_wage(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            wage = parse_ringgit(str(value or ""))
        except (MoneyError, ValueError):
            dispatcher.utter_message(response="utter_invalid_wage")
            return {"emp_wage": None}
        if wage <= 0:
            dispatcher.utter_message(response="utter_invalid_wage")
            return {"emp_wage": None}
        return {"emp_wage": f"{wage:.2f}"}


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
    return [SlotSet(slot, None) for slot in LOCAL_EMPLOYEE_SLOTS]


async def find_registration(tracker: Tracker) -> dict[str, Any] | None:
    """The registration employees are added to: the chat's, else the account's draft."""
    client = backend_client.backend()
    registration_id = _registration_id(tracker)
    if registration_id:
        return await client.get_registration(tracker.sender_id, registration_id)
    listing = await client.list_registrations(tracker.sender_id)
    # An employer's or a domestic employer's registration (QRG 3 adds workers to either);
    # a draft first, the newest of each kind first.
    rows = [
        r
        for r in listing.get("registrations") or []
        if r.get("registration_type") in ("employer", "domestic")
    ]
    rows.sort(key=lambda r: (r.get("status") != "draft", -int(r.get("id") or 0)))
    if not rows:
        return None
    return await client.get_registration(tracker.sender_id, int(rows[0]["id"]))


class ActionStartLocalEmployee(Action):
    def name(self) -> str:
        return "action_start_local_employee"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        not_ready = [SlotSet("employee_ready", False)]
        try:
            view = await find_registration(tracker)
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return not_ready
        except backend_client.BackendError as error:
            if error.code == "not_logged_in":
                dispatcher.utter_message(response="utter_registration_login_first")
            elif error.code == "terms_not_accepted":
                dispatcher.utter_message(response="utter_registration_terms_first")
            else:
                dispatcher.utter_message(response="utter_employee_register_employer_first")
            return not_ready
        if not view:
            dispatcher.utter_message(response="utter_employee_register_employer_first")
            return not_ready
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
        if payload["id_type"] != "mykad":
            payload.update({"date_of_birth": get("emp_dob"), "gender": get("emp_gender")})
        registration_id = _registration_id(tracker)
        if not registration_id or any(v in (None, "") for v in payload.values()):
            dispatcher.utter_message(response="utter_nothing_to_resume")
            return clear_employee()
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
        dispatcher.utter_message(
            response="utter_employee_eis_yes"
            if employee.get("eis_eligible")
            else "utter_employee_eis_no"
        )
        dispatcher.utter_message(response="utter_employee_add_another")
        return clear_employee()


class ActionListEmployees(Action):
    def name(self) -> str:
        return "action_list_employees"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            view = await find_registration(tracker)
            if not view:
                dispatcher.utter_message(response="utter_employee_register_employer_first")
                return []
            listing = await backend_client.backend().list_employees(
                tracker.sender_id, int(view["id"])
            )
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return []
        except backend_client.BackendError as error:
            if error.code == "not_logged_in":
                dispatcher.utter_message(response="utter_registration_login_first")
            else:
                dispatcher.utter_message(response="utter_employee_register_employer_first")
            return []
        employees = listing.get("employees") or []
        if not employees:
            dispatcher.utter_message(response="utter_employee_list_empty")
            return [SlotSet("registration_id", view.get("id"))]
        lines = "\n".join(
            f"{row.get('no') or n}. {row.get('name')} ({row.get('id_no_masked')}), "
            f"{display_date(row.get('start_date'))}, RM{row.get('monthly_wage')}"
            for n, row in enumerate(employees, start=1)
        )
        dispatcher.utter_message(
            response="utter_employee_list", count=len(employees), employees=lines
        )
        return [SlotSet("registration_id", view.get("id"))]
