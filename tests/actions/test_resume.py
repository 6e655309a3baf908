"""'continue' picks the form or draft the user left; discarding a draft asks first."""

import httpx
import pytest

from bot.actions import backend_client
from bot.actions.resume import (
    ActionConfirmDiscard,
    ActionDiscardDraft,
    ActionKeepDraft,
    ActionResume,
)
from tests.actions.conftest import Unreachable, error, make_tracker, responses, run, slot_values
from tests.backend.registration_helpers import SENDER, create_company, headers, login_chat
from tests.conftest import SERVICE_TOKEN

LIST = "GET /api/v1/registrations"


def with_history(tracker, *events):
    """Put earlier events (e.g. a form that was active) before the latest user message."""
    tracker.events[:0] = list(events)
    return tracker


def loop(name):
    return {"event": "active_loop", "name": name}


def drafts(fake, *views):
    fake.routes[LIST] = (
        200,
        {
            "registrations": [
                {"id": v["id"], "registration_type": v["registration_type"], "status": "draft"}
                for v in views
            ]
        },
    )
    for view in views:
        fake.routes[f"GET /api/v1/registrations/{view['id']}"] = (200, {"status": "draft", **view})


async def resume(domain, tracker):
    events, messages = await run(ActionResume(), tracker, domain)
    return slot_values(events), responses(messages)


async def test_the_form_left_last_wins(domain, fake_backend):
    drafts(
        fake_backend,
        {"id": 7, "registration_type": "employer", "missing_fields": ["phone"]},
    )
    tracker = with_history(
        make_tracker(slots={"registration_id": 7, "fw_name": "Budi"}),
        loop("employer_registration_form"),
        loop(None),
        loop("foreign_employee_form"),
        loop(None),
    )
    slots, said = await resume(domain, tracker)
    assert slots["resume_target"] == "foreign_employee"
    tracker = with_history(
        make_tracker(slots={"registration_id": 7, "fw_name": "Budi"}),
        loop("foreign_employee_form"),
        loop(None),
        loop("employer_registration_form"),
        loop(None),
    )
    slots, _ = await resume(domain, tracker)
    assert slots["resume_target"] == "employer_registration"


async def test_a_backend_draft_is_resumed_without_any_slots(domain, fake_backend):
    drafts(
        fake_backend,
        {"id": 9, "registration_type": "domestic", "missing_fields": ["phone"]},
    )
    slots, said = await resume(domain, make_tracker())
    assert slots == {"resume_target": "domestic_registration"} and said == []


async def test_portal_id_answers_in_slots(domain, fake_backend):
    fake_backend.routes[LIST] = (401, error("not_logged_in"))
    slots, said = await resume(domain, make_tracker(slots={"applicant_name": "Aminah"}))
    assert slots == {"resume_target": "portal_id"}
    assert said == ["utter_resume_portal_id"]


async def test_local_employee_needs_its_registration(domain, fake_backend):
    fake_backend.routes[LIST] = (200, {"registrations": []})
    slots, _ = await resume(domain, make_tracker(slots={"emp_id_type": "mykad"}))
    assert slots["resume_target"] == "none"
    slots, said = await resume(
        domain, make_tracker(slots={"emp_id_type": "mykad", "registration_id": 7})
    )
    assert slots == {"resume_target": "local_employee"} and said == ["utter_resume_employee"]


async def test_a_complete_draft_gets_the_next_steps(domain, fake_backend):
    drafts(
        fake_backend,
        {
            "id": 7,
            "registration_type": "employer",
            "missing_fields": [],
            "reference": "CRN1",
            "employees_count": 2,
        },
    )
    slots, said = await resume(domain, make_tracker())
    assert slots["resume_target"] == "registration_next" and slots["registration_id"] == 7
    assert said == ["utter_resume_registration_next"]


async def test_nothing_and_backend_down(domain, fake_backend):
    fake_backend.routes[LIST] = (200, {"registrations": []})
    slots, said = await resume(domain, make_tracker())
    assert slots == {"resume_target": "none"} and said == ["utter_nothing_to_resume"]
    fake_backend.routes[LIST] = Unreachable()
    slots, said = await resume(domain, make_tracker())
    assert slots == {"resume_target": "none"} and said == ["utter_service_unavailable_general"]
    # Answers kept in the chat still resume when the backend is down.
    slots, _ = await resume(domain, make_tracker(slots={"applicant_name": "Aminah"}))
    assert slots == {"resume_target": "portal_id"}


async def test_discard_asks_first_naming_the_draft(domain, fake_backend):
    drafts(
        fake_backend,
        {
            "id": 7,
            "registration_type": "employer",
            "reference": "CRN1",
            "employer_name": "Maju",
            "employees_count": 2,
            "documents": [{"uploaded": 1}, {"uploaded": 2}],
        },
    )
    events, messages = await run(ActionConfirmDiscard(), make_tracker(), domain)
    assert slot_values(events) == {"discard_pending": True, "discard_registration_id": 7}
    assert responses(messages) == ["utter_ask_discard_confirm"]
    assert messages[0]["employees"] == 2 and messages[0]["documents"] == 3
    assert not [r for r in fake_backend.requests if r.method == "DELETE"]


async def test_discard_with_nothing_or_logged_out(domain, fake_backend):
    fake_backend.routes[LIST] = (200, {"registrations": []})
    events, messages = await run(ActionConfirmDiscard(), make_tracker(), domain)
    assert slot_values(events)["discard_pending"] is False
    assert responses(messages) == ["utter_discard_nothing"]
    fake_backend.routes[LIST] = (401, error("not_logged_in"))
    _, messages = await run(ActionConfirmDiscard(), make_tracker(), domain)
    assert responses(messages) == ["utter_registration_login_first"]


def answering_discard(slots):
    tracker = make_tracker(slots=slots, intent="affirm", text="yes")
    return with_history(
        tracker,
        {"event": "user", "text": "discard my draft"},
        {"event": "action", "name": "action_confirm_discard"},
    )


async def test_a_later_yes_about_something_else_deletes_nothing(domain, fake_backend):
    drafts(fake_backend, {"id": 7, "registration_type": "employer"})
    tracker = make_tracker(
        slots={"discard_pending": True, "discard_registration_id": 7}, intent="affirm"
    )
    tracker = with_history(
        tracker,
        {"event": "user", "text": "discard my draft"},
        {"event": "action", "name": "action_confirm_discard"},
        {"event": "user", "text": "what is SOCSO"},
        {"event": "action", "name": "utter_faq"},
    )
    events, messages = await run(ActionDiscardDraft(), tracker, domain)
    assert responses(messages) == ["utter_draft_kept"]
    assert not [r for r in fake_backend.requests if r.method == "DELETE"]


async def test_keep(domain):
    events, messages = await run(ActionKeepDraft(), make_tracker(), domain)
    assert slot_values(events)["discard_pending"] is False
    assert responses(messages) == ["utter_draft_kept"]


@pytest.fixture
def real_backend(backend_app, backend_settings):
    backend_client.configure(
        transport=httpx.ASGITransport(app=backend_app),
        base_url="http://testserver",
        token=SERVICE_TOKEN,
    )
    yield backend_settings
    backend_client.configure()


async def test_discard_against_the_backend(domain, real_backend, client, service_headers):
    login_chat(real_backend, SENDER)
    registration = create_company(client, headers(service_headers))
    rid = registration["id"]
    slots = {"registration_id": rid, "reg_phone": "+60123456789"}
    events, messages = await run(
        ActionConfirmDiscard(), make_tracker(slots=slots, sender_id=SENDER), domain
    )
    slots.update(slot_values(events))
    tracker = answering_discard(slots)
    tracker.sender_id = SENDER
    events, messages = await run(ActionDiscardDraft(), tracker, domain)
    assert responses(messages) == ["utter_draft_discarded"]
    assert messages[0]["reference"] == registration["reference"]
    changes = slot_values(events)
    assert changes["registration_id"] is None and changes["reg_phone"] is None
    listing = client.get("/api/v1/registrations", headers=headers(service_headers)).json()
    assert listing["registrations"] == []
    # Nothing left to continue.
    events, messages = await run(ActionResume(), make_tracker(sender_id=SENDER), domain)
    assert responses(messages) == ["utter_nothing_to_resume"]
