"""'continue' / 'sambung': pick up whichever form or draft the user left, and discarding a draft.

``action_resume`` looks at the form the conversation was last in first (the newest
``active_loop`` event), then at anything else half-done: answers kept in slots (portal ID, a local
or foreign employee) and the account's draft registrations in the backend. It sets
``resume_target`` and the rules start that form (through its start action when the form needs
its draft loaded). A draft with nothing left to ask gets the next step (employees, documents,
submit) instead.

"buang draf" / "discard my draft" asks first (``discard_pending``), then DELETEs the draft with
its employees and documents.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions import backend_client
from bot.actions.forms_meta import (
    DOMESTIC_REG_SLOTS,
    EMPLOYER_REG_SLOTS,
    FOREIGN_EMPLOYEE_FIELDS,
    LOCAL_EMPLOYEE_SLOTS,
    PORTAL_ID_FIELDS,
)

logger = logging.getLogger(__name__)

# resume_target values (categorical slot; the rules branch on them).
PORTAL_ID = "portal_id"
EMPLOYER = "employer_registration"
DOMESTIC = "domestic_registration"
LOCAL = "local_employee"
FOREIGN = "foreign_employee"
NEXT_STEP = "registration_next"
NOTHING = "none"

FORM_TARGET = {
    "portal_id_form": PORTAL_ID,
    "employer_registration_form": EMPLOYER,
    "domestic_employer_registration_form": DOMESTIC,
    "local_employee_form": LOCAL,
    "foreign_employee_form": FOREIGN,
}
DEFAULT_ORDER = (FOREIGN, LOCAL, EMPLOYER, DOMESTIC, PORTAL_ID)
REGISTRATION_TYPE = {EMPLOYER: "employer", DOMESTIC: "domestic"}


def last_form(tracker: Tracker) -> str | None:
    """The form the conversation was in most recently (active or not)."""
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") in FORM_TARGET:
            return str(event["name"])
    return None


def _filled(tracker: Tracker, slots: tuple[str, ...]) -> bool:
    return any(tracker.get_slot(slot) not in (None, "") for slot in slots)


def slot_state(tracker: Tracker, target: str) -> bool:
    """Answers kept in this conversation's slots for the target form."""
    if target == PORTAL_ID:
        return _filled(tracker, PORTAL_ID_FIELDS) or bool(tracker.get_slot("portal_id_pending"))
    if target == LOCAL:
        return _filled(tracker, LOCAL_EMPLOYEE_SLOTS) and bool(tracker.get_slot("registration_id"))
    if target == FOREIGN:
        return _filled(tracker, FOREIGN_EMPLOYEE_FIELDS) and bool(
            tracker.get_slot("registration_id")
        )
    if target == EMPLOYER:
        return _filled(tracker, EMPLOYER_REG_SLOTS)
    if target == DOMESTIC:
        return _filled(tracker, DOMESTIC_REG_SLOTS)
    return False


async def account_drafts(tracker: Tracker) -> dict[str, dict[str, Any]]:
    """The account's draft registrations by target (full views); {} when not logged in."""
    client = backend_client.backend()
    try:
        listing = await client.list_registrations(tracker.sender_id)
    except backend_client.BackendError:
        return {}  # not logged in / terms: only what the slots hold can be resumed
    drafts: dict[str, dict[str, Any]] = {}
    for row in sorted(listing.get("registrations") or [], key=lambda r: -int(r.get("id") or 0)):
        for target, kind in REGISTRATION_TYPE.items():
            if (
                target not in drafts
                and row.get("status") == "draft"
                and row.get("registration_type") == kind
            ):
                drafts[target] = await client.get_registration(tracker.sender_id, int(row["id"]))
    return drafts


class ActionResume(Action):
    def name(self) -> str:
        return "action_resume"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            drafts = await account_drafts(tracker)
        except backend_client.BackendUnavailable:
            drafts = {}
            backend_down = True
        else:
            backend_down = False
        first = FORM_TARGET.get(last_form(tracker) or "")
        order = ([first] if first else []) + [t for t in DEFAULT_ORDER if t != first]
        for target in order:
            draft = drafts.get(target)
            if target in REGISTRATION_TYPE:
                if draft and draft.get("missing_fields"):
                    return [SlotSet("resume_target", target)]
                if draft is None and slot_state(tracker, target) and backend_down:
                    dispatcher.utter_message(response="utter_service_unavailable_general")
                    return [SlotSet("resume_target", NOTHING)]
                continue
            if slot_state(tracker, target):
                if target == PORTAL_ID:
                    dispatcher.utter_message(response="utter_resume_portal_id")
                elif target == LOCAL:
                    dispatcher.utter_message(response="utter_resume_employee")
                return [SlotSet("resume_target", target)]
        complete = next((d for d in drafts.values() if d), None)
        if complete:
            # Every field is in: what is left is employees, documents and submitting.
            dispatcher.utter_message(
                response="utter_resume_registration_next",
                reference=complete.get("reference") or "-",
                employees=complete.get("employees_count") or 0,
            )
            return [
                SlotSet("resume_target", NEXT_STEP),
                SlotSet("registration_id", complete.get("id")),
                SlotSet("registration_reference", complete.get("reference")),
            ]
        if backend_down:
            dispatcher.utter_message(response="utter_service_unavailable_general")
        else:
            dispatcher.utter_message(response="utter_nothing_to_resume")
        return [SlotSet("resume_target", NOTHING)]


# --------------------------------------------------------------------------- discard a draft


async def draft_to_discard(tracker: Tracker) -> dict[str, Any] | None:
    """The chat's current draft registration, else the account's newest draft."""
    client = backend_client.backend()
    registration_id = tracker.get_slot("registration_id")
    if registration_id:
        view = await client.get_registration(tracker.sender_id, int(registration_id))
        if view.get("status") == "draft":
            return view
    listing = await client.list_registrations(tracker.sender_id)
    rows = [r for r in listing.get("registrations") or [] if r.get("status") == "draft"]
    if not rows:
        return None
    newest = max(rows, key=lambda r: int(r.get("id") or 0))
    return await client.get_registration(tracker.sender_id, int(newest["id"]))


def _account_refusal(error: backend_client.BackendError, dispatcher: CollectingDispatcher) -> None:
    if error.code == "not_logged_in":
        dispatcher.utter_message(response="utter_registration_login_first")
    elif error.code == "terms_not_accepted":
        dispatcher.utter_message(response="utter_registration_terms_first")
    else:
        dispatcher.utter_message(response="utter_discard_nothing")


class ActionConfirmDiscard(Action):
    """Names the draft (reference, employer, employees, documents) and asks before deleting."""

    def name(self) -> str:
        return "action_confirm_discard"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        nothing = [SlotSet("discard_pending", False), SlotSet("discard_registration_id", None)]
        try:
            view = await draft_to_discard(tracker)
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return nothing
        except backend_client.BackendError as error:
            _account_refusal(error, dispatcher)
            return nothing
        if not view:
            dispatcher.utter_message(response="utter_discard_nothing")
            return nothing
        uploaded = sum(int(item.get("uploaded") or 0) for item in view.get("documents") or [])
        dispatcher.utter_message(
            response="utter_ask_discard_confirm",
            reference=view.get("reference") or "-",
            employer_name=view.get("employer_name") or "-",
            employees=view.get("employees_count") or 0,
            documents=uploaded,
        )
        return [
            SlotSet("discard_pending", True),
            SlotSet("discard_registration_id", view.get("id")),
        ]


def answered_the_question(tracker: Tracker) -> bool:
    """True when the latest message answers action_confirm_discard's question (the bot's last
    action before it), so a 'yes' said later about something else never deletes anything."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return False
            seen_user = True
        elif seen_user and event.get("event") == "action":
            name = event.get("name")
            if name in ("action_listen", "action_validate_slot_mappings"):
                continue
            return name == "action_confirm_discard"
    return False


class ActionDiscardDraft(Action):
    """Yes: DELETE the draft (its employees and uploads go with it) and forget it in the chat."""

    def name(self) -> str:
        return "action_discard_draft"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        done = [SlotSet("discard_pending", False), SlotSet("discard_registration_id", None)]
        registration_id = tracker.get_slot("discard_registration_id")
        if not registration_id:
            dispatcher.utter_message(response="utter_discard_nothing")
            return done
        if not answered_the_question(tracker):
            dispatcher.utter_message(response="utter_draft_kept")
            return done
        try:
            view = await backend_client.backend().get_registration(
                tracker.sender_id, int(registration_id)
            )
            await backend_client.backend().registration_call(
                tracker.sender_id, "DELETE", f"/{int(registration_id)}"
            )
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return done
        except backend_client.BackendError as error:
            if error.code == "already_submitted":
                dispatcher.utter_message(response="utter_registration_already_submitted")
            else:
                _account_refusal(error, dispatcher)
            return done
        dispatcher.utter_message(
            response="utter_draft_discarded", reference=view.get("reference") or "-"
        )
        forget: list[EventType] = []
        if tracker.get_slot("registration_id") in (registration_id, int(registration_id)):
            forget += [SlotSet("registration_id", None), SlotSet("registration_reference", None)]
        if tracker.get_slot("dom_registration_id") in (registration_id, int(registration_id)):
            forget.append(SlotSet("dom_registration_id", None))
        kind = view.get("registration_type")
        slots = DOMESTIC_REG_SLOTS if kind == "domestic" else EMPLOYER_REG_SLOTS
        forget += [SlotSet(slot, None) for slot in slots]
        forget += [SlotSet(slot, None) for slot in LOCAL_EMPLOYEE_SLOTS]
        forget += [SlotSet(slot, None) for slot in FOREIGN_EMPLOYEE_FIELDS]
        return [*done, *forget]


class ActionKeepDraft(Action):
    """No: nothing is deleted."""

    def name(self) -> str:
        return "action_keep_draft"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_draft_kept")
        return [SlotSet("discard_pending", False), SlotSet("discard_registration_id", None)]
