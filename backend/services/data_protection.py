"""Personal data protection (PDPA): erasing one conversation, and the retention period.

Two stores hold a conversation: the backend's ``conversations``/``conversation_messages`` (masked
transcript, the account binding) and Rasa's SQL tracker store (table ``events``: every user
message, slot and action, keyed by ``sender_id`` with a float epoch ``timestamp``). Both are cleared
here. What survives retention is ``analytics_daily``: per day and channel, counts only.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from backend.db import get_engine
from backend.models import AnalyticsDaily, Conversation, ConversationMessage, HandoffTicket

log = logging.getLogger(__name__)

# Only the two columns we filter on: the rest of Rasa's table is never read.
_EVENTS = sa.table("events", sa.column("sender_id"), sa.column("timestamp"))


def _tracker_has_events(tracker_url: str) -> bool:
    if tracker_url.startswith("sqlite"):
        path = tracker_url.split("///", 1)[-1]
        if path != ":memory:":
            from pathlib import Path

            if not Path(path).exists():  # never create an empty tracker file
                return False
    return sa.inspect(get_engine(tracker_url)).has_table("events")


def delete_tracker_events(
    tracker_url: str, *, sender_id: str | None = None, before: datetime | None = None
) -> int:
    """Delete Rasa events of one sender and/or older than ``before`` (naive UTC); the count."""
    if sender_id is None and before is None:
        raise ValueError("name a sender or a cut-off")
    if not _tracker_has_events(tracker_url):
        return 0
    statement = delete(_EVENTS)
    if sender_id is not None:
        statement = statement.where(_EVENTS.c.sender_id == sender_id)
    if before is not None:
        epoch = (before - datetime(1970, 1, 1)).total_seconds()
        statement = statement.where(_EVENTS.c.timestamp < epoch)
    with get_engine(tracker_url).begin() as conn:
        return conn.execute(statement).rowcount or 0


def erase_conversation(db: Session, tracker_url: str, sender_id: str) -> dict[str, Any]:
    """'Delete my conversation data': transcript, the account binding and Rasa's events.

    A handoff ticket keeps a copy of the answers the chat had collected ("answers so far": names,
    MyKad numbers, wages); those are conversation data too, so they are emptied. The ticket itself
    (who handled it, when, the flow) stays as the helpline's record of the call.
    """
    messages = db.execute(
        delete(ConversationMessage).where(ConversationMessage.sender_id == sender_id)
    ).rowcount
    tickets = db.execute(
        update(HandoffTicket)
        .where(HandoffTicket.sender_id == sender_id)
        .values(slots={}, requested_slot=None)
    ).rowcount
    conversation = db.get(Conversation, sender_id)
    unbound = bool(conversation is not None and conversation.account_id is not None)
    if conversation is not None:
        db.delete(conversation)
    db.commit()
    events = delete_tracker_events(tracker_url, sender_id=sender_id)
    log.info(
        "conversation data erased",
        extra={
            "event": "data_erased",
            "messages": messages,
            "tracker_events": events,
            "tickets_emptied": tickets,
        },
    )
    return {"messages": messages or 0, "tracker_events": events, "account_unbound": unbound}


def _channel(conversation_channel: str | None, sender_id: str) -> str:
    if conversation_channel:
        return conversation_channel
    return "telegram" if sender_id.startswith("tg-") else "web"


def apply_retention(db: Session, tracker_url: str, days: int, now: datetime) -> dict[str, Any]:
    """Fold messages older than ``days`` into daily counts, then delete them and old events.

    Idempotent: counted messages are deleted in the same transaction, so a second run adds
    nothing. Conversations with no message left and untouched for the period go too (this
    unbinds an idle chat's account).
    """
    if days < 1:
        raise ValueError("the retention period is at least one day")
    cutoff = now - timedelta(days=days)
    turns: dict[tuple[date, str], int] = defaultdict(int)
    senders: dict[tuple[date, str], set[str]] = defaultdict(set)
    rows = db.execute(
        select(ConversationMessage.created_at, ConversationMessage.sender_id, Conversation.channel)
        .join(Conversation, Conversation.sender_id == ConversationMessage.sender_id)
        .where(ConversationMessage.direction == "in", ConversationMessage.created_at < cutoff)
        .execution_options(yield_per=5000)
    )
    for created_at, sender_id, channel in rows:
        key = (created_at.date(), _channel(channel, sender_id))
        turns[key] += 1
        senders[key].add(sender_id)
    for (day, channel), count in sorted(turns.items()):
        row = db.scalar(
            select(AnalyticsDaily).where(
                AnalyticsDaily.day == day, AnalyticsDaily.channel == channel
            )
        )
        if row is None:
            row = AnalyticsDaily(day=day, channel=channel, turns=0, conversations=0)
            db.add(row)
        row.turns += count
        row.conversations += len(senders[(day, channel)])
    messages = db.execute(
        delete(ConversationMessage).where(ConversationMessage.created_at < cutoff)
    ).rowcount
    remaining = (
        select(func.count())
        .where(ConversationMessage.sender_id == Conversation.sender_id)
        .scalar_subquery()
    )
    idle = db.execute(
        delete(Conversation).where(
            func.coalesce(Conversation.updated_at, Conversation.created_at) < cutoff,
            remaining == 0,
        )
    ).rowcount
    db.commit()
    events = delete_tracker_events(tracker_url, before=cutoff)
    summary = {
        "cutoff": cutoff.isoformat() + "Z",
        "days_counted": len(turns),
        "messages_deleted": messages or 0,
        "conversations_deleted": idle or 0,
        "tracker_events_deleted": events,
    }
    log.info("retention applied", extra={"event": "retention", **summary})
    return summary
