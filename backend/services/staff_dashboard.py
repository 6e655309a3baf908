"""The supervisors' dashboard figures over a date range (Malaysia days, both ends included).

Conversation, fallback, funnel and language figures come from the tables that
:func:`backend.analytics.ingest.ingest_rasa_events` fills from Rasa's events (never from the
tracker store). Waiting time comes from the backend's own handoff tickets (created → taken).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import AnalyticsConversationDay, AnalyticsFlowRun, HandoffTicket

MALAYSIA = ZoneInfo("Asia/Kuala_Lumpur")
MAX_DAYS = 366
FLOW_NAMES = {
    "portal_id_form": ("Portal ID application", "Permohonan ID portal"),
    "login_form": ("Log in", "Log masuk"),
    "rate_quote_form": ("Contribution quote", "Sebut harga caruman"),
    "employer_registration_form": ("Employer registration", "Pendaftaran majikan"),
    "domestic_employer_registration_form": (
        "Domestic employer registration",
        "Pendaftaran majikan domestik",
    ),
    "local_employee_form": ("Local employee", "Pekerja tempatan"),
    "foreign_employee_form": ("Foreign employee", "Pekerja asing"),
    "supporting_documents_form": ("Supporting documents", "Dokumen sokongan"),
    "contribution_form": ("Contributions", "Caruman"),
    "payment_form": ("Payment", "Bayaran"),
    "bank_counter_form": ("Bank counter slip", "Slip kaunter bank"),
    "callback_form": ("Callback request", "Permintaan panggilan semula"),
}


class RangeError(ValueError):
    pass


def parse_range(start: str | None, end: str | None, today: date) -> tuple[date, date]:
    """``YYYY-MM-DD`` ends (default: the last 30 days to ``today``)."""
    try:
        last = date.fromisoformat(end) if end else today
        first = date.fromisoformat(start) if start else last - timedelta(days=29)
    except ValueError as exc:
        raise RangeError("dates are YYYY-MM-DD") from exc
    if first > last:
        raise RangeError("the start date is after the end date")
    if (last - first).days >= MAX_DAYS:
        raise RangeError(f"choose at most {MAX_DAYS} days")
    return first, last


def malaysia_today(now_utc: datetime) -> date:
    return now_utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(MALAYSIA).date()


def _utc_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    start = datetime.combine(first, time.min, MALAYSIA).astimezone(ZoneInfo("UTC"))
    end = datetime.combine(last + timedelta(days=1), time.min, MALAYSIA).astimezone(ZoneInfo("UTC"))
    return start.replace(tzinfo=None), end.replace(tzinfo=None)


def flow_label(flow: str, language: str = "en") -> str:
    names = FLOW_NAMES.get(flow)
    if names is None:
        return flow.removesuffix("_form").replace("_", " ").capitalize()
    return names[1 if language == "ms" else 0]


def figures(db: Session, first: date, last: date, language: str = "en") -> dict[str, Any]:
    days = list(
        db.scalars(
            select(AnalyticsConversationDay).where(
                AnalyticsConversationDay.day >= first, AnalyticsConversationDay.day <= last
            )
        )
    )
    per_day: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    languages: dict[str, int] = defaultdict(int)
    channels: set[str] = set()
    turns = fallbacks = handoffs = 0
    for row in days:
        per_day[row.day.isoformat()][row.channel] += 1
        channels.add(row.channel)
        languages[row.language or "unknown"] += 1
        turns += row.user_turns
        fallbacks += row.fallbacks
        handoffs += 1 if row.handoff_requested else 0
    all_days = [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]

    runs = list(
        db.scalars(
            select(AnalyticsFlowRun).where(
                AnalyticsFlowRun.day >= first, AnalyticsFlowRun.day <= last
            )
        )
    )
    funnels: dict[str, dict[str, Any]] = {}
    for run in runs:
        funnel = funnels.setdefault(
            run.flow,
            {
                "flow": run.flow,
                "label": flow_label(run.flow, language),
                "started": 0,
                "completed": 0,
                "cancelled": 0,
                "abandoned": 0,
                "in_progress": 0,
                "dropped_at": defaultdict(int),
            },
        )
        funnel["started"] += 1
        outcome = {"open": "in_progress"}.get(run.outcome, run.outcome)
        if outcome in funnel:
            funnel[outcome] += 1
        if run.outcome != "completed":
            funnel["dropped_at"][run.last_slot or "(before the first question)"] += 1
    funnel_list = []
    for funnel in sorted(funnels.values(), key=lambda f: -f["started"]):
        dropped = sorted(funnel.pop("dropped_at").items(), key=lambda kv: -kv[1])
        funnel["dropped_at"] = [{"slot": slot, "count": n} for slot, n in dropped]
        funnel["completion_rate"] = round(funnel["completed"] / funnel["started"], 3)
        funnel_list.append(funnel)

    start_utc, end_utc = _utc_bounds(first, last)
    tickets = list(
        db.scalars(
            select(HandoffTicket).where(
                HandoffTicket.created_at >= start_utc, HandoffTicket.created_at < end_utc
            )
        )
    )
    waits = [
        (t.assigned_at - t.created_at).total_seconds()
        for t in tickets
        if t.assigned_at is not None and t.created_at is not None
    ]
    conversations = len(days)
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "conversations": conversations,
        "per_day": {
            "days": all_days,
            "channels": {
                channel: [per_day.get(d, {}).get(channel, 0) for d in all_days]
                for channel in sorted(channels)
            },
        },
        "languages": dict(sorted(languages.items())),
        "user_turns": turns,
        "fallbacks": fallbacks,
        "fallback_rate": round(fallbacks / turns, 3) if turns else 0.0,
        "handoff_conversations": handoffs,
        "handoff_rate": round(handoffs / conversations, 3) if conversations else 0.0,
        "handoff_tickets": len(tickets),
        "waiting": {
            "taken": len(waits),
            "not_taken": sum(1 for t in tickets if t.assigned_at is None),
            "median_seconds": round(statistics.median(waits)) if waits else None,
            "mean_seconds": round(statistics.fmean(waits)) if waits else None,
            "max_seconds": round(max(waits)) if waits else None,
        },
        "funnels": funnel_list,
    }
