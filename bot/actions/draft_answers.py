"""Answers both employer forms ask alike, each saved to the backend's draft as it is given.

The employer form (QRG 2) and the domestic employer form (QRG 2b) ask the same address, postcode
(which decides the state and so the induction offices offered), city, contact email, phone and
induction venue, and both save every accepted answer at once (POST the draft at the first answer,
PATCH one field after), so a chat left half-way loses nothing. The forms differ only in their
slot names, the draft they create and how they word a refusal; this mixin holds the rest.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from backend.domain import registration as rules
from backend.domain.identifiers import IdentifierError, normalise_email
from bot.actions import backend_client
from bot.actions.choices import pick
from bot.actions.portal_id import check_name

# Why the backend refused a field, by its reason code → the reply (with an example).
REASON_RESPONSES = {
    "ssm_format": "utter_invalid_reg_no_format",
    "ssm_year": "utter_invalid_reg_no_year",
    "ssm_type": "utter_invalid_reg_no_type",
    "ssm_type_mismatch": "utter_invalid_reg_no_type_mismatch",
    "ssm_serial": "utter_invalid_reg_no_serial",
    "registration_no_format": "utter_invalid_reg_no_free",
    "postcode_format": "utter_invalid_postcode",
    "postcode_unknown": "utter_invalid_postcode_unknown",
    "postcode_state_mismatch": "utter_invalid_postcode_unknown",
    "phone_format": "utter_invalid_reg_phone",
}


def state_offices(tracker: Tracker) -> list[dict[str, Any]]:
    """The PERKESO offices of the state the postcode gave (all of them before that)."""
    return rules.offices(tracker.get_slot("reg_state")) or rules.offices()


def slots_from_view(view: dict[str, Any], slot_for_field: Mapping[str, str]) -> list[EventType]:
    """The saved draft back into the form's slots (to continue it), with the state."""
    events: list[EventType] = []
    for field, slot in slot_for_field.items():
        value = view.get(field)
        if value not in (None, ""):
            events.append(SlotSet(slot, value))
    if view.get("state"):
        events.append(SlotSet("reg_state", view["state"]))
    return events


async def send_answer(
    tracker: Tracker, registration_id: Any, fields: dict[str, Any], create: dict[str, Any]
) -> dict[str, Any]:
    """PATCHes the draft, or POSTs it (``create`` + the answer) when there is none yet."""
    client = backend_client.backend()
    if registration_id:
        return await client.update_registration(tracker.sender_id, int(registration_id), fields)
    return await client.create_registration(tracker.sender_id, {**create, **fields})


ANSWER_KINDS = ("address", "postcode", "city", "email", "phone", "office")


def _validator(kind: str, slot: str) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def validate(
        self: DraftAnswers,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        if kind == "postcode":
            office_slot = self.ANSWER_SLOTS["office"]
            return await self.postcode_answer(slot, office_slot, value, dispatcher, tracker)
        answer = getattr(self, f"{kind}_answer")
        return await answer(slot, value, dispatcher, tracker)

    validate.__name__ = f"validate_{slot}"
    validate.__doc__ = f"The {kind} answer, checked, then saved to the draft."
    return validate


class DraftAnswers:
    """Address, postcode, city, email, phone and induction office for a draft-saving form.

    The form class names its slots in ``ANSWER_SLOTS`` (kind → slot; the ``validate_<slot>``
    methods the SDK looks for are made from it) and provides ``_save(slot, value, dispatcher,
    tracker)`` → the slot changes (``{slot: None}`` when the backend refused it, the reply
    already given).
    """

    ANSWER_SLOTS: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for kind, slot in cls.ANSWER_SLOTS.items():
            if kind not in ANSWER_KINDS:
                raise ValueError(f"unknown answer kind {kind!r}")
            setattr(cls, f"validate_{slot}", _validator(kind, slot))

    async def _save(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        raise NotImplementedError

    async def address_answer(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        text = " ".join(str(value or "").split())
        if len(text) < 3 or len(text) > 200 or text.startswith("/"):
            dispatcher.utter_message(response="utter_invalid_reg_address")
            return {slot: None}
        return await self._save(slot, text, dispatcher, tracker)

    async def postcode_answer(
        self,
        slot: str,
        office_slot: str,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> dict[str, Any]:
        postcode = re.sub(r"\s", "", str(value or ""))
        try:
            rules.state_for_postcode(postcode)
        except rules.RegistrationError as error:
            dispatcher.utter_message(
                response=REASON_RESPONSES.get(error.code, "utter_invalid_postcode"),
                postcode=postcode,
            )
            return {slot: None}
        result = await self._save(slot, postcode, dispatcher, tracker)
        state = result.get("reg_state")
        if state and state != tracker.get_slot("reg_state"):
            result[office_slot] = None  # offices are offered per state
        return result

    async def city_answer(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        cleaned, error = check_name(value)
        if error:
            dispatcher.utter_message(response="utter_invalid_reg_city")
            return {slot: None}
        return await self._save(slot, cleaned, dispatcher, tracker)

    async def email_answer(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        try:
            email = normalise_email(str(value or ""))
        except IdentifierError:
            dispatcher.utter_message(response="utter_invalid_email")
            return {slot: None}
        return await self._save(slot, email, dispatcher, tracker)

    async def phone_answer(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        try:
            phone = rules.normalise_phone(str(value or ""))
        except rules.RegistrationError:
            dispatcher.utter_message(response="utter_invalid_reg_phone")
            return {slot: None}
        return await self._save(slot, phone, dispatcher, tracker)

    async def office_answer(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        code = pick(value, tracker, dispatcher, state_offices(tracker))
        if code is None:
            return {slot: None}
        return await self._save(slot, code, dispatcher, tracker)


async def complete_draft(
    tracker: Tracker,
    dispatcher: CollectingDispatcher,
    registration_id: Any,
    confirm_slot: str,
    slot_for_field: Mapping[str, str],
    on_refused: Callable[[backend_client.BackendError], None],
) -> tuple[dict[str, Any] | None, list[EventType]]:
    """After the summary's Confirm: the saved draft read back, or (None, events) that ask again.

    Something not saved (the backend was down when it was answered) is asked again rather than
    reported as done; the reply says so.
    """
    retry: list[EventType] = [SlotSet(confirm_slot, None)]
    if not registration_id:
        dispatcher.utter_message(response="utter_nothing_to_resume")
        return None, retry
    try:
        view = await backend_client.backend().get_registration(
            tracker.sender_id, int(registration_id)
        )
    except backend_client.BackendUnavailable:
        dispatcher.utter_message(response="utter_service_unavailable_general")
        return None, retry
    except backend_client.BackendError as error:
        on_refused(error)
        return None, retry
    missing = [slot_for_field[f] for f in view.get("missing_fields") or [] if f in slot_for_field]
    if missing:
        dispatcher.utter_message(response="utter_registration_incomplete")
        return None, [SlotSet(slot, None) for slot in missing] + retry
    return view, []
