"""Actions every flow shares: language, cancel, session start."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker, ValidationAction
from rasa_sdk.events import ActionExecuted, ActiveLoop, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.forms_meta import (
    FORM_SLOTS,
    FREE_TEXT_SLOTS,
    INTERRUPTING_INTENTS,
    PORTAL_ID_FIELDS,
    PORTAL_ID_SLOTS,
)
from bot.actions.language import LANGUAGES, current_language, detect, normalise_language

logger = logging.getLogger(__name__)


def latest_metadata(tracker: Tracker) -> dict[str, Any]:
    metadata = tracker.latest_message.get("metadata") if tracker.latest_message else None
    if isinstance(metadata, dict) and metadata:
        return metadata
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            found = event.get("metadata")
            return found if isinstance(found, dict) else {}
    return {}


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


class ActionValidateSlotMappings(ValidationAction):
    """Runs after every user message: keeps the ``language`` slot right."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        current = tracker.get_slot("language")
        intent = latest_intent(tracker)
        if intent == "change_language":
            return {}  # action_change_language decides
        text = tracker.latest_message.get("text") or ""
        if current not in LANGUAGES:
            hint = latest_metadata(tracker).get("language_hint")
            if hint in LANGUAGES:
                return {"language": hint}
            return {"language": detect(text, None) or "en"}
        requested = tracker.get_slot("requested_slot")
        if (
            tracker.active_loop_name
            and requested in FREE_TEXT_SLOTS
            and intent not in INTERRUPTING_INTENTS
        ):
            return {}  # an answer such as a company name says nothing about the language
        detected = detect(text, current)
        if detected and detected != current:
            return {"language": detected}
        return {}


class ActionChangeLanguage(Action):
    """'Bahasa Melayu please', 'tukar ke English', or 'switch language' (toggles)."""

    def name(self) -> str:
        return "action_change_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        target = None
        for entity in tracker.latest_message.get("entities") or []:
            if entity.get("entity") == "target_language":
                target = normalise_language(entity.get("value"))
                if target:
                    break
        if target is None:
            target = normalise_language(tracker.latest_message.get("text"))
        if target is None:
            target = "ms" if current_language(tracker) == "en" else "en"
        # utter_language_changed follows this action (rules), so it is rendered in `target`.
        return [SlotSet("language", target)]


def _active_form(tracker: Tracker) -> str | None:
    return tracker.active_loop_name


class ActionCancelForm(Action):
    """Stops the active form, clears what it collected, and says so."""

    def name(self) -> str:
        return "action_cancel_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        form = _active_form(tracker)
        events: list[EventType] = []
        if form:
            slots = FORM_SLOTS.get(form, ())
            events += [SlotSet(slot, None) for slot in slots]
            events += [SlotSet("requested_slot", None), ActiveLoop(None)]
            if form == "portal_id_form":
                events += [SlotSet("portal_id_pending", None), SlotSet("field", None)]
            if form == "employer_registration_form":
                # The answers already saved stay in the backend's draft, to continue later.
                events += [SlotSet("field", None), SlotSet("reg_state", None)]
                dispatcher.utter_message(
                    response="utter_registration_cancelled",
                    reference=tracker.get_slot("registration_reference") or "-",
                )
                return events
            dispatcher.utter_message(response="utter_cancelled")
            return events
        if any(tracker.get_slot(slot) is not None for slot in PORTAL_ID_SLOTS):
            # A half-filled application kept from an earlier session.
            events += [SlotSet(slot, None) for slot in PORTAL_ID_SLOTS]
            events += [SlotSet("portal_id_pending", None), SlotSet("field", None)]
            dispatcher.utter_message(response="utter_cancelled")
            return [*events, ActiveLoop(None)]
        dispatcher.utter_message(response="utter_nothing_to_cancel")
        # Rules expect this action to leave no loop active, whichever branch it takes.
        return [ActiveLoop(None)]


NOT_CARRIED = {"requested_slot", "session_started_metadata"}


def has_unfinished_application(slots: dict[str, Any]) -> bool:
    return any(slots.get(slot) not in (None, "") for slot in PORTAL_ID_FIELDS)


class ActionSessionStart(Action):
    """Carries the slots over and reminds the user of a half-filled application."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        carried = {
            key: value
            for key, value in tracker.slots.items()
            if value is not None and key not in NOT_CARRIED
        }
        metadata = tracker.get_slot("session_started_metadata") or {}
        if "language" not in carried and isinstance(metadata, dict):
            hint = metadata.get("language_hint")
            if hint in LANGUAGES:
                carried["language"] = hint
        events += [SlotSet(key, value) for key, value in carried.items()]
        if metadata:
            events.append(SlotSet("session_started_metadata", metadata))
        if has_unfinished_application(carried):
            dispatcher.utter_message(response="utter_session_resume")
        events.append(ActionExecuted("action_listen"))
        return events


# --- below the NLU threshold: clarify, then offer help or a person (issue 6) ---------------------

# What a clarifying button says for an intent the user may have meant (both languages). Intents
# that need an answer to a question (inform, affirm, …) are never offered.
INTENT_LABELS: dict[str, tuple[str, str]] = {
    "apply_portal_id": ("Apply for a portal ID", "Mohon ID portal"),
    "login": ("Log in", "Log masuk"),
    "ask_contribution_rate": ("Contribution for a wage", "Caruman bagi sesuatu gaji"),
    "register_employer": ("Register my business", "Daftar perniagaan saya"),
    "register_domestic_employer": ("Register as a domestic employer", "Daftar majikan domestik"),
    "register_local_employee": ("Register a local employee", "Daftar pekerja tempatan"),
    "register_foreign_employee": ("Register a foreign employee", "Daftar pekerja asing"),
    "list_employees": ("List my employees", "Senarai pekerja saya"),
    "upload_documents": ("Supporting documents", "Dokumen sokongan"),
    "submit_registration": ("Submit my registration", "Hantar pendaftaran saya"),
    "ask_registration_status": ("Registration status", "Status pendaftaran"),
    "submit_contribution": ("Submit contributions", "Hantar caruman"),
    "get_contribution_text_file": ("Contribution text file", "Fail teks caruman"),
    "pay_online": ("Pay online (FPX)", "Bayar dalam talian (FPX)"),
    "pay_at_bank": ("Pay at a bank counter", "Bayar di kaunter bank"),
    "payment_result": ("My payment status", "Status bayaran saya"),
    "ask_deadline": ("Payment deadline", "Tarikh akhir bayaran"),
    "ask_late_interest": ("Late payment interest", "Faedah lewat bayar"),
    "ask_password": ("Password help", "Bantuan kata laluan"),
    "reminders_on": ("Turn on reminders", "Hidupkan peringatan"),
    "reminders_off": ("Turn off reminders", "Matikan peringatan"),
    "faq": ("A question about ASSIST", "Soalan tentang ASSIST"),
    "help": ("What can you help with?", "Apa yang boleh anda bantu?"),
    "human_handoff": ("Talk to a person", "Bercakap dengan pegawai"),
    "change_language": ("Change language", "Tukar bahasa"),
}


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many user messages in a row the bot could not understand, the latest included.

    An earlier message counts only if ``action_fallback`` answered it: inside a form, a message
    below the NLU threshold can still be a good answer (a company name fills a free-text slot), and
    that must not turn the next miss into a "second" one.
    """
    count = 0
    answered_by_fallback = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "action" and event.get("name") == "action_fallback":
            answered_by_fallback = True
            continue
        if kind != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != "nlu_fallback" or (count and not answered_by_fallback):
            break
        count += 1
        answered_by_fallback = False
    return count


def likely_intents(tracker: Tracker, limit: int = 2) -> list[str]:
    """The most likely intents we can offer as buttons, best first."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    names: list[str] = []
    for item in ranking:
        name = str((item or {}).get("name") or "").split("/")[0]
        if name in INTENT_LABELS and name not in names and name != "human_handoff":
            names.append(name)
        if len(names) == limit:
            break
    return names


class ActionFallback(Action):
    """First miss: 'did you mean …?' with the two likeliest intents; second miss in a row: help
    or a person (``utter_handoff_offer``).

    Inside a form the rules run the form again after this action, so the question is asked once
    more and the next answer still fills it; the wording there says so ("…or answer the question
    below"), and the offer of a person has no help button (help is the question itself).
    """

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        in_form = tracker.active_loop_name is not None
        if consecutive_fallbacks(tracker) >= 2:
            offer = "utter_handoff_offer_in_form" if in_form else "utter_handoff_offer"
            dispatcher.utter_message(response=offer)
            return []
        choices = likely_intents(tracker)
        if not choices:
            dispatcher.utter_message(
                response="utter_default_in_form" if in_form else "utter_default"
            )
            return []
        malay = current_language(tracker) == "ms"
        buttons = [
            {"title": INTENT_LABELS[name][1 if malay else 0], "payload": f"/{name}"}
            for name in choices
        ]
        if not in_form:
            buttons.append({"title": INTENT_LABELS["help"][1 if malay else 0], "payload": "/help"})
        dispatcher.utter_message(
            response="utter_clarify_in_form" if in_form else "utter_clarify", buttons=buttons
        )
        return []
