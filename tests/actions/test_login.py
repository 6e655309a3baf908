from bot.actions.login import ActionLoginComplete, ValidateLoginForm
from tests.actions.conftest import Unreachable, error, make_tracker, responses, run, slot_values

OTP = "POST /api/v1/auth/otp"
VERIFY = "POST /api/v1/auth/otp/verify"
TERMS = "POST /api/v1/auth/terms"


async def validate(domain, slot, value, slots=None, intent="inform"):
    tracker = make_tracker(
        slots=slots,
        text=str(value),
        intent=intent,
        active_loop="login_form",
        requested_slot=slot,
        slot_events={slot: value},
        sender_id="web-s1",
    )
    events, messages = await run(ValidateLoginForm(), tracker, domain)
    return slot_values(events), messages


async def test_email_sends_a_code(domain, fake_backend):
    fake_backend.routes[OTP] = (200, {"status": "sent", "expires_in_seconds": 600})
    slots, messages = await validate(domain, "login_email", "Aminah@Example.com")
    assert slots == {"login_email": "aminah@example.com"}
    assert fake_backend.body() == {
        "sender_id": "web-s1",
        "email": "aminah@example.com",
        "language": "en",
    }
    assert responses(messages) == ["utter_login_code_sent"]
    assert messages[0]["minutes"] == 10


async def test_invalid_email_is_not_sent(domain, fake_backend):
    slots, messages = await validate(domain, "login_email", "not an email")
    assert slots == {"login_email": None}
    assert responses(messages) == ["utter_invalid_email"]
    assert fake_backend.requests == []


async def test_no_account_offers_to_apply(domain, fake_backend):
    fake_backend.routes[OTP] = (404, error("no_account"))
    slots, messages = await validate(domain, "login_email", "nobody@example.com")
    assert slots == {"login_email": None}
    assert responses(messages) == ["utter_login_no_account"]


async def test_locked_stops_the_form_and_says_when(domain, fake_backend):
    fake_backend.routes[OTP] = (423, error("locked", retry_after_seconds=900))
    slots, messages = await validate(domain, "login_email", "aminah@example.com")
    assert slots["requested_slot"] is None
    assert responses(messages) == ["utter_login_locked"]
    assert messages[0]["minutes"] == 15


async def test_code_must_be_six_digits(domain, fake_backend):
    slots, messages = await validate(
        domain, "login_code", "12345", slots={"login_email": "a@example.com"}
    )
    assert slots == {"login_code": None}
    assert responses(messages) == ["utter_invalid_login_code"]
    assert fake_backend.requests == []


async def test_wrong_code_says_tries_left(domain, fake_backend):
    fake_backend.routes[VERIFY] = (400, error("wrong_code", tries_left=4))
    slots, messages = await validate(
        domain, "login_code", "123 456", slots={"login_email": "a@example.com"}
    )
    assert fake_backend.body()["code"] == "123456"
    assert slots == {"login_code": None}
    assert responses(messages) == ["utter_login_wrong_code"]
    assert messages[0]["tries_left"] == 4


async def test_expired_code_offers_a_new_one(domain, fake_backend):
    fake_backend.routes[VERIFY] = (410, error("expired"))
    slots, messages = await validate(
        domain, "login_code", "123456", slots={"login_email": "a@example.com"}
    )
    assert slots == {"login_code": None}
    assert responses(messages) == ["utter_login_code_expired"]
    variants = domain["responses"]["utter_login_code_expired"]
    assert variants[-1]["buttons"][0]["payload"] == "/resend_code"


async def test_resend_asks_the_backend_again(domain, fake_backend):
    fake_backend.routes[OTP] = (200, {"status": "sent", "expires_in_seconds": 600})
    slots, messages = await validate(
        domain, "login_code", "resend", slots={"login_email": "a@example.com"}, intent="resend_code"
    )
    assert slots == {"login_code": None}
    assert responses(messages) == ["utter_login_code_sent"]
    assert fake_backend.requests[-1].url.path == "/api/v1/auth/otp"


async def test_locked_on_verify(domain, fake_backend):
    fake_backend.routes[VERIFY] = (423, error("locked", retry_after_seconds=600))
    slots, messages = await validate(
        domain, "login_code", "123456", slots={"login_email": "a@example.com"}
    )
    assert slots["requested_slot"] is None and slots["login_email"] is None
    assert responses(messages) == ["utter_login_locked"]
    assert messages[0]["minutes"] == 10


async def test_verified_with_terms_already_accepted(domain, fake_backend):
    fake_backend.routes[VERIFY] = (
        200,
        {
            "status": "verified",
            "account": {
                "id": 1,
                "email": "a@example.com",
                "full_name": "Aminah",
                "terms_accepted": True,
            },
        },
    )
    slots, messages = await validate(
        domain, "login_code", "123456", slots={"login_email": "a@example.com"}
    )
    assert slots == {
        "login_code": "verified",
        "logged_in": True,
        "account_name": "Aminah",
        "terms_accepted": True,
    }
    assert messages == []


async def test_verified_without_terms_leaves_them_to_ask(domain, fake_backend):
    fake_backend.routes[VERIFY] = (
        200,
        {
            "status": "verified",
            "account": {
                "id": 1,
                "email": "a@example.com",
                "full_name": "Aminah",
                "terms_accepted": False,
            },
        },
    )
    slots, _ = await validate(
        domain, "login_code", "123456", slots={"login_email": "a@example.com"}
    )
    assert "terms_accepted" not in slots and slots["logged_in"] is True


async def test_agreeing_records_the_terms(domain, fake_backend):
    fake_backend.routes[TERMS] = (200, {"terms_accepted": True})
    slots, _ = await validate(
        domain, "terms_accepted", True, slots={"logged_in": True}, intent="affirm"
    )
    assert slots == {"terms_accepted": True}
    assert fake_backend.body() == {"sender_id": "web-s1"}


async def test_backend_down_during_login(domain, fake_backend):
    fake_backend.routes[OTP] = Unreachable()
    slots, messages = await validate(domain, "login_email", "a@example.com")
    assert slots["requested_slot"] is None
    assert responses(messages) == ["utter_service_unavailable_general"]


async def test_login_complete_greets_by_name(domain):
    tracker = make_tracker(
        slots={"logged_in": True, "terms_accepted": True, "account_name": "Aminah"}
    )
    events, messages = await run(ActionLoginComplete(), tracker, domain)
    assert responses(messages) == ["utter_login_success"]
    assert messages[0]["account_name"] == "Aminah"
    assert slot_values(events)["login_code"] is None


async def test_login_complete_terms_declined(domain):
    tracker = make_tracker(slots={"logged_in": True, "terms_accepted": False})
    _, messages = await run(ActionLoginComplete(), tracker, domain)
    assert responses(messages) == ["utter_terms_declined"]
