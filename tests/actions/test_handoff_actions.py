"""Handoff, callback and fallback actions (issue 6) against a fake backend."""

from __future__ import annotations

from typing import Any

import httpx
from rasa_sdk import Tracker

from bot.actions.common import ActionFallback
from bot.actions.handoff import (
    ActionHandoffRequest,
    ActionHandoffResume,
    ActionSubmitCallback,
    ValidateCallbackForm,
)
from tests.actions.conftest import make_tracker, responses, run, slot_values


def fallback_tracker(
    previous: list[str],
    ranking: list[tuple[str, float]],
    language: str = "en",
    form: str | None = None,
    answered_by: str = "action_fallback",
) -> Tracker:
    """A tracker whose user turns had ``previous`` intents, the latest an ``nlu_fallback``.

    Each earlier turn was answered by ``answered_by``; ``form`` is the active form, if any.
    """
    latest = {
        "text": "zzz",
        "intent": {"name": "nlu_fallback", "confidence": 0.4},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        "entities": [],
    }
    events: list[dict[str, Any]] = []
    for name in previous:
        events += [
            {"event": "user", "text": "x", "parse_data": {"intent": {"name": name}}},
            {"event": "action", "name": answered_by},
            {"event": "action", "name": "action_listen"},
        ]
    events.append({"event": "user", "text": "zzz", "parse_data": latest})
    if form:
        events.append({"event": "action_execution_rejected", "name": form})
    return Tracker(
        sender_id="web-x",
        slots={"language": language},
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": form} if form else {},
        latest_action_name="action_listen",
    )


async def test_first_fallback_offers_the_two_likeliest_intents(domain) -> None:  # type: ignore[no-untyped-def]
    tracker = fallback_tracker(
        ["greet"],
        [
            ("nlu_fallback", 0.4),
            ("inform", 0.3),
            ("login", 0.2),
            ("ask_contribution_rate", 0.1),
            ("apply_portal_id", 0.05),
        ],
    )
    _, messages = await run(ActionFallback(), tracker, domain)
    (message,) = messages
    assert message["response"] == "utter_clarify"
    assert message["buttons"] == [
        {"title": "Log in", "payload": "/login"},
        {"title": "Contribution for a wage", "payload": "/ask_contribution_rate"},
        {"title": "What can you help with?", "payload": "/help"},
    ]


async def test_clarifying_buttons_in_malay(domain) -> None:  # type: ignore[no-untyped-def]
    tracker = fallback_tracker([], [("faq/what_is_assist", 0.3), ("register_employer", 0.2)], "ms")
    _, messages = await run(ActionFallback(), tracker, domain)
    assert [b["title"] for b in messages[0]["buttons"]] == [
        "Soalan tentang ASSIST",
        "Daftar perniagaan saya",
        "Apa yang boleh anda bantu?",
    ]


async def test_second_fallback_in_a_row_offers_a_person(domain) -> None:  # type: ignore[no-untyped-def]
    tracker = fallback_tracker(["nlu_fallback"], [("login", 0.3)])
    _, messages = await run(ActionFallback(), tracker, domain)
    assert responses(messages) == ["utter_handoff_offer"]


async def test_fallback_with_nothing_to_offer_says_so(domain) -> None:  # type: ignore[no-untyped-def]
    tracker = fallback_tracker([], [("inform", 0.3), ("affirm", 0.2)])
    _, messages = await run(ActionFallback(), tracker, domain)
    assert responses(messages) == ["utter_default"]


async def test_handoff_request_sends_flow_and_answers(domain, fake_backend) -> None:  # type: ignore[no-untyped-def]
    fake_backend.routes["POST /api/v1/handoffs"] = (
        200,
        {"status": "queued", "ticket_id": 3, "waiting": 2},
    )
    tracker = make_tracker(
        slots={"applicant_name": "Aminah", "mykad": None, "language": "ms"},
        intent="human_handoff",
        active_loop="portal_id_form",
        requested_slot="mykad",
        sender_id="web-abc",
    )
    events, messages = await run(ActionHandoffRequest(), tracker, domain)
    body = fake_backend.body()
    assert body["sender_id"] == "web-abc" and body["flow"] == "portal_id_form"
    assert body["requested_slot"] == "mykad" and body["language"] == "ms"
    assert body["slots"] == {"applicant_name": "Aminah", "language": "ms"}
    assert body["reason"] == "asked"
    assert slot_values(events) == {"handoff_status": "queued"}
    assert messages[0]["response"] == "utter_handoff_queued" and messages[0]["waiting"] == 2


async def test_handoff_closed_outside_a_form_offers_a_callback(domain, fake_backend) -> None:  # type: ignore[no-untyped-def]
    fake_backend.routes["POST /api/v1/handoffs"] = (
        200,
        {"status": "closed", "opens_en": "Monday at 08:00", "opens_ms": "Isnin pukul 08:00"},
    )
    events, messages = await run(
        ActionHandoffRequest(), make_tracker(intent="human_handoff"), domain
    )
    assert slot_values(events) == {"handoff_status": "closed"}
    assert messages[0]["response"] == "utter_handoff_closed"
    assert messages[0]["opens"] == "Monday at 08:00"


async def test_handoff_closed_in_a_form_carries_on(domain, fake_backend) -> None:  # type: ignore[no-untyped-def]
    fake_backend.routes["POST /api/v1/handoffs"] = (
        200,
        {"status": "closed", "opens_en": "Monday at 08:00", "opens_ms": "Isnin pukul 08:00"},
    )
    tracker = make_tracker(
        intent="human_handoff",
        active_loop="login_form",
        requested_slot="login_email",
        slots={"language": "ms"},
    )
    _, messages = await run(ActionHandoffRequest(), tracker, domain)
    assert messages[0]["response"] == "utter_handoff_closed_in_form"
    assert messages[0]["opens"] == "Isnin pukul 08:00"


async def test_handoff_backend_down(domain, fake_backend) -> None:  # type: ignore[no-untyped-def]
    fake_backend.routes["POST /api/v1/handoffs"] = httpx.ConnectError("refused")
    events, messages = await run(
        ActionHandoffRequest(), make_tracker(intent="human_handoff"), domain
    )
    assert slot_values(events) == {"handoff_status": "unavailable"}
    assert responses(messages) == ["utter_handoff_unavailable"]


async def test_resume_says_the_bot_is_back(domain) -> None:  # type: ignore[no-untyped-def]
    tracker = make_tracker(intent="handoff_resume", active_loop="portal_id_form")
    events, messages = await run(ActionHandoffResume(), tracker, domain)
    assert responses(messages) == ["utter_handoff_returned"]
    assert slot_values(events) == {"handoff_status": None}
    _, outside = await run(ActionHandoffResume(), make_tracker(intent="handoff_resume"), domain)
    assert responses(outside) == ["utter_handoff_returned", "utter_help"]


async def test_callback_phone_is_checked(domain) -> None:  # type: ignore[no-untyped-def]
    form = ValidateCallbackForm()
    for typed, expected in (
        ("012-345 6789", "+60123456789"),
        ("12345", None),
        ("'; DROP TABLE x;--", None),
        ("9" * 5000, None),
    ):
        tracker = make_tracker(
            text=typed,
            active_loop="callback_form",
            requested_slot="callback_phone",
            slot_events={"callback_phone": typed},
        )
        events, messages = await run(form, tracker, domain)
        assert slot_values(events)["callback_phone"] == expected
        if expected is None:
            assert responses(messages) == ["utter_invalid_callback_phone"]


async def test_callback_time_too_long_is_refused(domain) -> None:  # type: ignore[no-untyped-def]
    tracker = make_tracker(
        text="x" * 10_000,
        active_loop="callback_form",
        requested_slot="callback_time",
        slot_events={"callback_time": "x" * 10_000},
    )
    events, messages = await run(ValidateCallbackForm(), tracker, domain)
    assert slot_values(events)["callback_time"] is None
    assert responses(messages) == ["utter_invalid_callback_time"]


async def test_submit_callback(domain, fake_backend) -> None:  # type: ignore[no-untyped-def]
    fake_backend.routes["POST /api/v1/handoffs/callbacks"] = (
        201,
        {"id": 1, "phone": "+60123456789", "preferred_time": "Monday after 2pm"},
    )
    tracker = make_tracker(
        slots={"callback_phone": "+60123456789", "callback_time": "Monday after 2pm"}
    )
    events, messages = await run(ActionSubmitCallback(), tracker, domain)
    assert fake_backend.body()["preferred_time"] == "Monday after 2pm"
    assert messages[0]["response"] == "utter_callback_saved"
    assert messages[0]["phone"] == "+60123456789"
    assert slot_values(events) == {"callback_phone": None, "callback_time": None}


async def test_accepting_the_offer_after_fallbacks_is_marked_fallback(domain, fake_backend) -> None:  # type: ignore[no-untyped-def]
    from bot.actions.handoff import UTTERED_RESPONSE_KEY

    fake_backend.routes["POST /api/v1/handoffs"] = (200, {"status": "queued", "waiting": 1})
    tracker = make_tracker(intent="human_handoff", text="/human_handoff")
    tracker.events[:0] = [
        {"event": "user", "text": "zzz", "parse_data": {"intent": {"name": "nlu_fallback"}}},
        {
            "event": "bot",
            "text": "Talk to a person?",
            "metadata": {UTTERED_RESPONSE_KEY: "utter_handoff_offer"},
        },
    ]
    await run(ActionHandoffRequest(), tracker, domain)
    assert fake_backend.body()["reason"] == "fallback"


async def test_fallback_inside_a_form_clarifies_and_leaves_the_question_to_the_form(domain) -> None:  # type: ignore[no-untyped-def]
    tracker = fallback_tracker(
        ["ask_contribution_rate"],
        [("nlu_fallback", 0.4), ("inform", 0.3), ("login", 0.2), ("ask_deadline", 0.1)],
        form="rate_quote_form",
    )
    events, messages = await run(ActionFallback(), tracker, domain)
    (message,) = messages
    # The rules run the form next, which asks for the wage again; no help button competes with it.
    assert message["response"] == "utter_clarify_in_form"
    assert message["buttons"] == [
        {"title": "Log in", "payload": "/login"},
        {"title": "Payment deadline", "payload": "/ask_deadline"},
    ]
    assert events == []


async def test_fallback_inside_a_form_with_nothing_to_offer(domain) -> None:  # type: ignore[no-untyped-def]
    tracker = fallback_tracker([], [("inform", 0.3)], "ms", form="login_form")
    _, messages = await run(ActionFallback(), tracker, domain)
    assert responses(messages) == ["utter_default_in_form"]


async def test_second_fallback_in_a_row_inside_a_form_offers_a_person(domain) -> None:  # type: ignore[no-untyped-def]
    tracker = fallback_tracker(["nlu_fallback"], [("login", 0.3)], form="portal_id_form")
    _, messages = await run(ActionFallback(), tracker, domain)
    assert responses(messages) == ["utter_handoff_offer_in_form"]


async def test_a_low_confidence_answer_the_form_took_is_not_a_miss(domain) -> None:  # type: ignore[no-untyped-def]
    # 'Kedai Runcit Ah Seng' fell below the threshold but filled the company name (the form ran,
    # not action_fallback): the next miss is the first one, so it clarifies instead of offering.
    tracker = fallback_tracker(
        ["nlu_fallback"], [("login", 0.3)], form="portal_id_form", answered_by="portal_id_form"
    )
    _, messages = await run(ActionFallback(), tracker, domain)
    assert responses(messages) == ["utter_clarify_in_form"]


async def test_accepting_the_offer_inside_a_form_is_marked_fallback(domain, fake_backend) -> None:  # type: ignore[no-untyped-def]
    from bot.actions.handoff import UTTERED_RESPONSE_KEY

    fake_backend.routes["POST /api/v1/handoffs"] = (200, {"status": "queued", "waiting": 2})
    tracker = make_tracker(intent="human_handoff", text="/human_handoff")
    tracker.events[:0] = [
        {"event": "user", "text": "zzz", "parse_data": {"intent": {"name": "nlu_fallback"}}},
        {
            "event": "bot",
            "text": "Talk to a person?",
            "metadata": {UTTERED_RESPONSE_KEY: "utter_handoff_offer_in_form"},
        },
        # the form asks its question again after the offer
        {
            "event": "bot",
            "text": "Your MyKad?",
            "metadata": {UTTERED_RESPONSE_KEY: "utter_ask_mykad"},
        },
    ]
    _, messages = await run(ActionHandoffRequest(), tracker, domain)
    assert fake_backend.body()["reason"] == "fallback"
    assert responses(messages) == ["utter_handoff_queued"]


async def test_asking_for_a_person_later_is_not_marked_fallback(domain, fake_backend) -> None:  # type: ignore[no-untyped-def]
    from bot.actions.handoff import UTTERED_RESPONSE_KEY

    fake_backend.routes["POST /api/v1/handoffs"] = (200, {"status": "queued", "waiting": 1})
    tracker = make_tracker(intent="human_handoff", text="agent please")
    tracker.events[:0] = [
        {
            "event": "bot",
            "text": "Talk to a person?",
            "metadata": {UTTERED_RESPONSE_KEY: "utter_handoff_offer_in_form"},
        },
        {
            "event": "user",
            "text": "aminah@example.com",
            "parse_data": {"intent": {"name": "inform"}},
        },
        {
            "event": "bot",
            "text": "The code?",
            "metadata": {UTTERED_RESPONSE_KEY: "utter_ask_login_code"},
        },
    ]
    await run(ActionHandoffRequest(), tracker, domain)
    assert fake_backend.body()["reason"] == "asked"
