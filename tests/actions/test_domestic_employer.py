"""QRG 2b: domestic employer registration form — mocked backend for the rules, then the real one."""

from datetime import date

import httpx
import pytest

from bot.actions import backend_client
from bot.actions import domestic_employer as module
from bot.actions.domestic_employer import (
    ActionAskDomConfirm,
    ActionAskDomIdNo,
    ActionAskDomWorkerType,
    ActionCancelDomesticRegistration,
    ActionStartDomesticRegistration,
    ActionSubmitDomesticRegistration,
    ValidateDomesticEmployerRegistrationForm,
)
from tests.actions.conftest import Unreachable, error, make_tracker, responses, run, slot_values
from tests.backend.registration_helpers import SENDER, login_chat
from tests.conftest import SERVICE_TOKEN

FORM = "domestic_employer_registration_form"
TODAY = date(2026, 11, 26)
VIEW = {"id": 21, "reference": "CRN26112600000021", "registration_type": "domestic", "flags": []}


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(module, "_today", lambda: TODAY)


async def validate(domain, slot, value, slots=None, entities=None, intent="inform", sender=None):
    tracker = make_tracker(
        slots=slots or {},
        text=str(value),
        intent=intent,
        entities=entities,
        active_loop=FORM,
        requested_slot=slot,
        slot_events={slot: value},
        **({"sender_id": sender} if sender else {}),
    )
    events, messages = await run(ValidateDomesticEmployerRegistrationForm(), tracker, domain)
    changes = slot_values(events)
    changes.pop("requested_slot", None)
    return changes, messages


async def test_individual_creates_the_domestic_draft(domain, fake_backend):
    fake_backend.routes["POST /api/v1/registrations"] = (201, VIEW)
    slots, messages = await validate(domain, "dom_entity", "yes", intent="affirm")
    assert slots["dom_entity"] == "domestic_individual"
    assert slots["dom_registration_id"] == 21 and slots["registration_id"] == 21
    body = fake_backend.body()
    assert body["registration_type"] == "domestic"
    assert body["business_entity"] == "domestic_individual"


@pytest.mark.parametrize("typed", ["Sdn Bhd", "it's a partnership", "koperasi"])
async def test_a_business_entity_is_refused_with_the_reason(domain, fake_backend, typed):
    slots, messages = await validate(domain, "dom_entity", typed)
    assert slots == {"dom_entity": None}
    assert responses(messages) == ["utter_dom_must_be_individual"]
    assert messages[0]["entity"] != "-"
    assert fake_backend.requests == []


async def test_no_is_refused_and_gibberish_asks_again(domain, fake_backend):
    _, messages = await validate(domain, "dom_entity", "no", intent="deny")
    assert responses(messages) == ["utter_dom_must_be_individual"]
    _, messages = await validate(domain, "dom_entity", "banana")
    assert responses(messages) == ["utter_dom_entity_unclear"]


async def test_nationality_saved_and_decides_the_id_question(domain, fake_backend):
    fake_backend.routes["PATCH /api/v1/registrations/21"] = (200, VIEW)
    slots, _ = await validate(
        domain, "dom_nationality", "warganegara Malaysia", slots={"dom_registration_id": 21}
    )
    assert slots["dom_nationality"] == "malaysian"
    assert fake_backend.body() == {"nationality": "malaysian"}
    slots, _ = await validate(
        domain,
        "dom_nationality",
        "Indonesian",
        slots={"dom_registration_id": 21, "dom_nationality": "malaysian", "dom_id_no": "x"},
    )
    assert slots["dom_nationality"] == "indonesian" and slots["dom_id_no"] is None
    tracker = make_tracker(slots={"dom_nationality": "malaysian"})
    _, messages = await run(ActionAskDomIdNo(), tracker, domain)
    assert responses(messages) == ["utter_ask_dom_mykad"]
    tracker = make_tracker(slots={"dom_nationality": "indonesian"})
    _, messages = await run(ActionAskDomIdNo(), tracker, domain)
    assert responses(messages) == ["utter_ask_dom_passport"]


async def test_own_mykad_checked_before_saving(domain, fake_backend):
    malaysian = {"dom_registration_id": 21, "dom_nationality": "malaysian"}
    slots, messages = await validate(domain, "dom_id_no", "851315-10-5123", slots=malaysian)
    assert slots == {"dom_id_no": None}
    assert responses(messages) == ["utter_invalid_mykad_date"]
    slots, messages = await validate(domain, "dom_id_no", "850315-00-5123", slots=malaysian)
    assert responses(messages) == ["utter_invalid_mykad_place"]
    assert fake_backend.requests == []
    fake_backend.routes["PATCH /api/v1/registrations/21"] = (200, VIEW)
    slots, _ = await validate(domain, "dom_id_no", "850315-10-5123", slots=malaysian)
    assert slots["dom_id_no"] == "850315105123"
    foreign = {"dom_registration_id": 21, "dom_nationality": "indonesian"}
    slots, messages = await validate(domain, "dom_id_no", "12", slots=foreign)
    assert responses(messages) == ["utter_invalid_fw_passport_no"]


async def test_foreign_employer_of_foreign_worker_is_warned(domain, fake_backend):
    flagged = {**VIEW, "flags": [{"code": "outside_scheme", "message": "..."}]}
    fake_backend.routes["PATCH /api/v1/registrations/21"] = (200, flagged)
    slots, messages = await validate(
        domain,
        "dom_worker_residency",
        "foreign",
        slots={"dom_registration_id": 21, "dom_nationality": "indonesian"},
    )
    assert slots["dom_worker_residency"] == "foreign"
    assert responses(messages) == ["utter_dom_outside_scheme"]


async def test_worker_type_typed_or_button(domain, fake_backend):
    fake_backend.routes["PATCH /api/v1/registrations/21"] = (200, VIEW)
    slots, _ = await validate(domain, "dom_worker_type", "bibik", slots={"dom_registration_id": 21})
    assert slots["dom_worker_type"] == "housemaid"
    slots, messages = await validate(
        domain, "dom_worker_type", "astronaut", slots={"dom_registration_id": 21}
    )
    assert slots == {"dom_worker_type": None} and len(messages[0]["buttons"]) == 8
    _, messages = await run(
        ActionAskDomWorkerType(), make_tracker(slots={"language": "ms"}), domain
    )
    assert messages[0]["buttons"][0]["title"] == "Pembantu rumah"


async def test_postcode_sets_the_state_and_resets_the_office(domain, fake_backend):
    fake_backend.routes["PATCH /api/v1/registrations/21"] = (200, {**VIEW, "state": "selangor"})
    slots, _ = await validate(
        domain,
        "dom_postcode",
        "47300",
        slots={"dom_registration_id": 21, "reg_state": "kuala_lumpur"},
    )
    assert slots["reg_state"] == "selangor" and slots["dom_induction_office"] is None
    slots, messages = await validate(domain, "dom_postcode", "4730")
    assert slots == {"dom_postcode": None}


async def test_backend_down_keeps_asking(domain, fake_backend):
    fake_backend.routes["PATCH /api/v1/registrations/21"] = Unreachable()
    slots, messages = await validate(
        domain, "dom_employer_name", "Tan Ah Kow", slots={"dom_registration_id": 21}
    )
    assert slots == {"dom_employer_name": None}
    assert responses(messages) == ["utter_service_unavailable_general"]


async def test_backend_refuses_a_business_entity(domain, fake_backend):
    fake_backend.routes["POST /api/v1/registrations"] = (
        422,
        error("invalid_business_entity", reason="domestic_employer_must_be_individual"),
    )
    _, messages = await validate(domain, "dom_entity", "individual")
    assert responses(messages) == ["utter_dom_must_be_individual"]


async def test_change_nationality_from_the_summary_asks_the_id_again(domain):
    slots, _ = await validate(
        domain,
        "dom_confirm",
        "change",
        entities=[{"entity": "field", "value": "dom_nationality"}],
        intent="change_field",
    )
    assert slots == {"dom_nationality": None, "dom_id_no": None, "dom_confirm": None, "field": None}


async def test_summary_in_malay(domain):
    tracker = make_tracker(
        slots={
            "language": "ms",
            "dom_nationality": "indonesian",
            "dom_id_no": "A12345678",
            "dom_worker_type": "driver",
            "dom_worker_residency": "foreign",
            "dom_induction_office": "petaling_jaya",
            "reg_state": "selangor",
        }
    )
    _, messages = await run(ActionAskDomConfirm(), tracker, domain)
    assert messages[0]["id_label"] == "Pasport" and messages[0]["worker_type"] == "Pemandu"
    assert messages[0]["worker_residency"] == "Warga asing"
    assert messages[0]["induction_office"] == "PERKESO Petaling Jaya"


async def test_cancel_keeps_the_draft(domain):
    tracker = make_tracker(
        slots={"registration_reference": "CRN1", "dom_nationality": "malaysian"},
        active_loop=FORM,
    )
    events, messages = await run(ActionCancelDomesticRegistration(), tracker, domain)
    assert responses(messages) == ["utter_dom_cancelled"] and messages[0]["reference"] == "CRN1"
    assert slot_values(events)["dom_nationality"] is None
    assert any(e["event"] == "active_loop" and e["name"] is None for e in events)


async def test_start_not_logged_in(domain, fake_backend):
    fake_backend.routes["GET /api/v1/registrations"] = (401, error("not_logged_in"))
    events, messages = await run(ActionStartDomesticRegistration(), make_tracker(), domain)
    assert slot_values(events) == {"registration_ready": False}
    assert responses(messages) == ["utter_registration_login_first"]


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


ANSWERS = [
    ("dom_entity", "yes", "affirm"),
    ("dom_nationality", "Indonesian", "inform"),
    ("dom_id_no", "A12345678", "inform"),
    ("dom_employer_name", "Sari Dewi", "inform"),
    ("dom_worker_type", "driver", "inform"),
    ("dom_worker_residency", "foreign", "inform"),
    ("dom_address", "12 Jalan SS2/24", "inform"),
    ("dom_postcode", "47300", "inform"),
    ("dom_city", "Petaling Jaya", "inform"),
    ("dom_email", "sari@example.com", "inform"),
    ("dom_phone", "012-345 6789", "inform"),
    ("dom_induction_office", '/inform{"choice":"petaling_jaya"}', "inform"),
]


async def test_domestic_registration_against_the_backend(domain, real_backend, monkeypatch):
    monkeypatch.setattr(module, "_today", date.today)
    login_chat(real_backend, SENDER)
    events, messages = await run(
        ActionStartDomesticRegistration(), make_tracker(sender_id=SENDER), domain
    )
    assert responses(messages) == ["utter_dom_intro"]
    slots: dict = {}
    said: list[str] = []
    for slot, typed, intent in ANSWERS:
        entities = []
        if typed.startswith("/inform"):
            entities = [{"entity": "choice", "value": typed.split('"')[3]}]
        changes, messages = await validate(
            domain, slot, typed, slots=slots, entities=entities, intent=intent, sender=SENDER
        )
        assert changes.get(slot), (slot, messages)
        said += responses(messages)
        slots.update(changes)
    assert "utter_dom_outside_scheme" in said  # a foreigner employing a foreign worker
    slots["dom_confirm"] = "yes"
    events, messages = await run(
        ActionSubmitDomesticRegistration(), make_tracker(slots=slots, sender_id=SENDER), domain
    )
    assert responses(messages) == ["utter_dom_saved", "utter_dom_next_foreign"]
    assert messages[0]["reference"].startswith("CRN")
    assert slot_values(events)["registration_id"] == slots["dom_registration_id"]
    # Coming back continues the same draft, with the saved answers (own ID masked).
    events, messages = await run(
        ActionStartDomesticRegistration(), make_tracker(sender_id=SENDER), domain
    )
    assert responses(messages) == ["utter_registration_resume_draft"]
    restored = slot_values(events)
    assert restored["dom_employer_name"] == "Sari Dewi"
    assert restored["dom_id_no"] and "A12345678" != restored["dom_id_no"]
