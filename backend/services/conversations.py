"""Conversation rows keyed by Rasa sender id: who (if anyone) is logged in on that chat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from backend.models import Conversation, PortalAccount


def channel_of(sender_id: str) -> str:
    """The hub names senders ``web-…`` or ``tg-…``; anything else is treated as web."""
    return "telegram" if sender_id.startswith("tg-") else "web"


def get_or_create(db: Session, sender_id: str, now: datetime) -> Conversation:
    conversation = db.get(Conversation, sender_id)
    if conversation is None:
        conversation = Conversation(
            sender_id=sender_id,
            channel=channel_of(sender_id),
            last_buttons=[],
            created_at=now,
            updated_at=now,
        )
        db.add(conversation)
        db.flush()
    return conversation


def bind_account(db: Session, sender_id: str, account_id: int, now: datetime) -> Conversation:
    conversation = get_or_create(db, sender_id, now)
    conversation.account_id = account_id
    conversation.updated_at = now
    return conversation


def logged_in_account(db: Session, sender_id: str) -> PortalAccount | None:
    conversation = db.get(Conversation, sender_id)
    if conversation is None or conversation.account_id is None:
        return None
    return db.get(PortalAccount, conversation.account_id)


def logout(db: Session, sender_id: str, now: datetime) -> None:
    conversation = db.get(Conversation, sender_id)
    if conversation is not None and conversation.account_id is not None:
        conversation.account_id = None
        conversation.updated_at = now
