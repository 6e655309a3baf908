"""Answers recognised by their shape, whatever intent the classifier gave the message.

Free-text slots refuse messages classified as another intent (not_intent), so that "cancel" typed
mid-form reaches its rule. An email such as "corrected.4ab5@example.com" can be classified as
`affirm` ("correct"), and was then refused as an answer. When the text itself parses as the value
being asked for, it is the answer; the slot's own validate_ method still checks it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker

from backend.domain.identifiers import IdentifierError


def typed_answer(tracker: Tracker, slot: str, parse: Callable[[str], object]) -> dict[str, Any]:
    """``{slot: text}`` when ``slot`` is being asked and the whole message parses as its value."""
    if tracker.get_slot("requested_slot") != slot:
        return {}
    text = (tracker.latest_message or {}).get("text") or ""
    text = text.strip()
    if not text or text.startswith("/"):
        return {}
    try:
        parse(text)
    except (IdentifierError, ValueError):
        return {}
    return {slot: text}
