"""A FormValidationAction base for forms whose start action clears the form's slots.

rasa-sdk validates every slot event at the end of the tracker (``slots_to_validate``). When a form
is activated right after its start action, the ``SlotSet(slot, None)`` events that action used
to clear old answers are still the trailing events, so every ``validate_<slot>`` would be called
with ``None`` as if the user had answered, and say "that isn't valid" before the first question.
A cleared slot is not an answer: only real values are validated.
"""

from __future__ import annotations

from abc import abstractmethod

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict


class AnswersOnlyFormValidation(FormValidationAction):
    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        candidates = tracker.slots_to_validate
        tracker.slots_to_validate = lambda: {  # type: ignore[method-assign]
            name: value for name, value in candidates().items() if value is not None
        }
        try:
            return await super().get_validation_events(dispatcher, tracker, domain)
        finally:
            tracker.slots_to_validate = candidates  # type: ignore[method-assign]

    @abstractmethod
    def name(self) -> str:
        """Each form's ``validate_<form>``; abstract so the action server skips this base."""
