"""A person from the helpline (issue 6): ticket, callback request, and the bot taking over again.

``action_handoff_request`` asks the backend for a person (``POST /api/v1/handoffs``) with the
flow, the slot being asked and the answers so far, and sets ``handoff_status`` so the rules can
branch: ``queued`` (the hub now routes the chat to the console), ``closed`` (outside staffed hours:
when it opens, and a callback offer) or ``unavailable``. ``action_handoff_resume`` runs when the
agent hands the chat back (the backend triggers ``handoff_resume``); the rules then return to the
form that was active, which asks its question again.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from backend.domain.registration import RegistrationError, normalise_phone
from bot.actions import backend_client
from bot.actions.language import current_language

logger = logging.getLogger(__name__)

# Slots that say nothing about the user's task (or are the bot's own bookkeeping).
_NOT_SHOWN = frozenset(
    {
        "requested_slot",
        "session_started_metadata",
        "handoff_status",
        "callback_phone",
        "callback_time",
    }
)


def filled_slots(tracker: Tracker) -> dict[str, Any]:
    """The answers so far, for the agent (the backend masks identifiers before storing)."""
    return {
        name: value
        for name, value in tracker.current_slot_values().items()
        if name not in _NOT_SHOWN
        and value not in (None, "", [], {})
        and isinstance(value, (str, int, float, bool))
    }


# Rasa's bot-event metadata key naming the response uttered (spelled so that the scan for
# response names in tests/actions/test_domain.py does not take it for one).
UTTERED_RESPONSE_KEY = "_".join(("utter", "action"))


HUMAN_OFFERS = frozenset({"utter_handoff_offer", "utter_handoff_offer_in_form"})


def offered_by_fallback(tracker: Tracker) -> bool:
    """True when the user is answering the human offer made after repeated fallbacks.

    The offer need not be the last thing the bot said: inside a form the question is asked again
    right after it, so every bot message since the user's previous turn is looked at.
    """
    seen_user = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                return False
            seen_user = True
        elif kind == "bot" and seen_user:
            uttered = (event.get("metadata") or {}).get(UTTERED_RESPONSE_KEY)
            if uttered in HUMAN_OFFERS:
                return True
    return False


class ActionHandoffRequest(Action):
    def name(self) -> str:
        return "action_handoff_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = current_language(tracker)
        form = tracker.active_loop_name
        payload = {
            "sender_id": tracker.sender_id,
            "language": language,
            "flow": form,
            "requested_slot": tracker.get_slot("requested_slot") if form else None,
            "slots": filled_slots(tracker),
            "reason": "fallback" if offered_by_fallback(tracker) else "asked",
        }
        try:
            answer = await backend_client.backend().request(
                "POST", "/api/v1/handoffs", json=payload
            )
        except (backend_client.BackendUnavailable, backend_client.BackendError) as exc:
            logger.warning("handoff request failed: %s", type(exc).__name__)
            dispatcher.utter_message(response="utter_handoff_unavailable")
            return [SlotSet("handoff_status", "unavailable")]
        if answer.get("status") == "queued":
            dispatcher.utter_message(
                response="utter_handoff_queued", waiting=answer.get("waiting") or 1
            )
            return [SlotSet("handoff_status", "queued")]
        opens = answer.get("opens_ms" if language == "ms" else "opens_en") or "-"
        dispatcher.utter_message(
            response="utter_handoff_closed_in_form" if form else "utter_handoff_closed",
            opens=opens,
        )
        return [SlotSet("handoff_status", "closed")]


class ActionHandoffResume(Action):
    """The agent handed the chat back: say so; the rules return to the form where it stopped."""

    def name(self) -> str:
        return "action_handoff_resume"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_handoff_returned")
        if tracker.active_loop_name is None:
            dispatcher.utter_message(response="utter_help")
        return [SlotSet("handoff_status", None)]


class ValidateCallbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_callback_form"

    async def validate_callback_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            return {"callback_phone": normalise_phone(str(value or "")[:40])}
        except RegistrationError:
            dispatcher.utter_message(response="utter_invalid_callback_phone")
            return {"callback_phone": None}

    async def validate_callback_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = " ".join(str(value or "").split())
        if not text or len(text) > 200:
            dispatcher.utter_message(response="utter_invalid_callback_time")
            return {"callback_time": None}
        return {"callback_time": text}


class ActionSubmitCallback(Action):
    def name(self) -> str:
        return "action_submit_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        phone, when = tracker.get_slot("callback_phone"), tracker.get_slot("callback_time")
        clear = [SlotSet("callback_phone", None), SlotSet("callback_time", None)]
        try:
            saved = await backend_client.backend().request(
                "POST",
                "/api/v1/handoffs/callbacks",
                json={
                    "sender_id": tracker.sender_id,
                    "phone": phone or "",
                    "preferred_time": when or "",
                    "language": current_language(tracker),
                },
            )
        except backend_client.BackendError:
            dispatcher.utter_message(response="utter_invalid_callback_phone")
            return clear
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_handoff_unavailable")
            return clear
        dispatcher.utter_message(
            response="utter_callback_saved",
            phone=saved.get("phone") or phone,
            time=saved.get("preferred_time") or when,
        )
        return clear
