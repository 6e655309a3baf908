"""Deadline reminders (issue 5): ``reminders_on`` / ``reminders_off`` → ``PUT /api/v1/reminders``.

The backend stores the choice per account and chat and sends the reminders itself (the job in
``backend/services/reminders.py``); this action only records the user's choice and words the
answer in the user's language.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions import backend_client
from bot.actions.language import current_language

logger = logging.getLogger(__name__)


def employers_text(employers: list[dict[str, Any]], language: str) -> str:
    """``TAN HARDWARE SDN BHD (E1100050233Z)`` and … / dan …"""
    names = [
        f"{e.get('employer_name') or ''} ({e.get('employer_code')})".strip() for e in employers
    ]
    if len(names) <= 1:
        return "".join(names)
    joiner = " dan " if language == "ms" else " and "
    return ", ".join(names[:-1]) + joiner + names[-1]


class ActionSetReminders(Action):
    """Opt this chat in or out of contribution deadline reminders (the latest intent says which)."""

    def name(self) -> str:
        return "action_set_reminders"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        enabled = (tracker.latest_message.get("intent") or {}).get("name") != "reminders_off"
        language = current_language(tracker)
        try:
            view = await backend_client.backend().request(
                "PUT",
                "/api/v1/reminders",
                json={"enabled": enabled, "language": language},
                headers={"X-Sender-Id": tracker.sender_id},
            )
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return []
        except backend_client.BackendError as error:
            if error.code == "terms_not_accepted":
                dispatcher.utter_message(response="utter_reminders_terms_first")
            else:
                dispatcher.utter_message(response="utter_reminders_login_first")
            return []
        if not enabled:
            dispatcher.utter_message(response="utter_reminders_off")
        elif view.get("employers"):
            dispatcher.utter_message(
                response="utter_reminders_on",
                employers=employers_text(view["employers"], language),
            )
        else:
            dispatcher.utter_message(response="utter_reminders_on_no_employer")
        return []
