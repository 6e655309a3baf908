"""ingest_rasa_events: Rasa event-broker dicts → the dashboard's tables (issue 6)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.analytics.ingest import ingest_rasa_events, sender_key
from backend.db import get_sessionmaker, upgrade_database
from backend.models import AnalyticsConversationDay, AnalyticsFlowRun


class Stream:
    """Builds the events Rasa publishes for one conversation, one second apart."""

    def __init__(self, sender_id: str, start: datetime, channel: str = "web") -> None:
        self.sender_id = sender_id
        self.ts = start.replace(tzinfo=UTC).timestamp()
        self.channel = channel
        self.events: list[dict[str, Any]] = []

    def _add(self, **event: Any) -> Stream:
        self.ts += 1.0
        self.events.append({"sender_id": self.sender_id, "timestamp": self.ts, **event})
        return self

    def user(self, intent: str, text: str = "hi", language: str = "en") -> Stream:
        return self._add(
            event="user",
            text=text,
            input_channel="rest",
            parse_data={"intent": {"name": intent, "confidence": 0.9}, "entities": []},
            metadata={"channel": self.channel, "language_hint": language},
        )

    def action(self, name: str) -> Stream:
        return self._add(event="action", name=name, policy="RulePolicy", confidence=1.0)

    def slot(self, name: str, value: Any) -> Stream:
        return self._add(event="slot", name=name, value=value)

    def loop(self, name: str | None) -> Stream:
        return self._add(event="active_loop", name=name)

    def bot(self, text: str) -> Stream:
        return self._add(event="bot", text=text, data={})

    def form_asks(self, form: str, slot: str, first: bool = False) -> Stream:
        self.action(form)
        if first:
            self.loop(form)
        return self.slot("requested_slot", slot).bot("question").action("action_listen")

    def form_completes(self, form: str) -> Stream:
        return self.action(form).slot("requested_slot", None).loop(None)


def portal_id_completed(sender: str, start: datetime, language: str = "en") -> Stream:
    s = Stream(sender, start)
    s.action("action_session_start")._add(event="session_started").action("action_listen")
    s.user("apply_portal_id", language=language).slot("language", language)
    s.form_asks("portal_id_form", "applicant_name", first=True)
    s.user("inform").slot("applicant_name", "Tan").form_asks("portal_id_form", "mykad")
    s.user("inform").slot("mykad", "850315105123").form_completes("portal_id_form")
    return s.action("action_submit_portal_id").action("action_listen")


def portal_id_cancelled_at_mykad(sender: str, start: datetime) -> Stream:
    s = Stream(sender, start, channel="telegram")
    s.user("apply_portal_id", language="ms").slot("language", "ms")
    s.form_asks("portal_id_form", "applicant_name", first=True)
    s.user("inform").slot("applicant_name", "Aminah").form_asks("portal_id_form", "mykad")
    s.user("cancel").action("action_cancel_form").slot("applicant_name", None)
    s.slot("requested_slot", None).loop(None).bot("cancelled").action("action_listen")
    return s


@pytest.fixture
def db(tmp_path) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'a.db'}"
    upgrade_database(url)
    with get_sessionmaker(url)() as session:
        yield session


def runs(db: Session) -> list[AnalyticsFlowRun]:
    return list(db.scalars(select(AnalyticsFlowRun).order_by(AnalyticsFlowRun.id)))


def days(db: Session) -> list[AnalyticsConversationDay]:
    return list(db.scalars(select(AnalyticsConversationDay).order_by(AnalyticsConversationDay.id)))


START = datetime(2026, 11, 2, 2, 0, 0)  # 10:00 in Kuala Lumpur


def test_completed_and_cancelled_runs_give_a_funnel(db: Session) -> None:
    a = portal_id_completed("web-aaa", START)
    b = portal_id_cancelled_at_mykad("tg-42", START)
    assert ingest_rasa_events(db, a.events + b.events) == len(a.events) + len(b.events)
    db.commit()
    done, cancelled = runs(db)
    assert (done.flow, done.outcome) == ("portal_id_form", "completed")
    assert (cancelled.flow, cancelled.outcome, cancelled.last_slot) == (
        "portal_id_form",
        "cancelled",
        "mykad",
    )
    assert cancelled.day == date(2026, 11, 2)
    by_channel = {row.channel: row for row in days(db)}
    assert by_channel["web"].language == "en" and by_channel["web"].user_turns == 3
    assert by_channel["telegram"].language == "ms" and by_channel["telegram"].user_turns == 3


def test_sender_ids_and_text_are_not_stored(db: Session) -> None:
    ingest_rasa_events(db, portal_id_completed("web-secret-session", START).events)
    db.commit()
    row = days(db)[0]
    assert row.sender_key == sender_key("web-secret-session") != "web-secret-session"
    dump = repr([vars(r) for r in days(db) + runs(db)])
    assert "web-secret-session" not in dump and "850315105123" not in dump


def test_redelivered_events_are_counted_once(db: Session) -> None:
    stream = portal_id_completed("web-aaa", START)
    ingest_rasa_events(db, stream.events)
    db.commit()
    assert ingest_rasa_events(db, stream.events) == 0  # the whole batch again
    assert ingest_rasa_events(db, stream.events[3:5]) == 0
    db.commit()
    assert days(db)[0].user_turns == 3 and len(runs(db)) == 1


def test_events_split_over_calls_give_the_same_result(db: Session) -> None:
    stream = portal_id_cancelled_at_mykad("tg-7", START)
    for event in stream.events:
        ingest_rasa_events(db, [event])
        db.commit()
    (run,) = runs(db)
    assert (run.outcome, run.last_slot) == ("cancelled", "mykad")


def test_fallbacks_and_handoff(db: Session) -> None:
    s = Stream("web-lost", START)
    s.user("nlu_fallback", "asdf").action("action_fallback").action("action_listen")
    s.user("greet").action("utter_greet").action("action_listen")
    s.user("nlu_fallback").action("action_fallback").action("action_listen")
    s.user("nlu_fallback").action("action_fallback").action("action_listen")
    s.user("human_handoff").action("action_handoff_request").action("action_listen")
    s.user("out_of_scope").action("action_default_fallback")  # core fallback counts too
    ingest_rasa_events(db, s.events)
    db.commit()
    (row,) = days(db)
    assert (row.user_turns, row.fallbacks, row.handoff_requested) == (6, 4, True)


def test_a_new_session_abandons_an_open_form_at_its_slot(db: Session) -> None:
    s = Stream("web-left", START)
    s.user("login").form_asks("login_form", "login_email", first=True)
    s.user("inform").slot("login_email", "a@b.my").form_asks("login_form", "login_code")
    s.ts += 7200
    s.action("action_session_start")._add(event="session_started").action("action_listen")
    s.user("greet").action("utter_greet")
    ingest_rasa_events(db, s.events)
    db.commit()
    (run,) = runs(db)
    assert (run.flow, run.outcome, run.last_slot) == ("login_form", "abandoned", "login_code")


def test_interrupted_form_is_one_run(db: Session) -> None:
    s = Stream("web-int", START)
    s.user("apply_portal_id").form_asks("portal_id_form", "applicant_name", first=True)
    s.user("help").action("portal_id_form").action("utter_help")
    s.form_asks("portal_id_form", "applicant_name", first=True)  # loop re-announced
    s.user("inform").slot("applicant_name", "X").form_completes("portal_id_form")
    ingest_rasa_events(db, s.events)
    db.commit()
    (run,) = runs(db)
    assert run.outcome == "completed"


def test_day_is_malaysia_time(db: Session) -> None:
    late = datetime(2026, 11, 2, 17, 30)  # 01:30 on 3 November in Kuala Lumpur
    ingest_rasa_events(db, Stream("web-night", late).user("greet").events)
    db.commit()
    assert days(db)[0].day == date(2026, 11, 3)


def test_malformed_events_are_skipped_not_fatal(db: Session) -> None:
    good = Stream("web-ok", START).user("greet").events
    bad: list[Any] = [
        "not a dict",
        {},
        {"event": "user"},
        {"sender_id": "web-x", "event": "user", "timestamp": "yesterday"},
        {
            "sender_id": "web-x",
            "event": "user",
            "timestamp": 5.0,
            "parse_data": "oops",
            "metadata": ["x"],
        },
        {
            "sender_id": "web-x",
            "event": "slot",
            "timestamp": 6.0,
            "name": "requested_slot",
            "value": {"weird": 1},
        },
        {"sender_id": "web-x", "event": "active_loop", "timestamp": 7.0, "name": None},
    ]
    assert ingest_rasa_events(db, bad + good) == 4  # the last three are well-formed enough
    db.commit()
    assert {row.channel for row in days(db)} == {"web"}
