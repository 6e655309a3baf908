"""Tables the supervisors' dashboard reads (issue 6), filled only from Rasa's events.

:func:`backend.analytics.ingest.ingest_rasa_events` is the one writer. Senders are kept as a
SHA-256 key, never the Rasa sender id itself, and no message text is stored: these rows are as
anonymous as ``analytics_daily`` and may outlive the transcripts (retention).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base


class AnalyticsSender(Base):
    """Where one sender's event stream stands, so replays and redeliveries change nothing."""

    __tablename__ = "analytics_senders"

    sender_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), default="other")
    language: Mapped[str | None] = mapped_column(String(2), nullable=True)
    last_timestamp: Mapped[float] = mapped_column(Float, default=0.0)
    open_run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    requested_slot: Mapped[str | None] = mapped_column(String(60), nullable=True)
    last_action: Mapped[str | None] = mapped_column(String(80), nullable=True)
    last_user_fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    # fingerprints of the events of the last few minutes: a redelivered event is skipped
    recent: Mapped[list[str]] = mapped_column(JSON, default=list)


class AnalyticsConversationDay(Base):
    """One sender's activity on one day (Malaysia time): the unit of every dashboard rate."""

    __tablename__ = "analytics_conversation_days"
    __table_args__ = (UniqueConstraint("day", "sender_key", name="uq_analytics_conv_day_sender"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    sender_key: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16), default="other")
    language: Mapped[str | None] = mapped_column(String(2), nullable=True)
    user_turns: Mapped[int] = mapped_column(Integer, default=0)
    fallbacks: Mapped[int] = mapped_column(Integer, default=0)
    handoff_requested: Mapped[bool] = mapped_column(Boolean, default=False)


class AnalyticsFlowRun(Base):
    """One run of a form: started, then completed, cancelled or left at ``last_slot``."""

    __tablename__ = "analytics_flow_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender_key: Mapped[str] = mapped_column(String(64), index=True)
    flow: Mapped[str] = mapped_column(String(60), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    outcome: Mapped[str] = mapped_column(String(12), default="open")  # open|completed|cancelled
    last_slot: Mapped[str | None] = mapped_column(String(60), nullable=True)
    # user turns while the form was active (the /metrics "turns per flow", issue 7)
    turns: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
