"""QRG 3(i): local employee form, with the backend mocked."""

from datetime import date, timedelta

import pytest

from bot.actions import employees as module
from bot.actions.employees import (
    ActionAskEmpIdType,
    ActionAskEmpPersonConfirm,
    ActionListEmployees,
    ActionSaveLocalEmployee,
    ActionStartLocalEmployee,
    ValidateLocalEmployeeForm,
    employer_since,
    parse_date,
)
from tests.actions.conftest import Unreachable, error, make_tracker, responses, run, slot_values

FORM = "local_employee_form"
SEARCH = "GET /api/v1/registrations/7/employees/search"
TODAY = date(2026, 11, 26)


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
    events, messages = await run(ValidateLocalEmployeeForm(), tracker, domain)
    return slot_values(events), messages


async def test_start_needs_an_employer_registration(domain, fake_backend):
    fake_backend.routes["GET /api/v1/registrations"] = (200, {"registrations": []})
    events, messages = await run(ActionStartLocalEmployee(), make_tracker(), domain)
    assert slot_values(events) == {"employee_ready": False}
    assert responses(messages) == ["utter_employee_register_employer_first"]


async def test_start_not_logged_in(domain, fake_backend):
    fake_backend.routes["GET /api/v1/registrations"] = (401, error("not_logged_in"))
    _, messages = await run(ActionStartLocalEmployee(), make_tracker(), domain)
    assert responses(messages) == ["utter_registration_login_first"]


async def test_start_uses_the_draft_and_its_start_year(domain, fake_backend):
    fake_backend.routes["GET /api/v1/registrations"] = (
        200,
        {"registrations": [{"id": 7, "registration_type": "employer", "status": "draft"}]},
    )
    fake_backend.routes["GET /api/v1/registrations/7"] = (
        200,
        {
            "id": 7,
            "reference": "CRN1",
            "employer_name": "Maju Jaya",
            "registration_no": "202001012345",
            "registration_no_format": "ssm",
        },
    )
    events, messages = await run(ActionStartLocalEmployee(), make_tracker(), domain)
    slots = slot_values(events)
    assert slots["employee_ready"] is True and slots["registration_id"] == 7
    assert slots["emp_employer_since"] == "2020-01-01"
    assert messages[0]["employer_name"] == "Maju Jaya"


def test_employer_since():
    assert employer_since({"business_start_date": "2021-05-01"}) == "2021-05-01"
    assert employer_since({"registration_no": "1312525-A", "registration_no_format": "old"}) is None


async def test_id_type_buttons_and_typed(domain):
    _, messages = await run(ActionAskEmpIdType(), make_tracker(), domain)
    assert len(messages[0]["buttons"]) == 4
    slots, _ = await validate(domain, "emp_id_type", "IC lama")
    assert slots["emp_id_type"] == "old_ic"
    slots, _ = await validate(domain, "emp_id_type", "mykad")
    assert slots["emp_id_type"] == "mykad"
    slots, messages = await validate(domain, "emp_id_type", "passport please")
    assert slots["emp_id_type"] is None and responses(messages) == ["utter_invalid_reg_choice"]


async def test_mykad_not_found_prefills_birth_and_gender(domain, fake_backend):
    fake_backend.routes[SEARCH] = (
        200,
        {"found": False, "prefill": {"date_of_birth": "1990-01-01", "gender": "female"}},
    )
    slots, messages = await validate(
        domain, "emp_id_no", "900101-14-5678", slots={"emp_id_type": "mykad"}
    )
    assert slots == {"emp_id_no": "900101145678", "emp_dob": "1990-01-01", "emp_gender": "female"}
    assert responses(messages) == ["utter_employee_not_found_mykad"]
    assert messages[0]["date_of_birth"] == "01/01/1990"
    request = fake_backend.requests[-1]
    assert request.url.params["id_no"] == "900101145678"
    assert request.headers["X-Sender-Id"] == "web-test"


async def test_found_in_records_fills_the_person(domain, fake_backend):
    fake_backend.routes[SEARCH] = (
        200,
        {
            "found": True,
            "source": "existing_records",
            "employee": {
                "name": "Ali bin Abu",
                "date_of_birth": "1985-06-15",
                "gender": "male",
                "id_no_masked": "850615-**-***1",
            },
        },
    )
    slots, messages = await validate(
        domain, "emp_id_no", "850615105431", slots={"emp_id_type": "mykad"}
    )
    assert slots["emp_name"] == "Ali bin Abu" and slots["emp_gender"] == "male"
    assert responses(messages) == ["utter_employee_found"]


async def test_already_in_this_registration(domain, fake_backend):
    fake_backend.routes[SEARCH] = (
        200,
        {"found": True, "source": "this_registration", "employee": {"name": "Ali"}},
    )
    slots, messages = await validate(
        domain, "emp_id_no", "850615105431", slots={"emp_id_type": "mykad"}
    )
    assert slots["emp_id_no"] is None
    assert responses(messages) == ["utter_employee_already_added"]


@pytest.mark.parametrize(
    ("typed", "response"),
    [
        ("901301-14-5678", "utter_invalid_mykad_date"),
        ("900101-00-5678", "utter_invalid_mykad_place"),
        ("12345", "utter_invalid_mykad_length"),
    ],
)
async def test_bad_mykad(domain, fake_backend, typed, response):
    slots, messages = await validate(domain, "emp_id_no", typed, slots={"emp_id_type": "mykad"})
    assert slots["emp_id_no"] is None and responses(messages) == [response]
    assert fake_backend.requests == []


async def test_bad_old_ic_and_backend_down(domain, fake_backend):
    slots, messages = await validate(domain, "emp_id_no", "123", slots={"emp_id_type": "old_ic"})
    assert responses(messages) == ["utter_invalid_emp_old_ic"]
    fake_backend.routes[SEARCH] = Unreachable()
    slots, messages = await validate(
        domain, "emp_id_no", "A1234567", slots={"emp_id_type": "old_ic"}
    )
    assert slots["emp_id_no"] is None
    assert responses(messages) == ["utter_service_unavailable_general"]


async def test_dob_and_gender(domain):
    slots, _ = await validate(domain, "emp_dob", "15/06/1990")
    assert slots["emp_dob"] == "1990-06-15"
    slots, messages = await validate(domain, "emp_dob", "31/02/1990")
    assert slots["emp_dob"] is None and responses(messages) == ["utter_invalid_emp_dob"]
    slots, _ = await validate(domain, "emp_gender", "perempuan")
    assert slots["emp_gender"] == "female"


async def test_person_confirm(domain):
    slots, _ = await validate(domain, "emp_person_confirm", "yes", intent="affirm")
    assert slots["emp_person_confirm"] == "yes"
    slots, messages = await validate(domain, "emp_person_confirm", "no", intent="deny")
    assert slots["emp_id_no"] is None and slots["emp_dob"] is None
    assert responses(messages) == ["utter_employee_person_retry"]
    _, messages = await run(
        ActionAskEmpPersonConfirm(),
        make_tracker(
            slots={
                "language": "ms",
                "emp_name": "Siti",
                "emp_dob": "1990-01-01",
                "emp_gender": "female",
            }
        ),
        domain,
    )
    assert messages[0]["gender"] == "Perempuan" and messages[0]["date_of_birth"] == "01/01/1990"


async def test_start_date_rules(domain):
    future = (TODAY + timedelta(days=3)).strftime("%d/%m/%Y")
    slots, messages = await validate(domain, "emp_start_date", future)
    assert slots["emp_start_date"] is None
    assert responses(messages) == ["utter_invalid_emp_start_future"]
    slots, messages = await validate(
        domain, "emp_start_date", "01/06/2019", slots={"emp_employer_since": "2020-01-01"}
    )
    assert responses(messages) == ["utter_invalid_emp_start_before_employer"]
    assert messages[0]["employer_since"] == "01/01/2020"
    slots, messages = await validate(domain, "emp_start_date", "01/09/2026")
    assert slots["emp_start_date"] == "2026-09-01"
    assert responses(messages) == ["utter_employee_late_registration"]
    slots, messages = await validate(domain, "emp_start_date", "20/11/2026")
    assert slots["emp_start_date"] == "2026-11-20" and messages == []
    slots, messages = await validate(domain, "emp_start_date", "next week")
    assert responses(messages) == ["utter_invalid_emp_start_date"]


async def test_wage(domain):
    slots, _ = await validate(domain, "emp_wage", "RM2,950")
    assert slots["emp_wage"] == "2950.00"
    slots, messages = await validate(domain, "emp_wage", "lots")
    assert slots["emp_wage"] is None and responses(messages) == ["utter_invalid_wage"]


def test_parse_date_formats():
    assert parse_date("2026-03-01") == date(2026, 3, 1)
    assert parse_date("1.3.2026") == date(2026, 3, 1)
    assert parse_date("hello") is None


FILLED = {
    "registration_id": 7,
    "emp_id_type": "mykad",
    "emp_id_no": "900101145678",
    "emp_name": "Siti binti Ali",
    "emp_dob": "1990-01-01",
    "emp_gender": "female",
    "emp_person_confirm": "yes",
    "emp_start_date": "2026-11-20",
    "emp_wage": "2950.00",
}


async def test_save_says_category_and_eis_and_offers_another(domain, fake_backend):
    fake_backend.routes["POST /api/v1/registrations/7/employees"] = (
        201,
        {"name": "SITI BINTI ALI", "category": 1, "eis_eligible": True, "warnings": []},
    )
    events, messages = await run(ActionSaveLocalEmployee(), make_tracker(slots=FILLED), domain)
    assert responses(messages) == [
        "utter_employee_saved",
        "utter_employee_eis_yes",
        "utter_employee_add_another",
    ]
    assert messages[0]["category"] == 1
    body = fake_backend.body()
    assert body == {
        "residency": "local",
        "id_type": "mykad",
        "id_no": "900101145678",
        "name": "Siti binti Ali",
        "start_date": "2026-11-20",
        "monthly_wage": "2950.00",
    }
    assert slot_values(events)["emp_id_no"] is None


async def test_save_old_ic_sends_birth_and_gender_and_no_eis(domain, fake_backend):
    fake_backend.routes["POST /api/v1/registrations/7/employees"] = (
        201,
        {"name": "Ali", "category": 2, "eis_eligible": False},
    )
    slots = {**FILLED, "emp_id_type": "old_ic", "emp_id_no": "A1234567"}
    _, messages = await run(ActionSaveLocalEmployee(), make_tracker(slots=slots), domain)
    assert "utter_employee_eis_no" in responses(messages)
    assert fake_backend.body()["date_of_birth"] == "1990-01-01"


async def test_save_refused(domain, fake_backend):
    fake_backend.routes["POST /api/v1/registrations/7/employees"] = (
        409,
        error("employee_exists"),
    )
    _, messages = await run(ActionSaveLocalEmployee(), make_tracker(slots=FILLED), domain)
    assert responses(messages) == ["utter_employee_already_added"]


async def test_list_masks_ids(domain, fake_backend):
    fake_backend.routes["GET /api/v1/registrations/7"] = (200, {"id": 7})
    fake_backend.routes["GET /api/v1/registrations/7/employees"] = (
        200,
        {
            "employees": [
                {
                    "no": 1,
                    "name": "SITI",
                    "id_no_masked": "900101-**-***8",
                    "start_date": "2026-11-20",
                    "monthly_wage": "2,950.00",
                }
            ]
        },
    )
    _, messages = await run(
        ActionListEmployees(), make_tracker(slots={"registration_id": 7}), domain
    )
    assert responses(messages) == ["utter_employee_list"]
    assert "900101-**-***8" in messages[0]["employees"] and "900101145678" not in str(messages)
    fake_backend.routes["GET /api/v1/registrations/7/employees"] = (200, {"employees": []})
    _, messages = await run(
        ActionListEmployees(), make_tracker(slots={"registration_id": 7}), domain
    )
    assert responses(messages) == ["utter_employee_list_empty"]


# --------------------------------------------------------------------------- typed as people do


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("1hb Mac 2026", "2026-03-01"), ("3 November 2026", "2026-11-03"), ("semalam", "2026-11-25")],
)
async def test_start_date_in_words(domain, typed, stored):
    slots, _ = await validate(domain, "emp_start_date", typed)
    assert slots["emp_start_date"] == stored


async def test_start_date_in_the_future_in_words_is_refused(domain):
    slots, messages = await validate(domain, "emp_start_date", "esok")
    assert slots["emp_start_date"] is None
    assert responses(messages) == ["utter_invalid_emp_start_future"]


async def test_date_of_birth_with_a_two_digit_year_is_in_the_past(domain):
    slots, messages = await validate(domain, "emp_dob", "15.6.90", slots={"emp_id_type": "police"})
    assert slots["emp_dob"] == "1990-06-15" and messages == []


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("tiga ribu", "3000.00"), ("RM3k", "3000.00"), ("RM 2,950.50", "2950.50")],
)
async def test_wage_in_words_and_shorthand(domain, typed, stored):
    slots, messages = await validate(domain, "emp_wage", typed)
    assert slots["emp_wage"] == stored and messages == []


async def test_wage_that_is_not_an_amount(domain):
    slots, messages = await validate(domain, "emp_wage", "saya tak pasti")
    assert slots["emp_wage"] is None
    assert responses(messages) == ["utter_invalid_wage"]


async def test_list_has_the_portals_columns_in_the_users_language(domain, fake_backend):
    fake_backend.routes["GET /api/v1/registrations/7"] = (200, {"id": 7})
    row = {
        "no": 1,
        "id_type": "mykad",
        "id_no_masked": "900101-**-***8",
        "date_of_birth": "1990-01-01",
        "name": "SITI",
        "gender": "female",
        "status": "pending",
        "start_date": "2026-11-20",
        "monthly_wage": "2950.00",
    }
    fake_backend.routes["GET /api/v1/registrations/7/employees"] = (200, {"employees": [row]})
    tracker = make_tracker(slots={"registration_id": 7, "language": "ms"})
    _, messages = await run(ActionListEmployees(), tracker, domain)
    assert messages[0]["employees"] == (
        "1. MyKad 900101-**-***8 | 01/01/1990 | SITI | Perempuan | menunggu penghantaran | "
        "20/11/2026 | RM2950.00"
    )


async def test_mykad_typed_inside_a_sentence(domain, fake_backend):
    fake_backend.routes[SEARCH] = (200, {"found": False, "source": None, "prefill": {}})
    slots, _ = await validate(
        domain, "emp_id_no", "IC dia 900101-14-5678", slots={"emp_id_type": "mykad"}
    )
    assert slots["emp_id_no"] == "900101145678"


# --------------------------------------------------------------------------- MyKad mismatch


async def test_not_right_then_the_same_mykad_asks_the_real_birth_date_and_gender(
    domain, fake_backend
):
    slots, messages = await validate(
        domain,
        "emp_person_confirm",
        "no",
        slots={"emp_id_type": "mykad", "emp_id_no": "900101145678", "emp_dob": "1990-01-01"},
        intent="deny",
    )
    assert slots["emp_mismatch"] == "900101145678" and slots["emp_id_no"] is None
    assert responses(messages) == ["utter_employee_person_retry"]
    fake_backend.routes[SEARCH] = (
        200,
        {"found": False, "prefill": {"date_of_birth": "1990-01-01", "gender": "female"}},
    )
    slots, messages = await validate(
        domain,
        "emp_id_no",
        "900101-14-5678",
        slots={"emp_id_type": "mykad", "emp_mismatch": "900101145678"},
    )
    assert slots == {"emp_id_no": "900101145678", "emp_dob": None, "emp_gender": None}
    assert responses(messages) == ["utter_employee_mykad_insist"]
    assert messages[0]["date_of_birth"] == "01/01/1990"


async def test_an_insisted_mismatch_is_sent_for_flagging_and_said(domain, fake_backend):
    fake_backend.routes["POST /api/v1/registrations/7/employees"] = (
        201,
        {
            "name": "SITI BINTI ALI",
            "category": 1,
            "eis_eligible": True,
            "flags": [{"code": "mykad_mismatch", "message": "date_of_birth 1990-01-02 kept"}],
        },
    )
    slots = {**FILLED, "emp_mismatch": "900101145678", "emp_dob": "1990-01-02"}
    _, messages = await run(ActionSaveLocalEmployee(), make_tracker(slots=slots), domain)
    body = fake_backend.body()
    assert body["confirm_mismatch"] is True
    assert body["date_of_birth"] == "1990-01-02" and body["gender"] == FILLED["emp_gender"]
    assert responses(messages) == [
        "utter_employee_saved",
        "utter_employee_mismatch_flagged",
        "utter_employee_eis_yes",
        "utter_employee_add_another",
    ]
