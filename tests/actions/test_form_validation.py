"""A form activated right after its start action cleared the slots asks its first question:
the cleared slots (trailing SlotSet(None) events) are not validated as if they were answers."""

import pytest

from bot.actions.documents import ValidateSupportingDocumentsForm
from bot.actions.domestic_employer import ValidateDomesticEmployerRegistrationForm
from bot.actions.employees import ValidateLocalEmployeeForm
from bot.actions.foreign_employees import ValidateForeignEmployeeForm
from bot.actions.forms_meta import FORM_SLOTS
from bot.actions.registration import ValidateEmployerRegistrationForm
from tests.actions.conftest import make_tracker, run, slot_values


@pytest.mark.parametrize(
    ("action", "form"),
    [
        (ValidateForeignEmployeeForm, "foreign_employee_form"),
        (ValidateDomesticEmployerRegistrationForm, "domestic_employer_registration_form"),
        (ValidateLocalEmployeeForm, "local_employee_form"),
        (ValidateEmployerRegistrationForm, "employer_registration_form"),
        (ValidateSupportingDocumentsForm, "supporting_documents_form"),
    ],
)
async def test_cleared_slots_are_not_answers(domain, action, form):
    cleared = {slot: None for slot in FORM_SLOTS[form]}
    tracker = make_tracker(
        text="add a foreign worker", intent="register", active_loop=form, slot_events=cleared
    )
    events, messages = await run(action(), tracker, domain)
    assert messages == []
    changes = slot_values(events)
    assert all(value is None for name, value in changes.items() if name != "requested_slot")


async def test_a_real_answer_is_still_validated(domain):
    tracker = make_tracker(
        active_loop="supporting_documents_form",
        requested_slot="documents_submit_confirm",
        slot_events={"documents_submit_confirm": "no"},
    )
    events, _ = await run(ValidateSupportingDocumentsForm(), tracker, domain)
    assert slot_values(events)["documents_submit_confirm"] == "no"
