"""The answer to a form's closing summary: confirm, or name a field to change.

Every registration form ends with its summary and "Confirm / Change". A change clears the named
field and what only makes sense with it (a new business entity clears the registration number;
a new passport number clears its dates), so the form asks just those again and shows the summary
once more. One function serves the employer, domestic employer and foreign worker forms.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def requested_field(tracker: Tracker, fields: Collection[str]) -> str | None:
    """The field the user wants to change: the ``field`` entity of this message, or the slot."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "field" and entity.get("value") in fields:
            return entity["value"]
    value = tracker.get_slot("field")
    return value if value in fields else None


def summary_answer(
    value: Any,
    tracker: Tracker,
    dispatcher: CollectingDispatcher,
    *,
    confirm_slot: str,
    fields: Collection[str],
    dependent: Mapping[str, tuple[str, ...]],
    which_response: str,
) -> dict[str, Any]:
    if value == "yes":
        return {confirm_slot: "yes"}
    if value == "change":
        field = requested_field(tracker, fields)
        if field:
            cleared = {field: None, confirm_slot: None, "field": None}
            cleared.update({slot: None for slot in dependent.get(field, ())})
            return cleared
    dispatcher.utter_message(response=which_response)
    return {confirm_slot: None, "field": None}
