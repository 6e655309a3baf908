"""Anonymised daily usage kept after transcripts are deleted (PDPA retention, issue 7)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base


class AnalyticsDaily(Base):
    """Counts only: no sender id, no text. One row per day (UTC) and channel."""

    __tablename__ = "analytics_daily"
    __table_args__ = (UniqueConstraint("day", "channel", name="uq_analytics_daily_day_channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(16))
    turns: Mapped[int] = mapped_column(Integer, default=0)
    conversations: Mapped[int] = mapped_column(Integer, default=0)
