"""Deadline reminders (issue 5) and the Telegram gateway's button keys.

A subscription is per account *and* chat: an employer who opted in on Telegram gets the reminder
there, one who opted in on the web sees it in the widget; logging out of that chat stops it (the
job checks the chat is still bound to the account). ``reminders_sent`` holds one row per
employer, month and chat: the row is claimed before sending, so a second run (or a second
replica) never sends a month's reminder twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base
from backend.models._common import utcnow


class ReminderSubscription(Base):
    """Opt-in (``enabled``) or opt-out of contribution deadline reminders for one chat."""

    __tablename__ = "reminder_subscriptions"
    __table_args__ = (
        UniqueConstraint("account_id", "sender_id", name="uq_reminder_subscriptions_chat"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("portal_accounts.id", ondelete="CASCADE"), index=True
    )
    sender_id: Mapped[str] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(16), default="web")
    language: Mapped[str] = mapped_column(String(2), default="en")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class ReminderSent(Base):
    """One reminder for one employer's month to one chat (claimed before it is sent)."""

    __tablename__ = "reminders_sent"
    __table_args__ = (
        UniqueConstraint("employer_id", "month", "sender_id", name="uq_reminders_sent_once"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    employer_id: Mapped[int] = mapped_column(
        ForeignKey("employers.id", ondelete="CASCADE"), index=True
    )
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    sender_id: Mapped[str] = mapped_column(String(128))
    delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class TelegramCallback(Base):
    """A Telegram button's ``callback_data`` key (≤ 64 bytes) → the bot's longer payload.

    Kept in the database (through the backend API) so a keyboard sent before a gateway restart,
    or by another gateway replica, still works when pressed.
    """

    __tablename__ = "telegram_callbacks"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
