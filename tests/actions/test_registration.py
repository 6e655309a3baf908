"""QRG 2: employer registration form, with the backend mocked."""

import pytest

from bot.actions.common import ActionCancelForm
from bot.actions.registration import (
    ActionAcceptTerms,
    ActionAskEmployerRegistrationConfirm,
    ActionAskRegBusinessEntity,
    ActionAskRegInductionOffice,
    ActionStartEmployerRegistration,
    ActionSubmitEmployerRegistration,
    ValidateEmployerRegistrationForm,
    match_option,
    ssm_example,
)
from tests.actions.conftest import Unreachable, error, make_tracker, responses, run, slot_values

FORM = "employer_registration_form"
SDN_BHD = {
    "reg_business_entity": "sdn_bhd",
    "reg_sub_entity": "local_company",
    "reg_sub_entity_item": "limited_by_shares",
}
FILLED = {
    **SDN_BHD,
    "reg_registration_no": "202001012345",
    "reg_employer_name": "Maju Jaya Sdn Bhd",
    "reg_industry": "I",
    "reg_address": "No. 12, Jalan Ampang",
    "reg_postcode": "50450",
    "reg_city": "Kuala Lumpur",
    "reg_state": "kuala_lumpur",
    "reg_email": "info@majujaya.com.my",
    "reg_phone": "+60323456789",
    "reg_induction_office": "kuala_lumpur",
    "registration_id": 7,
    "registration_reference": "CRN11202600000007",
}


def view(**fields):
    return {"id": 7, "reference": "CRN11202600000007", "status": "draft", **fields}


async def validate(domain, slot, value, slots=None, entities=None, intent="inform"):
    tracker = make_tracker(
        slots=slots,
        text=str(value),
        intent=intent,
        entities=entities,
        active_loop=FORM,
        requested_slot=slot,
        slot_events={slot: value},
    )
    events, messages = await run(ValidateEmployerRegistrationForm(), tracker, domain)
    return slot_values(events), messages


# --------------------------------------------------------------------------- start


async def test_not_logged_in_offers_login(domain, fake_backend):
    fake_backend.routes["GET /api/v1/registrations"] = (401, error("not_logged_in"))
    events, messages = await run(ActionStartEmployerRegistration(), make_tracker(), domain)
    assert slot_values(events) == {"registration_ready": False}
    assert responses(messages) == ["utter_registration_login_first"]
    assert fake_backend.requests[0].headers["X-Sender-Id"] == "web-test"


async def test_terms_not_accepted_offers_to_accept(domain, fake_backend):
    fake_backend.routes["GET /api/v1/registrations"] = (403, error("terms_not_accepted"))
    events, messages = await run(ActionStartEmployerRegistration(), make_tracker(), domain)
    assert slot_values(events)["registration_ready"] is False
    assert responses(messages) == ["utter_registration_terms_first"]


async def test_bad_service_token_is_unavailable_not_a_login_problem(domain, fake_backend):
    fake_backend.routes["GET /api/v1/registrations"] = (401, error("unauthorized"))
    _, messages = await run(ActionStartEmployerRegistration(), make_tracker(), domain)
    assert responses(messages) == ["utter_service_unavailable_general"]


async def test_new_registration_starts_empty(domain, fake_backend):
    fake_backend.routes["GET /api/v1/registrations"] = (200, {"registrations": []})
    events, messages = await run(
        ActionStartEmployerRegistration(), make_tracker(slots={"reg_city": "old"}), domain
    )
    slots = slot_values(events)
    assert slots["registration_ready"] is True and slots["reg_city"] is None
    assert slots["registration_id"] is None
    assert responses(messages) == ["utter_registration_intro"]


async def test_a_draft_is_continued_with_its_answers(domain, fake_backend):
    fake_backend.routes["GET /api/v1/registrations"] = (
        200,
        {"registrations": [{"id": 7, "registration_type": "employer", "status": "draft"}]},
    )
    fake_backend.routes["GET /api/v1/registrations/7"] = (
        200,
        view(
            business_entity="sdn_bhd",
            sub_entity="local_company",
            postcode="50450",
            state="kuala_lumpur",
        ),
    )
    events, messages = await run(ActionStartEmployerRegistration(), make_tracker(), domain)
    slots = slot_values(events)
    assert slots["registration_id"] == 7 and slots["reg_business_entity"] == "sdn_bhd"
    assert slots["reg_state"] == "kuala_lumpur" and slots["registration_ready"] is True
    assert responses(messages) == ["utter_registration_resume_draft"]
    assert messages[0]["reference"] == "CRN11202600000007"


async def test_backend_down_at_start(domain, fake_backend):
    fake_backend.routes["GET /api/v1/registrations"] = Unreachable()
    events, messages = await run(ActionStartEmployerRegistration(), make_tracker(), domain)
    assert slot_values(events) == {"registration_ready": False}
    assert responses(messages) == ["utter_service_unavailable_general"]


# --------------------------------------------------------------------------- answers


async def test_first_answer_creates_the_draft(domain, fake_backend):
    fake_backend.routes["POST /api/v1/registrations"] = (201, view(business_entity="sdn_bhd"))
    slots, messages = await validate(domain, "reg_business_entity", "Sdn Bhd")
    assert slots["reg_business_entity"] == "sdn_bhd"
    assert slots["registration_id"] == 7
    assert slots["registration_reference"] == "CRN11202600000007"
    assert fake_backend.body() == {
        "registration_type": "employer",
        "language": "en",
        "business_entity": "sdn_bhd",
    }
    assert messages == []


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("sdn bhd", "sdn_bhd"),
        ("Sendirian Berhad", "sdn_bhd"),
        ("milikan tunggal", "sole_proprietorship"),
        ("koperasi", "cooperative"),
        ("PLT", "llp"),
        ("Berhad", "berhad"),
        ("persatuan", "society"),
    ],
)
async def test_typed_entities_are_understood(typed, code):
    from bot.actions.registration import ENTITY_ALIASES, employer_entities

    assert match_option(typed, employer_entities(), ENTITY_ALIASES) == code


async def test_button_choice_is_used(domain, fake_backend):
    fake_backend.routes["PATCH /api/v1/registrations/7"] = (200, view())
    slots, _ = await validate(
        domain,
        "reg_sub_entity",
        '/inform{"choice":"local_company"}',
        slots={"reg_business_entity": "sdn_bhd", "registration_id": 7},
        entities=[{"entity": "choice", "value": "local_company"}],
    )
    assert slots["reg_sub_entity"] == "local_company"
    assert fake_backend.body() == {"sub_entity": "local_company"}
    assert fake_backend.requests[-1].headers["X-Sender-Id"] == "web-test"


async def test_unknown_entity_and_domestic_are_refused(domain, fake_backend):
    slots, messages = await validate(domain, "reg_business_entity", "spaceship")
    assert slots["reg_business_entity"] is None
    assert responses(messages) == ["utter_invalid_reg_business_entity"]
    slots, messages = await validate(domain, "reg_business_entity", "domestic")
    assert responses(messages) == ["utter_registration_use_domestic"]
    assert fake_backend.requests == []


async def test_sub_entity_item_is_skipped_when_the_list_is_empty(domain):
    tracker = make_tracker(
        slots={"reg_business_entity": "cooperative", "reg_sub_entity": "skm"},
        active_loop=FORM,
        requested_slot="reg_registration_no",
    )
    form = ValidateEmployerRegistrationForm()
    domain_slots = domain["forms"][FORM]["required_slots"]
    slots = await form.required_slots(domain_slots, None, tracker, domain)
    from backend.domain.registration import sub_entity

    if sub_entity("cooperative", "skm")["items"]:
        assert "reg_sub_entity_item" in slots
    else:
        assert "reg_sub_entity_item" not in slots


@pytest.mark.parametrize(
    ("typed", "response"),
    [
        ("12345", "utter_invalid_reg_no_format"),
        ("ABC", "utter_invalid_reg_no_format"),
        ("201903098765", "utter_invalid_reg_no_type_mismatch"),
        ("202009012345", "utter_invalid_reg_no_type"),
        ("209901012345", "utter_invalid_reg_no_year"),
        ("202001000000", "utter_invalid_reg_no_serial"),
    ],
)
async def test_registration_number_refusals_give_an_example(domain, fake_backend, typed, response):
    slots, messages = await validate(domain, "reg_registration_no", typed, slots=SDN_BHD)
    assert slots["reg_registration_no"] is None
    assert responses(messages) == [response]
    assert messages[0]["example"] == "202001012345"
    assert fake_backend.requests == []


async def test_ssm_number_saved_without_spaces_and_old_form_accepted(domain, fake_backend):
    fake_backend.routes["PATCH /api/v1/registrations/7"] = (200, view())
    slots, _ = await validate(
        domain, "reg_registration_no", "2020 01 012345", slots={**SDN_BHD, "registration_id": 7}
    )
    assert slots["reg_registration_no"] == "202001012345"
    slots, _ = await validate(
        domain, "reg_registration_no", "1312525-A", slots={**SDN_BHD, "registration_id": 7}
    )
    assert slots["reg_registration_no"] == "1312525-A"


async def test_backend_refusals_are_worded(domain, fake_backend):
    fake_backend.routes["PATCH /api/v1/registrations/7"] = (
        409,
        error("employer_exists", employer_code="E1100050233Z"),
    )
    slots, messages = await validate(
        domain, "reg_registration_no", "202001012345", slots={**SDN_BHD, "registration_id": 7}
    )
    assert slots["reg_registration_no"] is None
    assert responses(messages) == ["utter_registration_employer_exists"]
    assert messages[0]["employer_code"] == "E1100050233Z"
    fake_backend.routes["PATCH /api/v1/registrations/7"] = (
        422,
        error("invalid_registration_no", reason="ssm_type_mismatch"),
    )
    _, messages = await validate(
        domain, "reg_registration_no", "202001012345", slots={**SDN_BHD, "registration_id": 7}
    )
    assert responses(messages) == ["utter_invalid_reg_no_type_mismatch"]
    fake_backend.routes["PATCH /api/v1/registrations/7"] = (401, error("not_logged_in"))
    _, messages = await validate(
        domain, "reg_employer_name", "Maju Jaya", slots={"registration_id": 7}
    )
    assert responses(messages) == ["utter_registration_login_first"]


async def test_backend_down_keeps_asking(domain, fake_backend):
    fake_backend.routes["PATCH /api/v1/registrations/7"] = Unreachable()
    slots, messages = await validate(
        domain, "reg_employer_name", "Maju Jaya Sdn Bhd", slots={"registration_id": 7}
    )
    assert slots["reg_employer_name"] is None
    assert responses(messages) == ["utter_service_unavailable_general"]


async def test_industry_search(domain, fake_backend):
    fake_backend.routes["PATCH /api/v1/registrations/7"] = (200, view())
    slots, messages = await validate(
        domain, "reg_industry", "restaurant", slots={"registration_id": 7}
    )
    assert slots["reg_industry"] == "I" and messages == []
    assert fake_backend.body() == {"industry_code": "I"}
    slots, messages = await validate(
        domain, "reg_industry", "kedai runcit", slots={"registration_id": 7}
    )
    assert slots["reg_industry"] == "G"
    slots, messages = await validate(domain, "reg_industry", "zzzqqq", slots={"registration_id": 7})
    assert slots["reg_industry"] is None
    assert responses(messages) == ["utter_invalid_reg_industry"]


async def test_industry_with_several_matches_offers_buttons(domain, fake_backend):
    fake_backend.routes["PATCH /api/v1/registrations/7"] = (200, view())
    slots, messages = await validate(
        domain, "reg_industry", "restaurant construction", slots={"registration_id": 7}
    )
    assert slots["reg_industry"] is None
    assert responses(messages) == ["utter_reg_industry_pick"]
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert '/inform{"choice":"I"}' in payloads and '/inform{"choice":"F"}' in payloads
    slots, _ = await validate(
        domain,
        "reg_industry",
        '/inform{"choice":"F"}',
        slots={"registration_id": 7},
        entities=[{"entity": "choice", "value": "F"}],
    )
    assert slots["reg_industry"] == "F"


async def test_postcode_sets_the_state_and_refuses_bad_ones(domain, fake_backend):
    fake_backend.routes["PATCH /api/v1/registrations/7"] = (
        200,
        view(postcode="50450", state="kuala_lumpur"),
    )
    slots, _ = await validate(domain, "reg_postcode", "50450", slots={"registration_id": 7})
    assert slots["reg_postcode"] == "50450" and slots["reg_state"] == "kuala_lumpur"
    slots, messages = await validate(domain, "reg_postcode", "5045", slots={"registration_id": 7})
    assert slots["reg_postcode"] is None and responses(messages) == ["utter_invalid_postcode"]
    slots, messages = await validate(domain, "reg_postcode", "00000", slots={"registration_id": 7})
    assert responses(messages) == ["utter_invalid_postcode_unknown"]


async def test_phone_email_and_office(domain, fake_backend):
    fake_backend.routes["PATCH /api/v1/registrations/7"] = (200, view())
    base = {"registration_id": 7, "reg_state": "selangor"}
    slots, _ = await validate(domain, "reg_phone", "03-2345 6789", slots=base)
    assert slots["reg_phone"] == "+60323456789"
    slots, messages = await validate(domain, "reg_phone", "12345", slots=base)
    assert slots["reg_phone"] is None and responses(messages) == ["utter_invalid_reg_phone"]
    slots, messages = await validate(domain, "reg_email", "not-an-email", slots=base)
    assert responses(messages) == ["utter_invalid_email"]
    slots, _ = await validate(domain, "reg_induction_office", "Klang", slots=base)
    assert slots["reg_induction_office"] == "klang"
    slots, messages = await validate(domain, "reg_induction_office", "Kuching", slots=base)
    assert slots["reg_induction_office"] is None
    assert responses(messages) == ["utter_invalid_reg_choice"] and messages[0]["buttons"]


# --------------------------------------------------------------------------- ask, summary


async def test_entity_question_has_buttons_in_the_users_language(domain):
    _, messages = await run(
        ActionAskRegBusinessEntity(), make_tracker(slots={"language": "ms"}), domain
    )
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert "Milikan tunggal" in titles
    assert all(b["payload"].startswith('/inform{"choice":') for b in messages[0]["buttons"])


async def test_offices_for_the_state(domain):
    _, messages = await run(
        ActionAskRegInductionOffice(), make_tracker(slots={"reg_state": "selangor"}), domain
    )
    assert messages[0]["response"] == "utter_ask_reg_induction_office"
    assert messages[0]["state"] == "Selangor"
    assert {b["payload"] for b in messages[0]["buttons"]} >= {'/inform{"choice":"klang"}'}


async def test_summary_names_everything(domain):
    _, messages = await run(
        ActionAskEmployerRegistrationConfirm(), make_tracker(slots=FILLED), domain
    )
    message = messages[0]
    assert message["response"] == "utter_employer_registration_summary"
    assert message["industry"].startswith("I ")
    assert message["phone"] == "+60323456789" and message["state"] == "Kuala Lumpur"
    assert message["reference"] == "CRN11202600000007"


def test_summary_offers_confirm_change_and_cancel(domain):
    variants = domain["responses"]["utter_employer_registration_summary"]
    payloads = [b["payload"] for b in variants[-1]["buttons"]]
    assert payloads[0] == "/affirm" and payloads[-1] == "/cancel"
    assert '/change_field{"field":"reg_registration_no"}' in payloads


async def test_change_from_the_summary_clears_the_field_and_what_depends_on_it(domain):
    slots, _ = await validate(
        domain,
        "employer_registration_confirm",
        "change",
        slots=FILLED,
        entities=[{"entity": "field", "value": "reg_business_entity"}],
        intent="change_field",
    )
    assert slots["reg_business_entity"] is None and slots["reg_registration_no"] is None
    assert slots["reg_sub_entity"] is None and slots["employer_registration_confirm"] is None
    slots, messages = await validate(
        domain, "employer_registration_confirm", "no", slots=FILLED, intent="deny"
    )
    assert responses(messages) == ["utter_employer_registration_which_field"]


def test_example_per_entity():
    assert ssm_example("sdn_bhd", "local_company") == "202001012345"
    assert ssm_example("sole_proprietorship", "ssm_business") == "202003012345"


# --------------------------------------------------------------------------- finish, cancel


async def test_confirm_gives_the_reference(domain, fake_backend):
    fake_backend.routes["GET /api/v1/registrations/7"] = (
        200,
        view(employer_name="Maju Jaya Sdn Bhd", missing_fields=[]),
    )
    events, messages = await run(
        ActionSubmitEmployerRegistration(), make_tracker(slots=FILLED), domain
    )
    assert responses(messages) == ["utter_employer_registration_saved"]
    assert messages[0]["reference"] == "CRN11202600000007"
    slots = slot_values(events)
    assert slots["reg_employer_name"] is None
    assert slots["registration_reference"] == "CRN11202600000007"


async def test_confirm_with_something_unsaved_asks_again(domain, fake_backend):
    fake_backend.routes["GET /api/v1/registrations/7"] = (
        200,
        view(missing_fields=["phone"]),
    )
    events, messages = await run(
        ActionSubmitEmployerRegistration(), make_tracker(slots=FILLED), domain
    )
    assert responses(messages) == ["utter_registration_incomplete"]
    assert slot_values(events)["reg_phone"] is None


async def test_cancel_keeps_the_draft_and_says_so(domain):
    tracker = make_tracker(slots=FILLED, intent="cancel", active_loop=FORM)
    events, messages = await run(ActionCancelForm(), tracker, domain)
    assert responses(messages) == ["utter_registration_cancelled"]
    assert messages[0]["reference"] == "CRN11202600000007"
    assert slot_values(events)["reg_employer_name"] is None


async def test_accept_terms(domain, fake_backend):
    fake_backend.routes["POST /api/v1/auth/terms"] = (200, {"terms_accepted": True})
    _, messages = await run(ActionAcceptTerms(), make_tracker(), domain)
    assert responses(messages) == ["utter_terms_accepted_now"]
    fake_backend.routes["POST /api/v1/auth/terms"] = (401, error("not_logged_in"))
    _, messages = await run(ActionAcceptTerms(), make_tracker(), domain)
    assert responses(messages) == ["utter_registration_login_first"]


def test_both_employer_forms_validate_their_address_and_contact_answers():
    """The shared answers are wired to each form's own slots (the SDK looks them up by name)."""
    from bot.actions.domestic_employer import ValidateDomesticEmployerRegistrationForm
    from bot.actions.registration import ValidateEmployerRegistrationForm

    for form, prefix in (
        (ValidateEmployerRegistrationForm(), "reg"),
        (ValidateDomesticEmployerRegistrationForm(), "dom"),
    ):
        for part in ("address", "postcode", "city", "email", "phone", "induction_office"):
            assert callable(getattr(form, f"validate_{prefix}_{part}", None)), (prefix, part)
