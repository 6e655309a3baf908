"""QRG 3(ii): foreign employee form — mocked backend for the rules, the real backend to save."""

from datetime import date

import httpx
import pytest

from bot.actions import backend_client
from bot.actions import foreign_employees as module
from bot.actions.employees import ActionListEmployees
from bot.actions.foreign_employees import (
    ActionAskFwConfirm,
    ActionAskFwDocuments,
    ActionAskFwNationality,
    ActionSaveForeignEmployee,
    ActionStartForeignEmployee,
    ValidateForeignEmployeeForm,
)
from tests.actions.conftest import Unreachable, error, make_tracker, responses, run, slot_values
from tests.backend.registration_helpers import SENDER, create_company, headers, login_chat
from tests.conftest import SERVICE_TOKEN

FORM = "foreign_employee_form"
SEARCH = "GET /api/v1/registrations/7/employees/search"
TODAY = date(2026, 11, 26)
FILLED = {
    "registration_id": 7,
    "fw_ssfw_no": "none",
    "fw_name": "Budi Santoso",
    "fw_dob": "1995-06-15",
    "fw_gender": "male",
    "fw_nationality": "indonesian",
    "fw_passport_no": "A12345678",
    "fw_passport_start": "2024-03-01",
    "fw_passport_end": "2034-02-28",
    "fw_permit_no": "PLKS1234567",
    "fw_permit_start": "2026-11-01",
    "fw_permit_end": "2027-10-31",
    "fw_kin_name": "Sri Wahyuni",
    "fw_kin_phone": "+6281234567890",
    "fw_kin_relationship": "spouse",
    "fw_start_date": "2026-11-20",
    "fw_wage": "1700.00",
    "fw_confirm": "yes",
}


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(module, "_today", lambda: TODAY)


async def validate(domain, slot, value, slots=None, entities=None, intent="inform"):
    tracker = make_tracker(
        slots={"registration_id": 7, **(slots or {})},
        text=str(value),
        intent=intent,
        entities=entities,
        active_loop=FORM,
        requested_slot=slot,
        slot_events={slot: value},
    )
    events, messages = await run(ValidateForeignEmployeeForm(), tracker, domain)
    changes = slot_values(events)
    changes.pop("requested_slot", None)  # the SDK names the next question; not tested here
    return changes, messages


async def test_required_slots_skip_the_person_check_unless_found(domain):
    form = ValidateForeignEmployeeForm()
    slots = ["fw_ssfw_no", "fw_person_confirm", "fw_name"]
    tracker = make_tracker(active_loop=FORM)
    assert await form.required_slots(slots, None, tracker, domain) == ["fw_ssfw_no", "fw_name"]
    tracker = make_tracker(slots={"fw_found": True}, active_loop=FORM)
    assert await form.required_slots(slots, None, tracker, domain) == slots


async def test_no_ssfw_number_registers_a_new_worker(domain, fake_backend):
    slots, messages = await validate(domain, "fw_ssfw_no", "none", intent="deny")
    assert slots == {"fw_ssfw_no": "none", "fw_found": False}
    assert responses(messages) == ["utter_fw_no_ssfw"]
    slots, _ = await validate(domain, "fw_ssfw_no", "tiada")
    assert slots["fw_ssfw_no"] == "none"
    assert fake_backend.requests == []


async def test_ssfw_found_in_the_records_fills_the_person(domain, fake_backend):
    fake_backend.routes[SEARCH] = (
        200,
        {
            "found": True,
            "source": "existing_records",
            "employee": {
                "name": "BUDI SANTOSO",
                "date_of_birth": "1995-06-15",
                "gender": "male",
                "nationality": "indonesian",
            },
        },
    )
    slots, messages = await validate(domain, "fw_ssfw_no", "ssfw 1234-5678")
    assert slots["fw_ssfw_no"] == "SSFW12345678" and slots["fw_found"] is True
    assert slots["fw_name"] == "BUDI SANTOSO" and slots["fw_nationality"] == "indonesian"
    assert responses(messages) == ["utter_fw_found"]
    params = fake_backend.requests[-1].url.params
    assert params["id_type"] == "ssfw" and params["id_no"] == "SSFW12345678"


async def test_ssfw_already_in_this_registration_is_refused(domain, fake_backend):
    fake_backend.routes[SEARCH] = (
        200,
        {"found": True, "source": "this_registration", "employee": {"name": "BUDI"}},
    )
    slots, messages = await validate(domain, "fw_ssfw_no", "SSFW12345678")
    assert slots == {"fw_ssfw_no": None}
    assert responses(messages) == ["utter_employee_already_added"]


async def test_ssfw_not_found_keeps_the_number(domain, fake_backend):
    fake_backend.routes[SEARCH] = (200, {"found": False, "prefill": {}})
    slots, messages = await validate(domain, "fw_ssfw_no", "SSFW12345678")
    assert slots == {"fw_ssfw_no": "SSFW12345678", "fw_found": False}
    assert responses(messages) == ["utter_fw_not_found"]


async def test_bad_ssfw_and_backend_down(domain, fake_backend):
    slots, messages = await validate(domain, "fw_ssfw_no", "12")
    assert slots == {"fw_ssfw_no": None}
    assert responses(messages) == ["utter_invalid_fw_ssfw_no"]
    fake_backend.routes[SEARCH] = Unreachable()
    slots, messages = await validate(domain, "fw_ssfw_no", "SSFW12345678")
    assert slots == {"fw_ssfw_no": None}
    assert responses(messages) == ["utter_service_unavailable_general"]


async def test_not_this_person_searches_again(domain):
    slots, messages = await validate(
        domain, "fw_person_confirm", "no", slots={"fw_name": "X", "fw_found": True}
    )
    assert slots["fw_ssfw_no"] is None and slots["fw_name"] is None and slots["fw_found"] is False
    assert responses(messages) == ["utter_fw_person_retry"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Indonesian", "indonesian"),
        ("warga Indonesia", "indonesian"),
        ('/inform{"choice":"nepali"}', "nepali"),
        ("bangla", "bangladeshi"),
        ("Sri Lankan", "sri lankan"),
    ],
)
async def test_nationality(domain, typed, expected):
    entities = []
    if typed.startswith("/inform"):
        entities = [{"entity": "choice", "value": "nepali"}]
    slots, _ = await validate(domain, "fw_nationality", typed, entities=entities)
    assert slots == {"fw_nationality": expected}


async def test_malaysian_is_a_local_employee(domain):
    slots, messages = await validate(domain, "fw_nationality", "Malaysia")
    assert slots == {"fw_nationality": None}
    assert responses(messages) == ["utter_fw_nationality_malaysian"]
    slots, messages = await validate(domain, "fw_nationality", "12345 !!")
    assert responses(messages) == ["utter_invalid_fw_nationality"] and messages[0]["buttons"]


async def test_passport_number_shape_and_duplicate(domain, fake_backend):
    slots, messages = await validate(domain, "fw_passport_no", "123")
    assert slots == {"fw_passport_no": None}
    assert responses(messages) == ["utter_invalid_fw_passport_no"]
    fake_backend.routes[SEARCH] = (200, {"found": False})
    slots, _ = await validate(domain, "fw_passport_no", "a 1234 5678")
    assert slots == {"fw_passport_no": "A12345678"}
    fake_backend.routes[SEARCH] = (
        200,
        {"found": True, "source": "this_registration", "employee": {"name": "BUDI"}},
    )
    slots, messages = await validate(domain, "fw_passport_no", "A12345678")
    assert slots == {"fw_passport_no": None}
    assert responses(messages) == ["utter_employee_already_added"]


async def test_passport_dates(domain):
    slots, messages = await validate(domain, "fw_passport_start", "32/13/2024")
    assert slots == {"fw_passport_start": None}
    assert responses(messages) == ["utter_invalid_fw_date"]
    slots, messages = await validate(domain, "fw_passport_start", "01/01/2027")
    assert responses(messages) == ["utter_invalid_fw_passport_start_future"]
    slots, _ = await validate(domain, "fw_passport_start", "01/03/2024")
    assert slots == {"fw_passport_start": "2024-03-01"}
    start = {"fw_passport_start": "2024-03-01"}
    slots, messages = await validate(domain, "fw_passport_end", "01/01/2024", slots=start)
    assert slots == {"fw_passport_end": None}
    assert responses(messages) == ["utter_invalid_fw_passport_end_before_start"]
    assert messages[0]["start"] == "01/03/2024"
    old = {"fw_passport_start": "2014-03-01"}
    slots, messages = await validate(domain, "fw_passport_end", "28/02/2024", slots=old)
    assert slots == {"fw_passport_end": None}
    assert responses(messages) == ["utter_invalid_fw_passport_expired"]
    assert messages[0]["expired_on"] == "28/02/2024"
    slots, _ = await validate(domain, "fw_passport_end", "28/02/2034", slots=start)
    assert slots == {"fw_passport_end": "2034-02-28"}


async def test_expired_permit_is_kept_with_a_warning(domain):
    start = {"fw_permit_start": "2025-01-01"}
    slots, messages = await validate(domain, "fw_permit_end", "31/10/2026", slots=start)
    assert slots == {"fw_permit_end": "2026-10-31"}
    assert responses(messages) == ["utter_fw_permit_expired_warning"]
    slots, messages = await validate(domain, "fw_permit_end", "31/12/2024", slots=start)
    assert responses(messages) == ["utter_invalid_fw_permit_end_before_start"]
    slots, messages = await validate(domain, "fw_permit_no", "PL")
    assert responses(messages) == ["utter_invalid_fw_permit_no"]
    slots, _ = await validate(domain, "fw_permit_no", "plks 1234567")
    assert slots == {"fw_permit_no": "PLKS1234567"}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("+62 812 3456 7890", "+6281234567890"), ("012-345 6789", "+60123456789"), ("12", None)],
)
async def test_kin_phone(domain, typed, expected):
    slots, messages = await validate(domain, "fw_kin_phone", typed)
    assert slots == {"fw_kin_phone": expected}
    if expected is None:
        assert responses(messages) == ["utter_invalid_fw_kin_phone"]


async def test_kin_relationship_and_gender_typed_or_buttons(domain):
    slots, _ = await validate(domain, "fw_kin_relationship", "isteri")
    assert slots == {"fw_kin_relationship": "spouse"}
    slots, messages = await validate(domain, "fw_kin_relationship", "boss")
    assert slots == {"fw_kin_relationship": None} and messages[0]["buttons"]
    slots, _ = await validate(domain, "fw_gender", "perempuan")
    assert slots == {"fw_gender": "female"}


async def test_start_date_rules(domain):
    since = {"emp_employer_since": "2019-01-01", "fw_dob": "1995-06-15"}
    slots, messages = await validate(domain, "fw_start_date", "01/01/2030", slots=since)
    assert responses(messages) == ["utter_invalid_emp_start_future"]
    slots, messages = await validate(domain, "fw_start_date", "01/01/2018", slots=since)
    assert responses(messages) == ["utter_invalid_emp_start_before_employer"]
    slots, messages = await validate(domain, "fw_start_date", "01/01/2026", slots=since)
    assert slots == {"fw_start_date": "2026-01-01"}
    assert responses(messages) == ["utter_employee_late_registration"]
    slots, messages = await validate(
        domain, "fw_start_date", "01/01/1990", slots={"fw_dob": "1995-06-15"}
    )
    assert responses(messages) == ["utter_invalid_fw_start_before_birth"]


async def test_date_of_birth_of_a_child_is_refused(domain):
    slots, messages = await validate(domain, "fw_dob", "01/01/2020")
    assert slots == {"fw_dob": None}
    assert responses(messages) == ["utter_invalid_fw_dob_young"]


async def test_summary_change_clears_the_field_and_its_dates(domain):
    slots, _ = await validate(
        domain,
        "fw_confirm",
        "change",
        slots=FILLED,
        entities=[{"entity": "field", "value": "fw_passport_no"}],
        intent="change_field",
    )
    assert slots == {
        "fw_passport_no": None,
        "fw_passport_start": None,
        "fw_passport_end": None,
        "fw_confirm": None,
        "field": None,
    }
    slots, messages = await validate(domain, "fw_confirm", "no", slots=FILLED, intent="deny")
    assert slots == {"fw_confirm": None, "field": None}
    assert responses(messages) == ["utter_fw_which_field"]


async def test_summary_and_buttons_in_malay(domain):
    tracker = make_tracker(slots={**FILLED, "language": "ms"})
    _, messages = await run(ActionAskFwConfirm(), tracker, domain)
    assert messages[0]["nationality"] == "Indonesia"
    assert messages[0]["kin_relationship"] == "Suami / isteri"
    assert messages[0]["passport_end"] == "28/02/2034" and messages[0]["ssfw_no"] == "-"
    _, messages = await run(ActionAskFwNationality(), tracker, domain)
    assert messages[0]["buttons"][0] == {
        "title": "Indonesia",
        "payload": '/inform{"choice":"indonesian"}',
    }


async def test_start_keeps_a_half_filled_worker(domain, fake_backend):
    fake_backend.routes["GET /api/v1/registrations"] = (
        200,
        {"registrations": [{"id": 7, "registration_type": "employer", "status": "draft"}]},
    )
    fake_backend.routes["GET /api/v1/registrations/7"] = (
        200,
        {"id": 7, "reference": "CRN1", "employer_name": "Maju", "status": "draft"},
    )
    tracker = make_tracker(slots={"registration_id": 7, "fw_name": "Budi"})
    events, messages = await run(ActionStartForeignEmployee(), tracker, domain)
    assert responses(messages) == ["utter_fw_continue"]
    assert "fw_name" not in slot_values(events)
    events, messages = await run(ActionStartForeignEmployee(), make_tracker(), domain)
    assert responses(messages) == ["utter_fw_intro"]
    assert slot_values(events)["fw_name"] is None and slot_values(events)["employee_ready"]


async def test_start_refuses_a_submitted_registration(domain, fake_backend):
    fake_backend.routes["GET /api/v1/registrations"] = (
        200,
        {"registrations": [{"id": 7, "registration_type": "employer", "status": "submitted"}]},
    )
    fake_backend.routes["GET /api/v1/registrations/7"] = (
        200,
        {"id": 7, "reference": "CRN1", "status": "submitted", "employer_code": "E1400000007K"},
    )
    events, messages = await run(ActionStartForeignEmployee(), make_tracker(), domain)
    assert slot_values(events) == {"employee_ready": False}
    assert responses(messages) == ["utter_registration_status_submitted"]


async def test_save_unavailable_keeps_the_answers(domain, fake_backend):
    fake_backend.routes["POST /api/v1/registrations/7/employees"] = Unreachable()
    events, messages = await run(ActionSaveForeignEmployee(), make_tracker(slots=FILLED), domain)
    assert slot_values(events) == {"fw_confirm": None}
    assert responses(messages) == ["utter_fw_save_unavailable"]


async def test_save_refused_asks_that_answer_again(domain, fake_backend):
    fake_backend.routes["POST /api/v1/registrations/7/employees"] = (
        422,
        error("invalid_passport_end", reason="passport_expired"),
    )
    events, messages = await run(ActionSaveForeignEmployee(), make_tracker(slots=FILLED), domain)
    assert slot_values(events) == {"fw_passport_end": None, "fw_confirm": None}
    assert any(e["event"] == "followup" and e["name"] == FORM for e in events)
    assert responses(messages) == ["utter_fw_refused"]


# --------------------------------------------------------------------------- real backend


@pytest.fixture
def real_backend(backend_app, backend_settings):
    backend_client.configure(
        transport=httpx.ASGITransport(app=backend_app),
        base_url="http://testserver",
        token=SERVICE_TOKEN,
    )
    yield backend_settings
    backend_client.configure()


async def test_save_against_the_backend(domain, real_backend, client, service_headers, monkeypatch):
    monkeypatch.setattr(module, "_today", date.today)
    login_chat(real_backend, SENDER)
    registration = create_company(client, headers(service_headers))
    today = date.today()
    filled = {
        **FILLED,
        "registration_id": registration["id"],
        "fw_permit_start": today.replace(day=1).isoformat(),
        "fw_permit_end": today.replace(year=today.year + 1).isoformat(),
        "fw_start_date": today.isoformat(),
    }
    events, messages = await run(
        ActionSaveForeignEmployee(), make_tracker(slots=filled, sender_id=SENDER), domain
    )
    assert responses(messages) == [
        "utter_fw_saved",
        "utter_fw_upload_documents",
        "utter_fw_add_another",
    ]
    assert messages[0]["category"] == 1 and messages[0]["name"] == "BUDI SANTOSO"
    assert slot_values(events)["fw_passport_no"] is None
    _, messages = await run(
        ActionListEmployees(),
        make_tracker(slots={"registration_id": registration["id"]}, sender_id=SENDER),
        domain,
    )
    assert "BUDI SANTOSO" in messages[0]["employees"]
    assert "A12345678" not in messages[0]["employees"]
    # The same passport again is refused by the search before anything is asked.
    tracker = make_tracker(
        slots={"registration_id": registration["id"]},
        text="A12345678",
        active_loop=FORM,
        requested_slot="fw_passport_no",
        slot_events={"fw_passport_no": "A12345678"},
        sender_id=SENDER,
    )
    events, messages = await run(ValidateForeignEmployeeForm(), tracker, domain)
    assert responses(messages) == ["utter_employee_already_added"]


# --------------------------------------------------------------------------- linked worker


LINKED = {
    "registration_id": 7,
    "fw_ssfw_no": "SSFW12345678",
    "fw_found": True,
    "fw_person_confirm": "yes",
    "fw_name": "BUDI SANTOSO",
    "fw_dob": "1995-06-15",
    "fw_gender": "male",
    "fw_nationality": "indonesian",
    "fw_start_date": "2026-11-20",
    "fw_wage": "1700.00",
    "fw_documents": "later",
    "fw_confirm": "yes",
}


async def test_a_confirmed_found_worker_is_not_asked_the_records_answers(domain):
    form = ValidateForeignEmployeeForm()
    slots = list(domain["forms"][FORM]["required_slots"])
    tracker = make_tracker(slots={"fw_found": True, "fw_person_confirm": "yes"}, active_loop=FORM)
    asked = await form.required_slots(slots, None, tracker, domain)
    assert "fw_passport_no" not in asked and "fw_permit_end" not in asked
    assert "fw_kin_name" not in asked
    assert asked[-4:] == ["fw_start_date", "fw_wage", "fw_documents", "fw_confirm"]
    # Found but not yet confirmed: the person check comes first, nothing is skipped.
    tracker = make_tracker(slots={"fw_found": True}, active_loop=FORM)
    assert await form.required_slots(slots, None, tracker, domain) == slots


async def test_a_linked_worker_is_saved_by_ssfw_number(domain, fake_backend):
    fake_backend.routes["POST /api/v1/registrations/7/employees"] = (
        201,
        {"name": "BUDI SANTOSO", "category": 1, "nationality": "indonesian", "flags": []},
    )
    events, messages = await run(ActionSaveForeignEmployee(), make_tracker(slots=LINKED), domain)
    sent = fake_backend.requests[-1]
    import json

    body = json.loads(sent.content)
    assert body == {
        "residency": "foreign",
        "ssfw_no": "SSFW12345678",
        "name": "BUDI SANTOSO",
        "start_date": "2026-11-20",
        "monthly_wage": "1700.00",
    }
    assert responses(messages) == [
        "utter_fw_saved",
        "utter_fw_upload_documents",
        "utter_fw_add_another",
    ]


async def test_linked_summary_says_the_record_holds_the_passport(domain):
    tracker = make_tracker(slots={**LINKED, "language": "ms"})
    _, messages = await run(ActionAskFwConfirm(), tracker, domain)
    assert messages[0]["passport_no"] == "dalam rekod PERKESO"
    assert messages[0]["documents"] == "dimuat naik kemudian"


async def test_an_outdated_record_asks_the_passport_like_a_new_worker(domain, fake_backend):
    fake_backend.routes["POST /api/v1/registrations/7/employees"] = (
        422,
        error("invalid_passport_end", reason="passport_expired"),
    )
    events, messages = await run(ActionSaveForeignEmployee(), make_tracker(slots=LINKED), domain)
    assert slot_values(events) == {"fw_found": False, "fw_confirm": None}
    assert responses(messages) == ["utter_fw_record_outdated"]


# --------------------------------------------------------------------------- documents in the form


DOCS = "GET /api/v1/registrations/7/documents"


def _checklist(count: int) -> dict:
    return {"checklist": [{"doc_type": "foreign_worker_passport", "uploaded": count}]}


async def test_documents_later_is_accepted_without_asking_the_backend(domain, fake_backend):
    slots, messages = await validate(domain, "fw_documents", "later", intent="deny")
    assert slots == {"fw_documents": "later"} and messages == []
    slots, _ = await validate(domain, "fw_documents", "nanti")
    assert slots == {"fw_documents": "later"}
    assert fake_backend.requests == []


async def test_documents_sent_needs_new_pages_in_the_registration(domain, fake_backend):
    fake_backend.routes[DOCS] = (200, _checklist(1))
    slots, messages = await validate(
        domain, "fw_documents", "done", slots={"fw_documents_before": "1"}, intent="affirm"
    )
    assert slots == {"fw_documents": None}
    assert responses(messages) == ["utter_fw_documents_not_seen"]
    fake_backend.routes[DOCS] = (200, _checklist(2))
    slots, messages = await validate(
        domain, "fw_documents", "sudah", slots={"fw_documents_before": "1"}
    )
    assert slots == {"fw_documents": "uploaded"} and messages == []


async def test_documents_question_opens_the_upload_page_on_the_passport_item(domain, fake_backend):
    fake_backend.routes["POST /api/v1/registrations/7/upload-link"] = (
        200,
        {"url": "http://x/upload/tok", "expires_in_seconds": 86400},
    )
    fake_backend.routes[DOCS] = (200, _checklist(3))
    events, messages = await run(
        ActionAskFwDocuments(), make_tracker(slots={"registration_id": 7}), domain
    )
    assert responses(messages) == ["utter_ask_fw_documents"]
    url = messages[0]["custom"]["link"]["url"]
    assert url == "http://x/upload/tok?doc=foreign_worker_passport"
    assert slot_values(events) == {"fw_documents_before": "3"}


# --------------------------------------------------------------------------- dates as typed


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("15/06/1995", "1995-06-15"),
        ("15hb Jun 1995", "1995-06-15"),
        ("15 June 1995", "1995-06-15"),
        ("15.6.95", "1995-06-15"),
        ("1995-06-15", "1995-06-15"),
    ],
)
async def test_date_of_birth_as_people_type_it(domain, typed, stored):
    slots, messages = await validate(domain, "fw_dob", typed)
    assert slots == {"fw_dob": stored} and messages == []


async def test_passport_dates_in_malay_words(domain):
    slots, _ = await validate(domain, "fw_passport_start", "1hb Mac 2024")
    assert slots == {"fw_passport_start": "2024-03-01"}
    slots, messages = await validate(
        domain, "fw_passport_end", "28 Februari 2034", slots={"fw_passport_start": "2024-03-01"}
    )
    assert slots == {"fw_passport_end": "2034-02-28"} and messages == []
    slots, messages = await validate(domain, "fw_passport_end", "31/02/2034")
    assert slots == {"fw_passport_end": None}
    assert responses(messages) == ["utter_invalid_fw_date"]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("RM1.7k", "1700.00"), ("seribu tujuh ratus", "1700.00"), ("1,700", "1700.00")],
)
async def test_wage_as_people_type_it(domain, typed, stored):
    slots, messages = await validate(domain, "fw_wage", typed)
    assert slots == {"fw_wage": stored} and messages == []
