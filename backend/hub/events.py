"""What the web chat is told without asking: pushed messages and "the agent is typing".

``GET /api/v1/chat/events`` (server-sent events, session cookie) streams the transcript rows the
backend pushed to this chat (``proactive`` rows: a payment result, a deadline reminder, a helpline
agent's reply, the bot after a hand-back) and an ``event: typing`` frame while a helpline agent
types in the console (:mod:`backend.hub.presence`).

The ids agree with ``GET /api/v1/chat/history``: every history item carries its transcript id and
the answer carries ``last_id``, and the stream starts after ``Last-Event-ID`` (what the browser's
EventSource sends when it reconnects by itself), else ``?after=<id>`` (what the widget passes when
it opens a new stream), else the newest row. The cursor is sent as an ``event: cursor`` frame
(with its ``id:``) at the start and whenever rows were passed over, so neither the browser's
reconnect nor the page's next stream starts "from now" and misses a message pushed while the
stream was down; the widget drops an id it has already shown.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import get_sessionmaker
from backend.hub import presence
from backend.models import ConversationMessage
from backend.settings import Settings

POLL_SECONDS = 0.5
BATCH = 100


def is_pushed(row: ConversationMessage) -> bool:
    """A message the user did not ask for in this turn (the stream's only content)."""
    return row.direction == "out" and bool((row.data or {}).get("proactive"))


def last_message_id(db: Session, sender_id: str) -> int:
    row = db.scalars(
        select(ConversationMessage.id)
        .where(ConversationMessage.sender_id == sender_id)
        .order_by(ConversationMessage.id.desc())
        .limit(1)
    ).first()
    return int(row or 0)


def start_after(last_event_id: str | None, after: str | None, fallback: int) -> int:
    """``Last-Event-ID`` (newest, set by the browser) wins over ``?after=``; else ``fallback``."""
    for raw in (last_event_id, after):
        if raw and raw.strip().isdigit():
            return int(raw.strip())
    return fallback


def widget_message(row: ConversationMessage) -> dict[str, Any]:
    data = row.data or {}
    message: dict[str, Any] = {"id": row.id}
    if row.text:
        message["text"] = row.text
    for key in ("buttons", "link", "document", "agent"):
        if data.get(key):
            message[key] = data[key]
    return message


def _rows_after(database_url: str, sender_id: str, after: int) -> list[ConversationMessage]:
    with get_sessionmaker(database_url)() as db:
        rows = list(
            db.scalars(
                select(ConversationMessage)
                .where(ConversationMessage.sender_id == sender_id, ConversationMessage.id > after)
                .order_by(ConversationMessage.id)
                .limit(BATCH)
            )
        )
        db.expunge_all()
    return rows


def _frame(data: dict[str, Any], *, event: str | None = None, id_: int | None = None) -> str:
    lines = []
    if event:
        lines.append(f"event: {event}")
    if id_ is not None:
        lines.append(f"id: {id_}")
    lines.append(f"data: {json.dumps(data, ensure_ascii=False)}")
    return "\n".join(lines) + "\n\n"


async def widget_stream(
    settings: Settings,
    sender_id: str,
    after: int,
    *,
    max_seconds: float,
    poll_seconds: float = POLL_SECONDS,
    now: Callable[[], float] = time.monotonic,
) -> AsyncIterator[str]:
    """The frames for one connection; ends after ``max_seconds`` (the browser reconnects)."""
    # retry: the browser's reconnect delay; the cursor, known even if nothing comes.
    yield "retry: 1000\n" + _frame({"id": after}, event="cursor", id_=after)
    deadline = now() + max_seconds
    typing_shown: float | None = None
    while True:
        rows = await asyncio.to_thread(_rows_after, settings.database_url, sender_id, after)
        sent_through = after
        for row in rows:
            after = row.id
            if is_pushed(row):
                sent_through = row.id
                yield _frame(widget_message(row), id_=row.id)
        if after != sent_through:  # rows passed over: move the browser's cursor past them
            yield _frame({"id": after}, event="cursor", id_=after)
        typing = presence.typing_state(sender_id)
        stamp = typing.since if typing is not None else None
        if stamp != typing_shown:
            typing_shown = stamp
            body = {"agent": typing.agent} if typing is not None else {"agent": None}
            yield _frame(body, event="typing")
        if len(rows) == BATCH:
            continue  # more to catch up on: no pause
        if now() >= deadline:
            return
        await asyncio.sleep(poll_seconds)
