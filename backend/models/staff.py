"""Helpline staff (issue 6): staff accounts and the audit log of every staff action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base
from backend.models._common import utcnow


class StaffUser(Base):
    """A helpline agent or supervisor; signs in at /staff/login, never through the portal."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(12), default="agent")  # agent | supervisor
    password_hash: Mapped[str] = mapped_column(Text)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class StaffAudit(Base):
    """One row per staff action (sign-in, look-up, reveal, re-send); subjects are masked."""

    __tablename__ = "staff_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    action: Mapped[str] = mapped_column(String(40))
    employer_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    subject: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class HandoffTicket(Base):
    """A chat waiting for a human: queued here, then assigned to and closed by a staff member.

    The bot opens it (``POST /api/v1/handoffs``); while it is open or assigned the hub sends the
    chat's messages to the console instead of Rasa (``backend/hub/handoff.py``).
    """

    __tablename__ = "handoff_tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender_id: Mapped[str] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    language: Mapped[str] = mapped_column(String(2), default="en")
    flow: Mapped[str | None] = mapped_column(String(60), nullable=True)
    slots: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    assigned_to: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    channel: Mapped[str] = mapped_column(String(16), default="web")
    reason: Mapped[str] = mapped_column(String(20), default="asked")  # asked | fallback
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    requested_slot: Mapped[str | None] = mapped_column(String(60), nullable=True)


class CallbackRequest(Base):
    """Outside staffed hours: the caller's phone number and preferred time, for staff to ring."""

    __tablename__ = "callback_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender_id: Mapped[str] = mapped_column(String(128), index=True)
    language: Mapped[str] = mapped_column(String(2), default="en")
    phone: Mapped[str] = mapped_column(String(20))
    preferred_time: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)  # open | done
    handled_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AssistedSession(Base):
    """An agent chatting with the assistant for a caller, bound after the caller reads the code.

    ``sender_id`` is the Rasa conversation the agent drives (``staff-<id>-<random>``); once the
    code is verified, ``conversations.account_id`` is the caller's account and every API call in
    that conversation resolves to ``Actor(account, staff_id=<agent>)``.
    """

    __tablename__ = "assisted_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    account_id: Mapped[int] = mapped_column(Integer, index=True)
    sender_id: Mapped[str] = mapped_column(String(128), unique=True)
    code_hash: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
