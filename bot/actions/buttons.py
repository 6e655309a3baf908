"""Catalogue buttons shared by the registration flows.

Many questions offer a short list (business entities, ID types, genders, nationalities, offices)
as buttons that send ``/inform{"choice":"<code>"}``; typed answers are matched against the same
options (:func:`bot.actions.registration.match_option`). One helper renders them so every flow
words and caps its buttons the same way.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.language import current_language

MAX_BUTTONS = 8
Options = list[dict[str, Any]]


def option_name(option: dict[str, Any], language: str) -> str:
    if "name_en" in option:
        return option["name_ms"] if language == "ms" else option["name_en"]
    return option.get("name", option["code"])


def choice_buttons(options: Options, language: str) -> list[dict[str, str]]:
    return [
        {
            "title": option_name(option, language),
            "payload": f'/inform{{"choice":"{option["code"]}"}}',
        }
        for option in options[:MAX_BUTTONS]
    ]


def ask_with_buttons(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    response: str,
    options: Options,
    **variables: Any,
) -> None:
    """Utters ``response`` with one button per option, titled in the user's language."""
    dispatcher.utter_message(
        response=response,
        buttons=choice_buttons(options, current_language(tracker)),
        **variables,
    )


def ask_action(
    action_name: str,
    response: str,
    options: Callable[[Tracker], Options],
    variables: Callable[[Tracker], dict[str, Any]] | None = None,
) -> type[Action]:
    """An ``action_ask_<slot>`` class that asks with the options the tracker calls for.

    rasa-sdk registers every Action subclass it finds when the module is imported, so the
    returned class must be bound, in the calling module, to the name derived from
    ``action_name`` (``action_ask_x`` → ``ActionAskX``): that is how it is pickled.
    """

    async def run(
        self: Action, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        extra = variables(tracker) if variables else {}
        ask_with_buttons(dispatcher, tracker, response, options(tracker), **extra)
        return []

    class_name = "".join(part.title() for part in action_name.split("_"))
    # Named as if defined in the calling module (bound there to ``class_name``): the action
    # server's worker processes pickle the registered classes by module and name.
    module = sys._getframe(1).f_globals["__name__"]
    return type(
        class_name,
        (Action,),
        {
            "name": lambda self: action_name,
            "run": run,
            "__doc__": f"Asks {response}.",
            "__module__": module,
            "__qualname__": class_name,
        },
    )
