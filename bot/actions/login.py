"""Log in with an emailed one-time code (login_form). The bot never asks for a password."""

from __future__ import annotations

import logging
import math
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from backend.domain.identifiers import IdentifierError, normalise_email
from bot.actions import backend_client
from bot.actions.language import current_language
from bot.actions.typed_answers import typed_answer

logger = logging.getLogger(__name__)

_CODE = re.compile(r"^\d{6}$")
STOP_FORM = {"requested_slot": None}


def minutes(seconds: Any, default: int = 15) -> int:
    try:
        return max(1, math.ceil(float(seconds) / 60))
    except (TypeError, ValueError):
        return default


class ValidateLoginForm(FormValidationAction):
    def name(self) -> str:
        return "validate_login_form"

    async def _send_code(
        self, email: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any] | None:
        """Asks the backend for a code; returns slot changes when it could not send one."""
        try:
            result = await backend_client.backend().request_otp(
                tracker.sender_id, email, current_language(tracker)
            )
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return {"login_email": None, "login_code": None, **STOP_FORM}
        except backend_client.BackendError as error:
            if error.code == "no_account":
                dispatcher.utter_message(response="utter_login_no_account", login_email=email)
                return {"login_email": None}
            if error.code == "locked":
                dispatcher.utter_message(
                    response="utter_login_locked",
                    minutes=minutes(error.data.get("retry_after_seconds")),
                )
                return {"login_email": None, "login_code": None, **STOP_FORM}
            logger.warning("OTP request refused: %s %s", error.status, error.code)
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return {"login_email": None, "login_code": None, **STOP_FORM}
        dispatcher.utter_message(
            response="utter_login_code_sent",
            login_email=email,
            minutes=minutes(result.get("expires_in_seconds", 600), 10),
        )
        return None

    async def extract_login_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return typed_answer(tracker, "login_email", normalise_email)

    async def validate_login_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            email = normalise_email(str(value or ""))
        except IdentifierError:
            dispatcher.utter_message(response="utter_invalid_email")
            return {"login_email": None}
        failed = await self._send_code(email, dispatcher, tracker)
        return failed if failed is not None else {"login_email": email}

    async def validate_login_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        email = tracker.get_slot("login_email")
        if value == "resend":
            failed = await self._send_code(email, dispatcher, tracker)
            return failed if failed is not None else {"login_code": None}
        code = re.sub(r"[\s\-]", "", str(value or ""))
        if not _CODE.match(code):
            dispatcher.utter_message(response="utter_invalid_login_code")
            return {"login_code": None}
        try:
            result = await backend_client.backend().verify_otp(tracker.sender_id, email, code)
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return {"login_code": None, **STOP_FORM}
        except backend_client.BackendError as error:
            if error.code == "wrong_code":
                dispatcher.utter_message(
                    response="utter_login_wrong_code", tries_left=error.data.get("tries_left", 0)
                )
                return {"login_code": None}
            if error.code == "expired":
                dispatcher.utter_message(response="utter_login_code_expired")
                return {"login_code": None}
            if error.code == "locked":
                dispatcher.utter_message(
                    response="utter_login_locked",
                    minutes=minutes(error.data.get("retry_after_seconds")),
                )
                return {"login_code": None, "login_email": None, **STOP_FORM}
            if error.code == "no_pending_code":
                failed = await self._send_code(email, dispatcher, tracker)
                return failed if failed is not None else {"login_code": None}
            logger.warning("OTP verification refused: %s %s", error.status, error.code)
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return {"login_code": None, **STOP_FORM}
        account = result.get("account") or {}
        slots: dict[str, Any] = {
            "login_code": "verified",  # never keep the code itself
            "logged_in": True,
            "account_name": account.get("full_name") or account.get("email") or email,
        }
        if account.get("terms_accepted"):
            slots["terms_accepted"] = True  # the form will not ask
        return slots

    async def validate_terms_accepted(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is not True:
            return {"terms_accepted": False}
        try:
            await backend_client.backend().accept_terms(tracker.sender_id)
        except (backend_client.BackendUnavailable, backend_client.BackendError):
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return {"terms_accepted": None, **STOP_FORM}
        return {"terms_accepted": True}


class ActionLoginComplete(Action):
    def name(self) -> str:
        return "action_login_complete"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        logged_in = tracker.get_slot("logged_in") is True
        terms = tracker.get_slot("terms_accepted")
        events: list[EventType] = [
            SlotSet("login_code", None),
            SlotSet("login_email", None),
            SlotSet("terms_accepted", None),
        ]
        if logged_in and terms is True:
            dispatcher.utter_message(
                response="utter_login_success", account_name=tracker.get_slot("account_name")
            )
        elif logged_in and terms is False:
            dispatcher.utter_message(response="utter_terms_declined")
        else:
            dispatcher.utter_message(response="utter_login_not_completed")
        return events
