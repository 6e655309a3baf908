"""Which option of a short list a user's answer names: a button's code or typed words.

Every registration question that offers buttons (entities, ID types, genders, nationalities,
offices) also takes a typed answer; one matcher serves them all so "sdn bhd", "Sendirian Berhad"
and the button's ``/inform{"choice":"sdn_bhd"}`` land on the same code in every flow.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.buttons import ask_with_buttons

_CHOICE_PAYLOAD = re.compile(r'^\s*/inform\{\s*"choice"\s*:\s*"([^"]+)"\s*\}\s*$')


def chosen(value: Any, tracker: Tracker) -> str:
    """The button's code (entity ``choice``) or what the user typed."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "choice" and entity.get("value"):
            return str(entity["value"])
    text = str(value or "").strip()
    match = _CHOICE_PAYLOAD.match(text)
    return match.group(1) if match else text


def norm(text: str) -> str:
    """Lower case, punctuation and underscores as spaces, single-spaced (for comparing)."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower().replace("_", " ")).split())


def match_option(
    text: str, options: list[dict[str, Any]], aliases: dict | None = None
) -> str | None:
    """The code of the option the text names (code, English or Malay name, or an alias)."""
    wanted = norm(text)
    if not wanted:
        return None
    for option in options:
        if wanted in (
            norm(option["code"]),
            norm(option.get("name_en", "")),
            norm(option.get("name_ms", option.get("name", ""))),
        ):
            return option["code"]
    # Otherwise the option whose name or alias matches the longest stretch of the text.
    scores: dict[str, int] = {}
    for option in options:
        names = [option.get("name_en", ""), option.get("name_ms", ""), option.get("name", "")]
        names += list((aliases or {}).get(option["code"], ()))
        for name in filter(None, map(norm, names)):
            if re.search(rf"\b{re.escape(name)}\b", wanted):
                scores[option["code"]] = max(scores.get(option["code"], 0), len(name))
            elif len(wanted) >= 3 and wanted in name:
                scores[option["code"]] = max(scores.get(option["code"], 0), len(wanted))
    if not scores:
        return None
    best = max(scores.values())
    winners = [code for code, score in scores.items() if score == best]
    return winners[0] if len(winners) == 1 else None


def name_of(options: list[dict[str, Any]], code: Any, language: str, title: bool = False) -> str:
    """The option's name in the user's language; an unlisted code (a nationality typed freely)
    is shown as given, title-cased when ``title``."""
    for option in options:
        if option["code"] == code:
            if "name_en" in option:
                return option["name_ms"] if language == "ms" else option["name_en"]
            return option.get("name", option["code"])
    text = str(code or "-")
    return text.title() if title else text


def pick(
    value: Any,
    tracker: Tracker,
    dispatcher: CollectingDispatcher,
    options: list[dict[str, Any]],
    aliases: dict | None = None,
) -> str | None:
    """The option the answer names; otherwise None after offering the options again as buttons."""
    code = match_option(chosen(value, tracker), options, aliases)
    if code is None:
        ask_with_buttons(dispatcher, tracker, "utter_invalid_reg_choice", options)
    return code
