"""Rasa's SQL tracker store without re-reading the whole conversation on every turn.

Runs inside Rasa (.venv-rasa, Python 3.10); endpoints name it as
``type: bot.tracker_store.CachedSQLTrackerStore`` with the SQL store's own settings.

Why: profiling Rasa under load (``python -m bench --only load``, py-spy) put about a quarter of
its CPU in the SQL tracker store. Per turn the stock store (Rasa 3.6) reads every event of the
session, parses the JSON and replays it into a tracker; on save it runs the same query again as
a ``COUNT`` to find which events are new, and, with the RabbitMQ event broker configured, a
*third* full read-and-replay only to work out which events to publish. A 22-turn visit holds a
few hundred events, so each turn costs more than the one before.

What this store does instead, keeping the database contents and the published events exactly
as the stock store writes them:

- It remembers, per conversation, the tracker it last returned or saved, with the number of
  rows the sender has in the table and the highest row id at that moment.
- ``retrieve`` asks the database only ``COUNT(*), MAX(id)`` for the sender (an index look-up).
  If both match and the remembered tracker holds exactly the events that were stored, that
  tracker is returned; otherwise the conversation is read from the database as before. So a
  turn handled by another replica (fail-over), an erasure or the retention job (rows deleted),
  or a turn that failed before saving (events appended in memory, never stored) all fall back
  to the database.
- ``save`` knows how many events are already stored when it is handed the tracker it returned,
  and publishes to the event broker the same new events it inserts, without re-reading.
- A save that starts a new conversation session forgets the tracker: the stock store returns
  only the latest session, and the next read does the same.

Only one process writes a conversation at a time: the hub sends each sender to one replica, and
the Redis lock store serialises turns across replicas. The memory used is bounded: at most
``cache_size`` conversations (default 500, settable in the endpoints file), least recently used
first out. A conversation late in a visit holds a few hundred events, roughly half a megabyte as
Python objects, so 500 is about 250 MB at worst per Rasa process; a conversation pushed out is
simply read from the table on its next turn.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)

DEFAULT_CACHE_SIZE = 500


@dataclass
class _Known:
    """What the database held for one sender when ``tracker`` was last read or saved."""

    tracker: DialogueStateTracker
    rows: int  # rows of this sender, all sessions
    last_id: int | None  # highest row id of this sender
    session_events: int  # events of the latest session stored (what the stock COUNT returns)
    length: int  # len(tracker.events) when it matched the database


class CachedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that keeps the trackers it serves and checks them against the table."""

    def __init__(self, *args: Any, cache_size: int | str = DEFAULT_CACHE_SIZE, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._known: OrderedDict[str, _Known] = OrderedDict()
        self._cache_size = max(0, int(cache_size))
        self.hits = 0  # turns served without reading the conversation (tests read it)

    # -- reading -------------------------------------------------------------------------------
    def _footprint(self, session: Any, sender_id: str) -> tuple[int, int | None]:
        row = session.execute(
            sa.select(sa.func.count(self.SQLEvent.id), sa.func.max(self.SQLEvent.id)).where(
                self.SQLEvent.sender_id == sender_id
            )
        ).one()
        return int(row[0]), row[1]

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session's tracker: the remembered one if the table still matches it."""
        with self.session_scope() as session:
            rows, last_id = self._footprint(session, sender_id)
            known = self._known.get(sender_id)
            if (
                known is not None
                and (known.rows, known.last_id) == (rows, last_id)
                and len(known.tracker.events) == known.length
            ):
                self._known.move_to_end(sender_id)
                self.hits += 1
                return known.tracker
            self._known.pop(sender_id, None)
            if rows == 0:
                return None
            stored = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=False
            ).all()
        events = [json.loads(event.data) for event in stored]
        if not self.domain or not events:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        self._remember(sender_id, _Known(tracker, rows, last_id, len(events), len(tracker.events)))
        return tracker

    # -- writing -------------------------------------------------------------------------------
    async def save(self, tracker: DialogueStateTracker) -> None:
        """Insert (and publish) the events not yet stored, as the stock store does."""
        sender_id = tracker.sender_id
        known = self._known.get(sender_id)
        ours = known is not None and known.tracker is tracker
        with self.session_scope() as session:
            if ours:
                stored = known.session_events
            else:  # a tracker this store did not hand out: count as the stock store does
                stored = self._event_query(
                    session, sender_id, fetch_events_from_all_sessions=False
                ).count()
            new_events = list(itertools.islice(tracker.events, stored, len(tracker.events)))
            if self.event_broker is not None:
                await self._stream_new_events(self.event_broker, new_events, sender_id)
            rows = [self._row(sender_id, event) for event in new_events]
            session.add_all(rows)
            session.flush()  # gives the rows their ids
            if ours:
                ids = [row.id for row in rows]
                footprint = (known.rows + len(rows), max(ids) if ids else known.last_id)
            else:
                footprint = self._footprint(session, sender_id)
            session.commit()
        if any(_starts_session(event) for event in new_events):
            # The stock store serves only the latest session: let the next read fetch it.
            self._known.pop(sender_id, None)
        else:
            rows_now, last_id = footprint
            self._remember(
                sender_id,
                _Known(tracker, rows_now, last_id, stored + len(new_events), len(tracker.events)),
            )
        logger.debug("Tracker with sender_id '%s' stored to database", sender_id)

    def _row(self, sender_id: str, event: Event) -> Any:
        data = event.as_dict()
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            action_name=data.get("name"),
            data=json.dumps(data),
        )

    def _remember(self, sender_id: str, known: _Known) -> None:
        if self._cache_size == 0:
            return
        self._known[sender_id] = known
        self._known.move_to_end(sender_id)
        while len(self._known) > self._cache_size:
            self._known.popitem(last=False)


def _starts_session(event: Event) -> bool:
    return isinstance(event, SessionStarted) or (
        getattr(event, "action_name", None) == ACTION_SESSION_START_NAME
    )
