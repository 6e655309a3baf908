"""Which registration a chat is working on, and the replies when there is none to work on.

The employee, foreign worker, documents, submission and status steps all start the same way:
the chat's registration (or the account's newest draft), or a reply that says why not (not
logged in, terms not accepted, no employer registered yet, backend down). One place for that so
every step answers those cases with the same words.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import backend_client


def registration_id(tracker: Tracker) -> int | None:
    value = tracker.get_slot("registration_id")
    return int(value) if value else None


def employer_since(view: dict[str, Any]) -> str | None:
    """The earliest day the employer can have employed anyone (as the backend reckons it)."""
    if view.get("business_start_date"):
        return str(view["business_start_date"])
    number = str(view.get("registration_no") or "")
    if view.get("registration_no_format") == "ssm" and number[:4].isdigit():
        return f"{number[:4]}-01-01"
    return None


async def find_registration(tracker: Tracker) -> dict[str, Any] | None:
    """The registration employees are added to: the chat's, else the account's draft."""
    client = backend_client.backend()
    current = registration_id(tracker)
    if current:
        return await client.get_registration(tracker.sender_id, current)
    listing = await client.list_registrations(tracker.sender_id)
    # An employer's or a domestic employer's registration (QRG 3 adds workers to either);
    # a draft first, the newest of each kind first.
    rows = [
        r
        for r in listing.get("registrations") or []
        if r.get("registration_type") in ("employer", "domestic")
    ]
    rows.sort(key=lambda r: (r.get("status") != "draft", -int(r.get("id") or 0)))
    if not rows:
        return None
    return await client.get_registration(tracker.sender_id, int(rows[0]["id"]))


def reply_not_ready(
    error: backend_client.BackendError | backend_client.BackendUnavailable,
    dispatcher: CollectingDispatcher,
    otherwise: str = "utter_employee_register_employer_first",
) -> None:
    """Why a registration step cannot start: login, terms, backend down, or ``otherwise``."""
    if isinstance(error, backend_client.BackendUnavailable):
        dispatcher.utter_message(response="utter_service_unavailable_general")
    elif error.code == "not_logged_in":
        dispatcher.utter_message(response="utter_registration_login_first")
    elif error.code == "terms_not_accepted":
        dispatcher.utter_message(response="utter_registration_terms_first")
    else:
        dispatcher.utter_message(response=otherwise)


async def registration_or_reply(
    dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict[str, Any] | None:
    """The chat's registration, or None after telling the user why there is none."""
    try:
        view = await find_registration(tracker)
    except (backend_client.BackendUnavailable, backend_client.BackendError) as error:
        reply_not_ready(error, dispatcher)
        return None
    if not view:
        dispatcher.utter_message(response="utter_employee_register_employer_first")
    return view


def reply_if_submitted(view: dict[str, Any], dispatcher: CollectingDispatcher) -> bool:
    """True (after saying so) when the registration is already submitted and takes no changes."""
    if view.get("status") != "submitted":
        return False
    dispatcher.utter_message(
        response="utter_registration_status_submitted",
        reference=view.get("reference", ""),
        employer_code=view.get("employer_code") or "-",
    )
    return True
