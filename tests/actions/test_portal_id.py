import pytest

from bot.actions.portal_id import (
    ActionAskPortalIdConfirm,
    ActionSubmitPortalId,
    ValidatePortalIdForm,
    check_name,
    format_mobile,
)
from tests.actions.conftest import Unreachable, error, make_tracker, responses, run, slot_values

FILLED = {
    "applicant_name": "Aminah binti Abdullah",
    "mykad": "900101145678",
    "email": "aminah@example.com",
    "mobile": "+60123456789",
    "company_name": "Syarikat Maju Jaya Sdn Bhd",
    "company_role": "Director",
}


async def validate(domain, slot, value, slots=None, **kwargs):
    tracker = make_tracker(
        slots=slots,
        text=str(value),
        active_loop="portal_id_form",
        requested_slot=slot,
        slot_events={slot: value},
        **kwargs,
    )
    events, messages = await run(ValidatePortalIdForm(), tracker, domain)
    return slot_values(events), messages


@pytest.mark.parametrize(
    ("typed", "response", "var"),
    [
        ("12345", "utter_invalid_mykad_length", None),
        ("901301-14-5678", "utter_invalid_mykad_date", ("date_part", "901301")),
        ("900101-00-5678", "utter_invalid_mykad_place", ("place_code", "00")),
        ("900101-17-5678", "utter_invalid_mykad_place", ("place_code", "17")),
    ],
)
async def test_mykad_failures_each_have_their_reply(domain, typed, response, var):
    slots, messages = await validate(domain, "mykad", typed)
    assert slots["mykad"] is None
    assert responses(messages) == [response]
    if var:
        assert messages[0][var[0]] == var[1]


async def test_mykad_is_stored_without_dashes(domain):
    slots, messages = await validate(domain, "mykad", "900101-14-5678")
    assert slots["mykad"] == "900101145678" and messages == []


async def test_email_and_mobile(domain):
    slots, _ = await validate(domain, "email", "  Aminah@Example.COM ")
    assert slots["email"] == "aminah@example.com"
    slots, messages = await validate(domain, "email", "aminah-at-example")
    assert slots["email"] is None and responses(messages) == ["utter_invalid_email"]
    slots, _ = await validate(domain, "mobile", "012-345 6789")
    assert slots["mobile"] == "+60123456789"
    slots, messages = await validate(domain, "mobile", "03-1234 5678")
    assert slots["mobile"] is None and responses(messages) == ["utter_invalid_mobile"]


@pytest.mark.parametrize(
    ("typed", "code"),
    [("   ", "empty"), ("123456", "digits"), ("x" * 101, "too_long"), ("/affirm", "command")],
)
def test_check_name_codes(typed, code):
    assert check_name(typed) == (None, code)


async def test_bad_company_name_reply_names_the_field(domain):
    slots, messages = await validate(domain, "company_name", "12345")
    assert slots["company_name"] is None
    assert responses(messages) == ["utter_invalid_name_digits"]
    assert messages[0]["field_label"] == "company name"
    slots, _ = await validate(domain, "applicant_name", "  Aminah   binti Abdullah ")
    assert slots["applicant_name"] == "Aminah binti Abdullah"


def test_format_mobile():
    assert format_mobile("+60123456789") == "012-345 6789"
    assert format_mobile("+601123456789") == "011-2345 6789"


async def test_summary_shows_every_field(domain):
    tracker = make_tracker(slots=FILLED, active_loop="portal_id_form")
    _, messages = await run(ActionAskPortalIdConfirm(), tracker, domain)
    (message,) = messages
    assert message["response"] == "utter_portal_id_summary"
    assert message["mykad_display"] == "900101-14-5678"
    assert message["mobile_display"] == "012-345 6789"
    assert message["email"] == "aminah@example.com"


async def test_change_from_the_summary_clears_that_field_and_the_confirmation(domain):
    slots, messages = await validate(
        domain,
        "portal_id_confirm",
        "change",
        slots={**FILLED, "field": "email"},
        intent="change_field",
        entities=[{"entity": "field", "value": "email"}],
    )
    assert slots == {"email": None, "portal_id_confirm": None, "field": None}
    assert messages == []


async def test_deny_at_the_summary_asks_what_to_change(domain):
    slots, messages = await validate(domain, "portal_id_confirm", "no", slots=FILLED, intent="deny")
    assert slots["portal_id_confirm"] is None
    assert responses(messages) == ["utter_portal_id_which_field"]


async def test_confirm_is_kept(domain):
    slots, _ = await validate(domain, "portal_id_confirm", "yes", slots=FILLED, intent="affirm")
    assert slots["portal_id_confirm"] == "yes"


def submitted_tracker(language="en"):
    return make_tracker(
        slots={**FILLED, "portal_id_confirm": "yes", "language": language},
        sender_id="web-abc",
    )


async def test_submit_success(domain, fake_backend):
    fake_backend.routes["POST /api/v1/portal-applications"] = (
        201,
        {
            "id": 1,
            "reference": "PID000123",
            "form_pdf_url": "http://127.0.0.1:8000/files/portal-form/1?t=x",
            "email": "aminah@example.com",
            "email_sent": True,
        },
    )
    events, messages = await run(ActionSubmitPortalId(), submitted_tracker("ms"), domain)
    body = fake_backend.body()
    assert body == {
        "sender_id": "web-abc",
        "full_name": "Aminah binti Abdullah",
        "mykad": "900101145678",
        "email": "aminah@example.com",
        "mobile": "+60123456789",
        "company_name": "Syarikat Maju Jaya Sdn Bhd",
        "company_role": "Director",
        "language": "ms",
    }
    assert fake_backend.requests[-1].headers["authorization"] == "Bearer service-token"
    assert responses(messages) == [
        "utter_portal_id_submitted",
        "utter_portal_id_form_ready",
        "utter_portal_id_emailed",
        "utter_portal_id_how_to_login",
    ]
    assert messages[0]["reference"] == "PID000123"
    assert messages[1]["custom"] == {
        "document": {
            "url": "http://127.0.0.1:8000/files/portal-form/1?t=x",
            "filename": "Borang-Permohonan-Portal-ASSIST.pdf",
        }
    }
    slots = slot_values(events)
    assert slots["mykad"] is None and slots["portal_id_confirm"] is None
    assert slots["portal_id_pending"] is False


async def test_submit_account_exists_offers_login(domain, fake_backend):
    fake_backend.routes["POST /api/v1/portal-applications"] = (409, error("account_exists"))
    events, messages = await run(ActionSubmitPortalId(), submitted_tracker(), domain)
    assert responses(messages) == ["utter_portal_id_account_exists"]
    assert slot_values(events)["email"] is None


async def test_submit_backend_down_keeps_everything(domain, fake_backend):
    fake_backend.routes["POST /api/v1/portal-applications"] = Unreachable()
    events, messages = await run(ActionSubmitPortalId(), submitted_tracker(), domain)
    assert responses(messages) == ["utter_service_unavailable"]
    assert slot_values(events) == {"portal_id_pending": True}


async def test_submit_server_error_is_unavailable(domain, fake_backend):
    fake_backend.routes["POST /api/v1/portal-applications"] = (500, {"detail": "boom"})
    events, messages = await run(ActionSubmitPortalId(), submitted_tracker(), domain)
    assert responses(messages) == ["utter_service_unavailable"]
    assert slot_values(events) == {"portal_id_pending": True}


async def test_submit_field_rejected_clears_that_field(domain, fake_backend):
    fake_backend.routes["POST /api/v1/portal-applications"] = (422, error("invalid_mobile"))
    events, messages = await run(ActionSubmitPortalId(), submitted_tracker(), domain)
    assert responses(messages) == ["utter_portal_id_field_rejected"]
    assert slot_values(events)["mobile"] is None


@pytest.mark.parametrize("intent", ["affirm", "nlu_fallback", "inform"])
async def test_an_email_is_the_answer_whatever_the_intent(domain, intent):
    """'corrected.4ab5@example.com' reads as affirm to the classifier; from_text refuses affirm,
    so without the shape check the form rejected the answer and the user got a fallback."""
    tracker = make_tracker(
        slots={"applicant_name": "Aminah binti Abdullah"},
        text="corrected.4ab513f6@example.com",
        intent=intent,
        active_loop="portal_id_form",
        requested_slot="email",
    )
    events, messages = await run(ValidatePortalIdForm(), tracker, domain)
    assert slot_values(events)["email"] == "corrected.4ab513f6@example.com"
    assert messages == []


async def test_a_non_email_is_not_taken_by_shape(domain):
    tracker = make_tracker(
        text="yes",
        intent="affirm",
        active_loop="portal_id_form",
        requested_slot="email",
    )
    events, _ = await run(ValidatePortalIdForm(), tracker, domain)
    assert "email" not in slot_values(events)
