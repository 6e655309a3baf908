"""The answer to a form's closing summary: confirm, or name a field to change.

Every registration form ends with its summary and "Confirm / Change". A change clears the named
field and what only makes sense with it (a new business entity clears the registration number;
a new passport number clears its dates), so the form asks just those again and shows the summary
once more. One function serves the employer, domestic employer and foreign worker forms.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection, Mapping
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict


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


def summary_action(
    action_name: str, response: str, variables: Callable[[Tracker], dict[str, Any]]
) -> type[Action]:
    """An ``action_ask_<form>_confirm`` class that shows the summary with the form's answers.

    Bound in the calling module to the name derived from ``action_name`` (``action_ask_x`` →
    ``ActionAskX``), as :func:`bot.actions.buttons.ask_action`: the action server pickles the
    registered classes by module and name.
    """

    async def run(
        self: Action, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response=response, **variables(tracker))
        return []

    class_name = "".join(part.title() for part in action_name.split("_"))
    module = sys._getframe(1).f_globals["__name__"]
    return type(
        class_name,
        (Action,),
        {
            "name": lambda self: action_name,
            "run": run,
            "__doc__": f"Shows {response} with the answers so far.",
            "__module__": module,
            "__qualname__": class_name,
        },
    )
