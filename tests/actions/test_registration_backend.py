"""QRG 2–4 actions against the real backend app (in process, its own SQLite database)."""

import httpx
import pytest

from bot.actions import backend_client
from bot.actions.documents import ActionStartDocuments, ActionSubmitRegistration
from bot.actions.employees import (
    ActionListEmployees,
    ActionSaveLocalEmployee,
    ActionStartLocalEmployee,
    ValidateLocalEmployeeForm,
)
from bot.actions.registration import (
    ActionStartEmployerRegistration,
    ActionSubmitEmployerRegistration,
    ValidateEmployerRegistrationForm,
)
from tests.actions.conftest import make_tracker, responses, run, slot_values
from tests.backend.registration_helpers import SENDER, login_chat
from tests.conftest import SERVICE_TOKEN


@pytest.fixture
def real_backend(backend_app, backend_settings):
    backend_client.configure(
        transport=httpx.ASGITransport(app=backend_app),
        base_url="http://testserver",
        token=SERVICE_TOKEN,
    )
    yield backend_settings
    backend_client.configure()


ANSWERS = [
    ("reg_business_entity", "Sdn Bhd"),
    ("reg_sub_entity", '/inform{"choice":"local_company"}'),
    ("reg_sub_entity_item", '/inform{"choice":"limited_by_shares"}'),
    ("reg_registration_no", "2019 01 012345"),
    ("reg_employer_name", "Tan Hardware Sdn Bhd"),
    ("reg_industry", "hardware retail shop"),
    ("reg_address", "12 Jalan Ampang"),
    ("reg_postcode", "50450"),
    ("reg_city", "Kuala Lumpur"),
    ("reg_email", "hr@tanhardware.example.com"),
    ("reg_phone", "03-2345 6789"),
    ("reg_induction_office", '/inform{"choice":"kuala_lumpur"}'),
]


async def test_not_logged_in_against_the_backend(domain, real_backend):
    events, messages = await run(
        ActionStartEmployerRegistration(), make_tracker(sender_id="web-nobody"), domain
    )
    assert responses(messages) == ["utter_registration_login_first"]


async def test_register_employer_then_employee_then_documents(domain, real_backend):
    login_chat(real_backend, SENDER)
    events, messages = await run(
        ActionStartEmployerRegistration(), make_tracker(sender_id=SENDER), domain
    )
    assert responses(messages) == ["utter_registration_intro"]
    slots: dict = {}
    for slot, typed in ANSWERS:
        entities = []
        if typed.startswith("/inform"):
            entities = [{"entity": "choice", "value": typed.split('"')[3]}]
        tracker = make_tracker(
            slots=slots,
            text=typed,
            entities=entities,
            active_loop="employer_registration_form",
            requested_slot=slot,
            slot_events={slot: typed},
            sender_id=SENDER,
        )
        events, messages = await run(ValidateEmployerRegistrationForm(), tracker, domain)
        changes = slot_values(events)
        if slot == "reg_industry" and changes.get(slot) is None:
            # Several sections match: the bot offers buttons; take the retail one.
            assert responses(messages) == ["utter_reg_industry_pick"]
            tracker = make_tracker(
                slots=slots,
                text='/inform{"choice":"G"}',
                entities=[{"entity": "choice", "value": "G"}],
                active_loop="employer_registration_form",
                requested_slot=slot,
                slot_events={slot: '/inform{"choice":"G"}'},
                sender_id=SENDER,
            )
            events, messages = await run(ValidateEmployerRegistrationForm(), tracker, domain)
            changes = slot_values(events)
        assert changes.get(slot), (slot, messages)
        slots.update(changes)
    assert slots["reg_state"] == "kuala_lumpur"
    slots["employer_registration_confirm"] = "yes"
    events, messages = await run(
        ActionSubmitEmployerRegistration(), make_tracker(slots=slots, sender_id=SENDER), domain
    )
    assert responses(messages) == ["utter_employer_registration_saved"]
    assert messages[0]["reference"].startswith("CRN")
    registration_id = slots["registration_id"]

    # Coming back: the draft is offered with its answers.
    events, messages = await run(
        ActionStartEmployerRegistration(), make_tracker(sender_id=SENDER), domain
    )
    assert responses(messages) == ["utter_registration_resume_draft"]
    assert slot_values(events)["reg_registration_no"] == "201901012345"

    # QRG 3: a local employee by MyKad.
    events, messages = await run(ActionStartLocalEmployee(), make_tracker(sender_id=SENDER), domain)
    emp = slot_values(events)
    assert emp["employee_ready"] is True and emp["emp_employer_since"] == "2019-01-01"
    emp = {k: v for k, v in emp.items() if v is not None}
    tracker = make_tracker(
        slots={**emp, "emp_id_type": "mykad"},
        text="900101-14-5678",
        active_loop="local_employee_form",
        requested_slot="emp_id_no",
        slot_events={"emp_id_no": "900101-14-5678"},
        sender_id=SENDER,
    )
    events, messages = await run(ValidateLocalEmployeeForm(), tracker, domain)
    found = slot_values(events)
    assert found["emp_dob"] == "1990-01-01" and found["emp_gender"] == "female"
    filled = {
        **emp,
        **found,
        "emp_id_type": "mykad",
        "emp_name": "Siti binti Ahmad",
        "emp_person_confirm": "yes",
        "emp_start_date": "2025-12-15",
        "emp_wage": "2950.00",
    }
    events, messages = await run(
        ActionSaveLocalEmployee(), make_tracker(slots=filled, sender_id=SENDER), domain
    )
    assert responses(messages) == [
        "utter_employee_saved",
        "utter_employee_eis_yes",
        "utter_employee_add_another",
    ]
    _, messages = await run(
        ActionListEmployees(),
        make_tracker(slots={"registration_id": registration_id}, sender_id=SENDER),
        domain,
    )
    assert "Siti binti Ahmad".upper() in messages[0]["employees"].upper()
    assert "900101145678" not in messages[0]["employees"]

    # QRG 4: checklist, forms, link; submitting without documents says what is missing.
    events, messages = await run(
        ActionStartDocuments(),
        make_tracker(slots={"registration_id": registration_id}, sender_id=SENDER),
        domain,
    )
    assert responses(messages)[0] == "utter_documents_checklist"
    assert "utter_documents_upload_link" in responses(messages)
    events, messages = await run(
        ActionSubmitRegistration(),
        make_tracker(
            slots={"registration_id": registration_id, "documents_submit_confirm": "yes"},
            sender_id=SENDER,
        ),
        domain,
    )
    assert responses(messages) == ["utter_registration_incomplete_submit"]
    assert messages[0]["missing"]
