"""Rasa's events → the dashboard's tables (the one writer of ``backend/models/insight.py``).

The data contract: analytics come from the events Rasa publishes (its event broker: RabbitMQ in
production, a feeder reading the same event dicts in the default profile), never from querying
the tracker store, so the dashboard keeps working whatever tracker store Rasa uses and the
tracker store stays Rasa's private business.

:func:`ingest_rasa_events` takes event-broker dicts (``sender_id``, ``event``, ``timestamp``,
``name``, ``value``, ``parse_data``, ``input_channel``, ``metadata`` …) in the order one sender's
events were published, and updates

- ``analytics_conversation_days``: per sender and day (Malaysia time) the channel, language, user
  turns, fallbacks (turns the bot answered with its fallback: ``action_fallback`` after an
  ``nlu_fallback``, or a core fallback; a low-confidence message that a form still took as its
  answer is not one) and whether a human was requested
  (``action_handoff_request`` ran);
- ``analytics_flow_runs``: each form run (``active_loop`` events) with its outcome — ``completed``
  when the form itself deactivated the loop, ``cancelled`` when another action did (the cancel
  rule, ``action_deactivate_loop``), ``abandoned`` when a new session or another form replaced
  it — and ``last_slot``, the slot it was asking when it stopped (drop-out by slot);
- ``analytics_senders``: where each sender's stream stands.

It never commits: the caller commits, then acknowledges the broker message, so an event is
counted once even when the process dies in between (a redelivered event is recognised by its
fingerprint and skipped). No sender id (only its SHA-256) and no message text is stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import (
    AnalyticsConversationDay,
    AnalyticsFlowRun,
    AnalyticsSender,
)

logger = logging.getLogger("assist.analytics")

MALAYSIA = ZoneInfo("Asia/Kuala_Lumpur")
CHANNELS = ("web", "telegram", "assisted")
# The bot's own fallback (clarify, then offer a person) and Rasa's core fallbacks.
FALLBACK_ACTIONS = frozenset(
    {"action_fallback", "action_default_fallback", "action_two_stage_fallback"}
)
HANDOFF_ACTION = "action_handoff_request"
RECENT_WINDOW_SECONDS = 600.0
RECENT_MAX = 400


def sender_key(sender_id: str) -> str:
    """What the analytics tables store instead of the sender id."""
    return hashlib.sha256(sender_id.encode("utf-8")).hexdigest()


def _fingerprint(event: dict[str, Any]) -> str:
    try:
        raw = json.dumps(event, sort_keys=True, default=str)
    except (TypeError, ValueError):
        raw = repr(sorted(event.items(), key=lambda kv: str(kv[0])))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:20]


def _timestamp(event: dict[str, Any]) -> float | None:
    value = event.get("timestamp")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def malaysia_day(timestamp: float) -> date:
    return datetime.fromtimestamp(timestamp, MALAYSIA).date()


def _naive_utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)


def channel_of(sender_id: str, event: dict[str, Any]) -> str:
    """The hub's channel from the message metadata, else from the sender id's shape."""
    metadata = event.get("metadata") if isinstance(event.get("metadata"), dict) else {}
    channel = metadata.get("channel")
    if channel in CHANNELS:
        return str(channel)
    if sender_id.startswith("tg-"):
        return "telegram"
    if sender_id.startswith("web-"):
        return "web"
    if sender_id.startswith("staff-"):
        return "assisted"
    return "other"


class _Ingest:
    """One call's working set: rows loaded once per sender/day, flushed at the end."""

    def __init__(self, session: Session) -> None:
        self.db = session
        self.senders: dict[str, AnalyticsSender] = {}
        self.days: dict[tuple[date, str], AnalyticsConversationDay] = {}
        self.runs: dict[int, AnalyticsFlowRun] = {}

    def sender(self, key: str) -> AnalyticsSender:
        row = self.senders.get(key) or self.db.get(AnalyticsSender, key)
        if row is None:
            row = AnalyticsSender(
                sender_key=key,
                channel="other",
                last_timestamp=0.0,
                last_user_fallback=False,
                recent=[],
            )
            self.db.add(row)
        self.senders[key] = row
        return row

    def day_row(self, state: AnalyticsSender, day: date) -> AnalyticsConversationDay:
        cache_key = (day, state.sender_key)
        row = self.days.get(cache_key)
        if row is None:
            row = self.db.scalars(
                select(AnalyticsConversationDay).where(
                    AnalyticsConversationDay.day == day,
                    AnalyticsConversationDay.sender_key == state.sender_key,
                )
            ).first()
        if row is None:
            row = AnalyticsConversationDay(
                day=day,
                sender_key=state.sender_key,
                channel=state.channel,
                language=state.language,
                user_turns=0,
                fallbacks=0,
                handoff_requested=False,
            )
            self.db.add(row)
        self.days[cache_key] = row
        return row

    def open_run(self, state: AnalyticsSender) -> AnalyticsFlowRun | None:
        if state.open_run_id is None:
            return None
        run = self.runs.get(state.open_run_id) or self.db.get(AnalyticsFlowRun, state.open_run_id)
        if run is None or run.outcome != "open":
            state.open_run_id = None
            return None
        self.runs[run.id] = run
        return run

    def end_run(self, state: AnalyticsSender, outcome: str, ts: float) -> None:
        run = self.open_run(state)
        if run is not None:
            run.outcome = outcome
            run.ended_at = _naive_utc(ts)
            if outcome != "completed":
                run.last_slot = run.last_slot or state.requested_slot
        state.open_run_id = None

    # --- one event ---

    def apply(self, event: dict[str, Any]) -> bool:
        sender_id = event.get("sender_id")
        kind = event.get("event")
        ts = _timestamp(event)
        if not isinstance(sender_id, str) or not sender_id or not isinstance(kind, str):
            return False
        if ts is None:
            return False
        state = self.sender(sender_key(sender_id))
        fingerprint = _fingerprint(event)
        recent = list(state.recent or [])
        if fingerprint in recent:
            return False
        if state.last_timestamp and ts < state.last_timestamp - RECENT_WINDOW_SECONDS:
            return False  # older than anything we still remember: a replay of a counted event
        recent.append(fingerprint)
        state.recent = recent[-RECENT_MAX:]
        state.last_timestamp = max(state.last_timestamp or 0.0, ts)

        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(state, sender_id, event, ts)
        return True

    def _on_user(
        self, state: AnalyticsSender, sender_id: str, event: dict[str, Any], ts: float
    ) -> None:
        state.channel = channel_of(sender_id, event)
        metadata = event.get("metadata") if isinstance(event.get("metadata"), dict) else {}
        hint = metadata.get("language_hint")
        if state.language is None and hint in ("en", "ms"):
            state.language = hint
        row = self.day_row(state, malaysia_day(ts))
        row.channel = state.channel
        row.language = state.language or row.language
        row.user_turns += 1
        run = self.open_run(state)
        if run is not None:  # a turn inside a form: counted for its flow (/metrics)
            run.turns = (run.turns or 0) + 1
        state.last_user_fallback = False  # counted when the bot answers with a fallback

    def _on_action(
        self, state: AnalyticsSender, sender_id: str, event: dict[str, Any], ts: float
    ) -> None:
        name = event.get("name")
        if not isinstance(name, str):
            return
        if name in FALLBACK_ACTIONS and not state.last_user_fallback:
            self.day_row(state, malaysia_day(ts)).fallbacks += 1
            state.last_user_fallback = True  # one fallback per turn at most
        if name == HANDOFF_ACTION:
            self.day_row(state, malaysia_day(ts)).handoff_requested = True
        if name != "action_listen":
            state.last_action = name[:80]

    def _on_slot(
        self, state: AnalyticsSender, sender_id: str, event: dict[str, Any], ts: float
    ) -> None:
        name, value = event.get("name"), event.get("value")
        if name == "language" and value in ("en", "ms"):
            state.language = value
        elif name == "requested_slot":
            state.requested_slot = value[:60] if isinstance(value, str) else None
            run = self.open_run(state)
            if run is not None and state.requested_slot:
                run.last_slot = state.requested_slot

    def _on_active_loop(
        self, state: AnalyticsSender, sender_id: str, event: dict[str, Any], ts: float
    ) -> None:
        name = event.get("name")
        current = self.open_run(state)
        if isinstance(name, str) and name:
            if current is not None and current.flow == name:
                return  # the same form going on (re-activated after an interruption)
            if current is not None:
                self.end_run(state, "abandoned", ts)
            run = AnalyticsFlowRun(
                sender_key=state.sender_key,
                flow=name[:60],
                day=malaysia_day(ts),
                started_at=_naive_utc(ts),
                outcome="open",
                last_slot=None,
            )
            self.db.add(run)
            self.db.flush()
            self.runs[run.id] = run
            state.open_run_id = run.id
            state.requested_slot = None
            return
        if current is None:
            return
        outcome = "completed" if state.last_action == current.flow else "cancelled"
        if outcome == "completed" and state.requested_slot:
            outcome = "cancelled"  # a form never stops by itself while still asking
        self.end_run(state, outcome, ts)

    def _on_session_started(
        self, state: AnalyticsSender, sender_id: str, event: dict[str, Any], ts: float
    ) -> None:
        self.end_run(state, "abandoned", ts)
        state.requested_slot = None

    def _on_restart(
        self, state: AnalyticsSender, sender_id: str, event: dict[str, Any], ts: float
    ) -> None:
        self._on_session_started(state, sender_id, event, ts)


def ingest_rasa_events(session: Session, events: Iterable[dict[str, Any]]) -> int:
    """Apply Rasa event-broker events; the number applied (malformed and repeated ones skipped).

    Events of one sender must come in the order Rasa published them (one queue does that).
    Flushes but does not commit: commit, then acknowledge.
    """
    work = _Ingest(session)
    applied = 0
    for event in events:
        if not isinstance(event, dict):
            continue
        try:
            if work.apply(event):
                applied += 1
        except (TypeError, ValueError, AttributeError) as exc:
            # one malformed event must not block the queue behind it
            logger.warning(
                "analytics event skipped",
                extra={
                    "event": "analytics_skipped",
                    "kind": str(event.get("event"))[:40],
                    "error": str(exc)[:200],
                },
            )
    session.flush()
    return applied
