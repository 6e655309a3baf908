"""bot/tracker_store.py: Rasa's SQL tracker store without the per-turn re-read.

The probe runs inside Rasa 3.6.21 (.venv-rasa) on a real SQLite file, and on PostgreSQL when
TEST_DATABASE_URL is set. It drives conversations the way Rasa's processor does (read the
tracker, append the turn's events, save) through our store and through Rasa's stock
``SQLTrackerStore``, each with an event broker, and reports what a user or an operator would
see: the rows stored, the events published, the slots read back, how many SQL statements a turn
costs, and what happens when another replica, an erasure, the retention job or a failed turn
changes the conversation behind the store's back.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.settings import REPO_ROOT
from tests.backend.rasa_probe import run_in_rasa

PROBE = r"""
import asyncio, json, sys
sys.path.insert(0, sys.argv[1])
from sqlalchemy import event as sa_event, text
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from bot.tracker_store import CachedSQLTrackerStore

kind, target = sys.argv[2], sys.argv[3]
DOMAIN = Domain.from_yaml(
    "slots:\n"
    "  wage:\n    type: text\n    mappings:\n    - type: custom\n"
    "  language:\n    type: text\n    mappings:\n    - type: custom\n"
)


class Broker(EventBroker):
    def __init__(self):
        self.published = []

    def publish(self, event):
        self.published.append(event)


def store(cls, db, **kw):
    broker = Broker()
    if kind == "sqlite":
        s = cls(domain=DOMAIN, dialect="sqlite", db=db, event_broker=broker, **kw)
    else:
        host, port = target.split("|")
        s = cls(domain=DOMAIN, dialect="postgresql", host=host, port=int(port), db=db,
                username="postgres", event_broker=broker, **kw)
    statements = []
    sa_event.listen(s.engine, "before_cursor_execute",
                    lambda *a: statements.append(a[2].split()[0].upper()))
    return s, broker, statements


def db_name(suffix):
    # sqlite: a file in the given folder; postgresql: <prefix>_<suffix>, created by the test
    return f"{sys.argv[4]}/{suffix}.db" if kind == "sqlite" else f"{sys.argv[4]}_{suffix}"


T0 = 1_700_000_000.0


async def turn(s, sender, n, extra=()):
    # What Rasa's processor does for one message: read, append, save.
    tracker = await s.get_or_create_tracker(sender)
    ts = T0 + n
    tracker.update(UserUttered(f"gaji RM{n}000", {"name": "inform", "confidence": 0.9},
                               timestamp=ts))
    for e in extra:
        tracker.update(e)
    tracker.update(SlotSet("wage", f"{n}000", timestamp=ts + 0.1))
    tracker.update(BotUttered(f"Wage {n}000 noted", timestamp=ts + 0.2))
    tracker.update(ActionExecuted("action_listen", timestamp=ts + 0.3))
    await s.save(tracker)


def rows(s, sender):
    with s.engine.connect() as c:
        return [list(r) for r in c.execute(
            text("SELECT type_name, intent_name, action_name, data FROM events "
                 "WHERE sender_id = :s ORDER BY id"), {"s": sender})]


def delete(s, sql, **params):
    with s.engine.begin() as c:
        c.execute(text(sql), params)


async def main():
    out = {}
    stock, stock_broker, _ = store(SQLTrackerStore, db_name("stock"))
    cached, cached_broker, statements = store(CachedSQLTrackerStore, db_name("cached"))
    # The same conversation through both stores, with a new session in the middle.
    for s in (stock, cached):
        for n in range(1, 6):
            await turn(s, "emp-1", n)
        restart = [ActionExecuted("action_session_start", timestamp=T0 + 6.01),
                   SessionStarted(timestamp=T0 + 6.02)]
        await turn(s, "emp-1", 6, extra=restart)
        for n in range(7, 10):
            await turn(s, "emp-1", n)
    # Rasa stamps the first action_listen with the clock: compare without timestamps.
    norm = lambda evs: [{k: v for k, v in e.items() if k != "timestamp"} for e in evs]
    norm_rows = lambda rs: [r[:3] + norm([json.loads(r[3])]) for r in rs]
    out["same_rows"] = norm_rows(rows(stock, "emp-1")) == norm_rows(rows(cached, "emp-1"))
    out["row_count"] = len(rows(cached, "emp-1"))
    out["same_published"] = norm(stock_broker.published) == norm(cached_broker.published)
    out["published"] = len(cached_broker.published)
    a = await stock.retrieve("emp-1")
    b = await cached.retrieve("emp-1")
    out["same_tracker"] = norm([e.as_dict() for e in a.events]) == norm(
        [e.as_dict() for e in b.events])
    out["latest_session_only"] = len(b.events)

    # Statements per turn once the conversation is known (steady state).
    statements.clear()
    stock_statements = []
    sa_event.listen(stock.engine, "before_cursor_execute",
                    lambda *a: stock_statements.append(a[2].split()[0].upper()))
    await turn(cached, "emp-1", 10)
    await turn(stock, "emp-1", 10)
    out["cached_selects"] = statements.count("SELECT")
    out["stock_selects"] = stock_statements.count("SELECT")
    out["hits"] = cached.hits

    # Another replica (a second store on the same table) answers a turn: the first sees it.
    replica, _, _ = store(CachedSQLTrackerStore, db_name("cached"))
    t = await replica.retrieve("emp-1")
    t.update(SlotSet("language", "ms", timestamp=T0 + 20))
    await replica.save(t)
    back = await cached.retrieve("emp-1")
    out["sees_other_replica"] = back.get_slot("language")
    await turn(cached, "emp-1", 11)
    out["rows_after_replica"] = len(rows(cached, "emp-1"))

    # A turn that failed before saving: its events must not come back.
    t = await cached.retrieve("emp-1")
    t.update(SlotSet("wage", "999999", timestamp=T0 + 30))
    again = await cached.retrieve("emp-1")
    out["failed_turn_wage"] = again.get_slot("wage")

    # The retention job deletes old rows; an erasure deletes them all.
    delete(cached, "DELETE FROM events WHERE sender_id = 'emp-1' AND timestamp < :t", t=T0 + 8)
    kept = await cached.retrieve("emp-1")
    out["after_retention"] = len(kept.events)
    view, _, _ = store(SQLTrackerStore, db_name("cached"))  # what Rasa's own store reads now
    out["after_retention_stock"] = len((await view.retrieve("emp-1")).events)
    delete(cached, "DELETE FROM events WHERE sender_id = 'emp-1'")
    out["after_erasure"] = await cached.retrieve("emp-1") is None
    await turn(cached, "emp-1", 12)
    out["rows_after_erasure"] = len(rows(cached, "emp-1"))

    # A tracker the store did not hand out (Rasa's API replacing events) is counted as stock does.
    from rasa.shared.core.trackers import DialogueStateTracker
    fresh = DialogueStateTracker.from_events("emp-1", (await cached.retrieve("emp-1")).events,
                                             DOMAIN.slots)
    fresh.update(SlotSet("language", "en", timestamp=T0 + 40))
    await cached.save(fresh)
    out["rows_after_foreign"] = len(rows(cached, "emp-1"))

    # Bounded memory: at most cache_size conversations kept, all still served.
    small, _, _ = store(CachedSQLTrackerStore, db_name("small"), cache_size=2)
    for sender in ("a", "b", "c"):
        await turn(small, sender, 1)
    out["kept"] = len(small._known)
    out["all_served"] = all([(await small.retrieve(x)).get_slot("wage") == "1000"
                             for x in ("a", "b", "c")])
    print("RESULT " + json.dumps(out))

asyncio.run(main())
"""


def _run(tmp_path: Path, kind: str, target: str, prefix: str) -> dict:
    return run_in_rasa(tmp_path, PROBE, str(REPO_ROOT), kind, target, prefix, cwd=tmp_path)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def probe(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp(f"store-{request.param}")
    if request.param == "sqlite":
        yield _run(tmp, "sqlite", "-", str(tmp))
        return
    base_url = os.environ.get("TEST_DATABASE_URL")
    if not base_url:
        pytest.skip("TEST_DATABASE_URL is not set")
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    url = sa.engine.make_url(base_url)
    prefix = f"assist_store_{uuid.uuid4().hex[:10]}"
    names = [f"{prefix}_{x}" for x in ("stock", "cached", "small")]
    with admin.connect() as conn:
        for name in names:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield _run(tmp, "postgresql", f"{url.host or '127.0.0.1'}|{url.port or 5432}", prefix)
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_same_rows_events_and_tracker_as_rasas_own_store(probe: dict) -> None:
    """A conversation with a new session in the middle: identical table, broker and read-back."""
    # the first action_listen, 9 turns of 4 events, the 2 session-start events
    assert probe["same_rows"] and probe["row_count"] == 1 + 9 * 4 + 2
    assert probe["same_published"] and probe["published"] == probe["row_count"]
    # Only the latest session is served, as Rasa's store does: events stamped from SessionStarted
    # on (4 of turn 6, turns 7-9), and the first action_listen, which Rasa stamps with the clock.
    assert probe["same_tracker"] and probe["latest_session_only"] == 4 + 3 * 4 + 1


def test_a_turn_does_not_re_read_the_conversation(probe: dict) -> None:
    # One COUNT/MAX look-up to read, then inserts; Rasa's store with a broker: the events read
    # back three times (read, publish diff, count).
    assert probe["cached_selects"] == 1
    assert probe["stock_selects"] >= 3
    assert probe["hits"] >= 5


def test_a_turn_on_another_replica_is_seen(probe: dict) -> None:
    assert probe["sees_other_replica"] == "ms"
    # turn 10, the other replica's slot, turn 11: nothing lost, nothing twice
    assert probe["rows_after_replica"] == 1 + 9 * 4 + 2 + 4 + 1 + 4


def test_a_failed_turn_does_not_leak_into_the_next(probe: dict) -> None:
    assert probe["failed_turn_wage"] == "11000"


def test_retention_and_erasure_are_not_undone_by_the_cache(probe: dict) -> None:
    assert probe["after_retention"] == probe["after_retention_stock"] < 1 + 9 * 4
    assert probe["after_erasure"] is True
    # a new conversation (action_listen + one turn); the erased one is not written back
    assert probe["rows_after_erasure"] == 5


def test_a_tracker_from_elsewhere_is_saved_without_duplicates(probe: dict) -> None:
    assert probe["rows_after_foreign"] == 6


def test_memory_is_bounded(probe: dict) -> None:
    assert probe["kept"] == 2 and probe["all_served"] is True
