"""The conversation hub's rules: what reaches Rasa, how replies are shaped, what is kept.

Every channel (web widget, Telegram gateway) comes through :func:`handle_turn` with a sender id the
hub derived itself. Transcripts and logs only ever hold text passed through ``mask_identifiers``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.domain.identifiers import mask_identifiers
from backend.hub import replicas
from backend.hub.rasa_client import RasaClient, RasaUnavailable
from backend.hub.turn_lock import TurnBusy, turn_locks
from backend.models import Conversation, ConversationMessage

logger = logging.getLogger("assist.hub")

# Replies the hub gives itself; both languages, the hinted one first.
_REPLIES: dict[str, tuple[str, str]] = {
    "empty": (
        "Please type a message, or choose one of the options.",
        "Sila taip mesej, atau pilih salah satu pilihan.",
    ),
    "too_long": (
        "Sorry, that message is too long ({max} characters at most). "
        "Please send it in shorter parts.",
        "Maaf, mesej itu terlalu panjang (paling banyak {max} aksara). "
        "Sila hantar dalam bahagian yang lebih pendek.",
    ),
    "command_not_offered": (
        "Sorry, I can't accept commands typed directly. "
        "Please type your question in your own words, or tap one of the buttons I offered.",
        "Maaf, saya tidak dapat menerima arahan yang ditaip terus. "
        "Sila taip soalan anda dengan perkataan sendiri, atau tekan salah satu butang yang diberi.",
    ),
    "rate_limited": (
        "You are sending messages faster than I can answer. "
        "Please wait a moment, then send your message again.",
        "Anda menghantar mesej lebih cepat daripada yang saya dapat jawab. "
        "Sila tunggu sebentar, kemudian hantar mesej anda sekali lagi.",
    ),
    "unavailable": (
        "The assistant is temporarily unavailable. Nothing you typed is lost — "
        "please try again in a moment.",
        "Pembantu tidak dapat dihubungi buat sementara waktu. Tiada apa yang anda taip hilang — "
        "sila cuba sebentar lagi.",
    ),
}


def hub_reply(kind: str, language_hint: str | None = None, **values: Any) -> str:
    english, malay = (text.format(**values) for text in _REPLIES[kind])
    first, second = (malay, english) if language_hint == "ms" else (english, malay)
    return f"{first}\n\n{second}"


# --- normalising Rasa's REST replies ---------------------------------------------------------


def _clean_buttons(raw: Any) -> list[dict[str, str]]:
    buttons: list[dict[str, str]] = []
    if not isinstance(raw, list):
        return buttons
    for button in raw:
        if not isinstance(button, dict):
            continue
        payload = button.get("payload")
        title = button.get("title")
        if not isinstance(payload, str) or not payload:
            continue
        buttons.append({"title": str(title) if title else payload, "payload": payload})
    return buttons


def _clean_link(raw: Any) -> dict[str, str] | None:
    if isinstance(raw, dict) and isinstance(raw.get("url"), str) and raw["url"]:
        return {"url": raw["url"], "title": str(raw.get("title") or raw["url"])}
    return None


def _clean_document(raw: Any) -> dict[str, str] | None:
    if isinstance(raw, dict) and isinstance(raw.get("url"), str) and raw["url"]:
        filename = raw.get("filename") or raw["url"].split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        return {"url": raw["url"], "filename": str(filename or "document")}
    return None


def normalise_reply(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rasa REST messages → ``[{text?, buttons?, link?, document?}]`` (empty ones dropped)."""
    messages: list[dict[str, Any]] = []
    for item in items:
        message: dict[str, Any] = {}
        custom = item.get("custom") if isinstance(item.get("custom"), dict) else {}
        text = item.get("text")
        if not isinstance(text, str) or not text:
            text = custom.get("text") if isinstance(custom.get("text"), str) else None
        if text:
            message["text"] = text
        buttons = _clean_buttons(item.get("buttons")) or _clean_buttons(custom.get("buttons"))
        if buttons:
            message["buttons"] = buttons
        link = _clean_link(custom.get("link"))
        if link is None and isinstance(item.get("image"), str) and item["image"]:
            link = {"url": item["image"], "title": item["image"]}
        if link:
            message["link"] = link
        document = _clean_document(custom.get("document"))
        if document:
            message["document"] = document
        if message:
            messages.append(message)
    return messages


def offered_payloads(messages: list[dict[str, Any]]) -> list[str]:
    return [b["payload"] for m in messages for b in m.get("buttons", [])]


# --- persistence ---


def get_conversation(
    db: Session, sender_id: str, channel: str, language: str | None = None
) -> Conversation:
    conversation = db.get(Conversation, sender_id)
    if conversation is None:
        conversation = Conversation(
            sender_id=sender_id, channel=channel, language=language, last_buttons=[]
        )
        db.add(conversation)
        db.flush()
    elif language and conversation.language != language:
        conversation.language = language
    return conversation


def _record(
    db: Session, sender_id: str, direction: str, text: str | None, data: dict[str, Any] | None
) -> None:
    db.add(
        ConversationMessage(
            sender_id=sender_id,
            direction=direction,
            text=mask_identifiers(text) if text else text,
            data=_mask_data(data) if data else None,
        )
    )


def _mask_data(data: dict[str, Any]) -> dict[str, Any]:
    masked = dict(data)
    for button in masked.get("buttons") or []:
        button["title"] = mask_identifiers(button.get("title", ""))
    return masked


HISTORY_LIMIT = 500


def history(
    db: Session, sender_id: str, limit: int = HISTORY_LIMIT, after: int = 0
) -> list[dict[str, Any]]:
    """The latest ``limit`` messages of this sender (those after id ``after``), oldest first.

    Each carries its transcript ``id``: the same id the chat's event stream sends, so a client
    can tell what it has already shown.
    """
    query = select(ConversationMessage).where(ConversationMessage.sender_id == sender_id)
    if after:
        query = query.where(ConversationMessage.id > after)
    rows = list(db.scalars(query.order_by(ConversationMessage.id.desc()).limit(limit)))
    rows.reverse()
    out: list[dict[str, Any]] = []
    for row in rows:
        item: dict[str, Any] = {
            "id": row.id,
            "role": "user" if row.direction == "in" else "bot",
            "created_at": row.created_at.isoformat() + "Z" if row.created_at else None,
        }
        if row.text:
            item["text"] = row.text
        for key in ("buttons", "link", "document", "error", "file"):
            if row.data and row.data.get(key):
                item[key] = row.data[key]
        out.append(item)
    return out


# --- one turn ---


def _log(**fields: Any) -> None:
    """One JSON log line per turn (backend.logging_setup renders ``extra`` as fields)."""
    logger.info("chat turn", extra={"event": "chat_turn", **fields})


def rate_limited_reply(sender_id: str, channel: str, language_hint: str | None) -> dict[str, Any]:
    """The answer to a sender over the rate limit: nothing is forwarded, stored or counted."""
    _log(sender=sender_id, channel=channel, refused="rate_limited")
    return {
        "messages": [{"text": hub_reply("rate_limited", language_hint)}],
        "refused": "rate_limited",
    }


def refusal_reason(text: str, last_buttons: list[str] | None, max_chars: int) -> str | None:
    if not text.strip():
        return "empty"
    if len(text) > max_chars:
        return "too_long"
    if text.lstrip().startswith("/") and text not in (last_buttons or []):
        return "command_not_offered"
    return None


async def handle_turn(
    db: Session,
    rasa: RasaClient,
    *,
    sender_id: str,
    channel: str,
    text: str,
    language_hint: str | None,
    max_chars: int,
) -> dict[str, Any]:
    """Check, record, forward and record the reply; always answers ``{messages: [...]}``.

    Turns of one sender run one at a time, so the payload check always sees the buttons of the
    reply before (a double click cannot send a payload twice against the same offer). With
    ``REDIS_URL`` set this holds across backend processes too (backend/hub/turn_lock.py).
    """
    try:
        async with turn_locks().hold(sender_id):
            return await _handle_turn(
                db,
                rasa,
                sender_id=sender_id,
                channel=channel,
                text=text,
                language_hint=language_hint,
                max_chars=max_chars,
            )
    except TurnBusy:
        _log(sender=sender_id, channel=channel, error="turn_busy")
        return {"messages": [{"text": hub_reply("unavailable", language_hint)}], "error": "busy"}


async def _handle_turn(
    db: Session,
    rasa: RasaClient,
    *,
    sender_id: str,
    channel: str,
    text: str,
    language_hint: str | None,
    max_chars: int,
) -> dict[str, Any]:
    # The database work runs in worker threads, never on the event loop. Under load the pool can
    # be empty for a moment; a pool wait on the loop then stops the loop, and with it the
    # clean-up that would give the connections back (FastAPI closes the other requests'
    # sessions from the loop): at 20 users every contribution visit hung for the client's full
    # two minutes (bench/load.py). Between these steps no connection is held while Rasa works.
    started = time.monotonic()
    early = await asyncio.to_thread(
        _before_rasa, db, sender_id, channel, text, language_hint, max_chars
    )
    if early is not None:
        return early
    metadata = {"channel": channel, "language_hint": language_hint}
    try:
        items = await replicas.send(rasa, sender_id, text, metadata)  # sender's replica
        messages = normalise_reply(items)
        if not messages:
            # Rasa's REST channel answers 200 [] when a custom action fails (action server down)
            raise RasaUnavailable("empty reply")
    except RasaUnavailable as exc:
        reply = hub_reply("unavailable", language_hint)
        await asyncio.to_thread(_store_unavailable, db, sender_id, reply)
        _log(
            sender=sender_id,
            channel=channel,
            text=mask_identifiers(text),
            error="unavailable",
            cause=str(exc)[:200],
            ms=round((time.monotonic() - started) * 1000),
        )
        return {"messages": [{"text": reply}], "error": "unavailable"}

    buttons = await asyncio.to_thread(_store_replies, db, sender_id, channel, messages)
    _log(
        sender=sender_id,
        channel=channel,
        text=mask_identifiers(text),
        replies=[mask_identifiers(m.get("text") or "") for m in messages],
        buttons=buttons,
        ms=round((time.monotonic() - started) * 1000),
    )
    return {"messages": messages}


def _before_rasa(
    db: Session,
    sender_id: str,
    channel: str,
    text: str,
    language_hint: str | None,
    max_chars: int,
) -> dict[str, Any] | None:
    """Refuse, record and route the user's message; the answer when it goes no further."""
    conversation = get_conversation(db, sender_id, channel, language_hint)
    reason = refusal_reason(text, conversation.last_buttons, max_chars)
    if reason is not None:
        reply = hub_reply(reason, language_hint, max=max_chars)
        if reason != "empty":
            _record(db, sender_id, "in", text, {"refused": reason})
            _record(db, sender_id, "out", reply, {"hub": reason})
        db.commit()
        _log(
            sender=sender_id,
            channel=channel,
            text=mask_identifiers(text[:500]),
            chars=len(text),
            refused=reason,
        )
        return {"messages": [{"text": reply}], "refused": reason}

    _record(db, sender_id, "in", text, None)
    db.commit()  # the user's message is kept even if Rasa does not answer

    from backend.hub import handoff  # issue 6: an open handoff ticket → a person, not Rasa

    routed = handoff.route_to_agent(db, sender_id, language_hint)
    # Give the connection back while Rasa works: the action server calls this backend during
    # the turn, and one pooled connection held per waiting turn exhausts the pool.
    db.commit()
    return routed


def _store_unavailable(db: Session, sender_id: str, reply: str) -> None:
    _record(db, sender_id, "out", reply, {"error": "unavailable"})
    db.commit()


def _store_replies(
    db: Session, sender_id: str, channel: str, messages: list[dict[str, Any]]
) -> int:
    """Keep Rasa's replies and the buttons they offer (the next turn's allowed payloads)."""
    conversation = get_conversation(db, sender_id, channel)
    conversation.last_buttons = offered_payloads(messages)
    for message in messages:
        data = {k: v for k, v in message.items() if k != "text"}
        _record(db, sender_id, "out", message.get("text"), json.loads(json.dumps(data)) or None)
    db.commit()
    return len(conversation.last_buttons)
