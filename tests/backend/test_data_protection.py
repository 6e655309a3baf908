"""PDPA (issue 7): the retention job and 'delete my conversation data', web and by service."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.db import get_engine, get_sessionmaker, upgrade_database
from backend.hub import rasa_client, sessions
from backend.jobs import retention
from backend.main import create_app
from backend.models import AnalyticsDaily, Conversation, ConversationMessage, PortalAccount
from backend.models._common import utcnow
from backend.services import conversations
from backend.services.data_protection import apply_retention
from backend.settings import Settings
from tests.backend.helpers import create_account
from tests.postgres import fresh_database

SERVICE_TOKEN = "test-service-token"
HEADERS = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
NOW = datetime(2026, 6, 1, 12, 0, 0)


def make_tracker(path: Path) -> str:
    """A file shaped like Rasa 3.6's SQL tracker store (rasa.core.tracker_store.SQLEvent)."""
    url = f"sqlite:///{path}"
    create_events_table(url)
    return url


def create_events_table(url: str) -> None:
    metadata = sa.MetaData()
    sa.Table(
        "events",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False, index=True),
        sa.Column("type_name", sa.String(255), nullable=False),
        sa.Column("timestamp", sa.Float),
        sa.Column("intent_name", sa.String(255)),
        sa.Column("action_name", sa.String(255)),
        sa.Column("data", sa.Text),
    )
    metadata.create_all(get_engine(url))


def add_events(url: str, sender_id: str, *when: datetime) -> None:
    with get_engine(url).begin() as conn:
        for moment in when:
            conn.execute(
                sa.text(
                    "INSERT INTO events (sender_id, type_name, timestamp, intent_name, data) "
                    "VALUES (:s, 'user', :t, 'greet', :d)"
                ),
                {
                    "s": sender_id,
                    "t": (moment - datetime(1970, 1, 1)).total_seconds(),
                    "d": json.dumps({"event": "user", "text": "hi"}),
                },
            )


def events_of(url: str, sender_id: str | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(sa.table("events", sa.column("sender_id")))
    if sender_id:
        query = query.where(sa.column("sender_id") == sender_id)
    with get_engine(url).connect() as conn:
        return conn.execute(query).scalar_one()


def add_messages(db_url: str, sender_id: str, channel: str, *when: datetime) -> None:
    with get_sessionmaker(db_url)() as db:
        if db.get(Conversation, sender_id) is None:
            db.add(
                Conversation(
                    sender_id=sender_id,
                    channel=channel,
                    last_buttons=[],
                    created_at=min(when),
                    updated_at=max(when),
                )
            )
            db.flush()
        for moment in when:
            db.add(
                ConversationMessage(
                    sender_id=sender_id, direction="in", text="hi", created_at=moment
                )
            )
            db.add(
                ConversationMessage(
                    sender_id=sender_id, direction="out", text="Hello!", created_at=moment
                )
            )
        db.commit()


@pytest.fixture
def stores(tmp_path: Path) -> tuple[str, str]:
    db_url = f"sqlite:///{tmp_path / 'assist.db'}"
    upgrade_database(db_url)
    return db_url, make_tracker(tmp_path / "rasa_tracker.db")


# --- retention ---


def test_retention_keeps_only_daily_counts(stores: tuple[str, str]) -> None:
    db_url, tracker = stores
    old1, old2 = NOW - timedelta(days=120), NOW - timedelta(days=95)
    recent = NOW - timedelta(days=3)
    add_messages(db_url, "web-old", "web", old1, old1 + timedelta(minutes=1), old2)
    add_messages(db_url, "tg-7", "telegram", old1)
    add_messages(db_url, "web-active", "web", old2, recent)
    for sender, moments in (
        ("web-old", (old1, old2)),
        ("tg-7", (old1,)),
        ("web-active", (old2, recent)),
    ):
        add_events(tracker, sender, *moments)

    with get_sessionmaker(db_url)() as db:
        summary = apply_retention(db, tracker, 90, NOW)
    assert summary["messages_deleted"] == 2 * (3 + 1 + 1)
    assert summary["conversations_deleted"] == 2  # web-old and tg-7: nothing left, idle
    assert summary["tracker_events_deleted"] == 4
    assert events_of(tracker) == 1 and events_of(tracker, "web-active") == 1

    with get_sessionmaker(db_url)() as db:
        rows = {
            (r.day, r.channel): (r.turns, r.conversations)
            for r in db.scalars(select(AnalyticsDaily))
        }
        assert rows == {
            (old1.date(), "web"): (2, 1),
            (old1.date(), "telegram"): (1, 1),
            (old2.date(), "web"): (2, 2),
        }
        left = list(db.scalars(select(ConversationMessage)))
        assert {m.sender_id for m in left} == {"web-active"} and len(left) == 2
        assert db.get(Conversation, "web-old") is None
        assert db.get(Conversation, "web-active") is not None
        # no sender id or text survives in the analytics table
        columns = {c["name"] for c in sa.inspect(get_engine(db_url)).get_columns("analytics_daily")}
        assert columns == {"id", "day", "channel", "turns", "conversations"}

    # idempotent: a second run counts nothing twice
    with get_sessionmaker(db_url)() as db:
        again = apply_retention(db, tracker, 90, NOW)
        assert again["messages_deleted"] == 0 and again["tracker_events_deleted"] == 0
        assert sum(r.turns for r in db.scalars(select(AnalyticsDaily))) == 5


def test_retention_adds_to_an_existing_day(stores: tuple[str, str]) -> None:
    db_url, tracker = stores
    day = NOW - timedelta(days=100)
    add_messages(db_url, "web-a", "web", day)
    with get_sessionmaker(db_url)() as db:
        apply_retention(db, tracker, 90, NOW)
    add_messages(db_url, "web-b", "web", day + timedelta(hours=1))
    with get_sessionmaker(db_url)() as db:
        apply_retention(db, tracker, 90, NOW)
        row = db.scalar(select(AnalyticsDaily))
        assert (row.day, row.turns, row.conversations) == (day.date(), 2, 2)


def test_retention_without_a_tracker_file(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'assist.db'}"
    upgrade_database(db_url)
    missing = tmp_path / "never" / "rasa_tracker.db"
    with get_sessionmaker(db_url)() as db:
        summary = apply_retention(db, f"sqlite:///{missing}", 90, NOW)
    assert summary["tracker_events_deleted"] == 0
    assert not missing.exists()
    with get_sessionmaker(db_url)() as db, pytest.raises(ValueError):
        apply_retention(db, f"sqlite:///{missing}", 0, NOW)


def test_retention_command(stores: tuple[str, str], monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    db_url, tracker = stores
    long_ago = utcnow() - timedelta(days=40)
    add_messages(db_url, "web-x", "web", long_ago)
    add_events(tracker, "web-x", long_ago)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("RASA_TRACKER_DB_URL", tracker)
    monkeypatch.setenv("RETENTION_DAYS", "60")
    retention.get_settings.cache_clear()
    try:
        assert retention.main([]) == 0  # 60 days from RETENTION_DAYS: nothing yet
        assert json.loads(capsys.readouterr().out)["messages_deleted"] == 0
        assert retention.main(["--days", "30"]) == 0
        summary = json.loads(capsys.readouterr().out)
    finally:
        retention.get_settings.cache_clear()
    assert summary["messages_deleted"] == 2 and summary["tracker_events_deleted"] == 1
    assert events_of(tracker) == 0


def test_retention_days_default_is_90() -> None:
    assert Settings().retention_days == 90
    assert Settings(database_url="sqlite:///x.db").tracker_database_url.endswith(
        "var/rasa_tracker.db"
    )
    pg = "postgresql+psycopg2://postgres@127.0.0.1/test"
    assert Settings(database_url=pg).tracker_database_url == pg
    assert Settings(rasa_tracker_db_url="sqlite:///t.db").tracker_database_url == "sqlite:///t.db"


# --- delete my conversation data ---


@pytest.fixture
def fake_rasa() -> Iterator[None]:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return httpx.Response(200, json=[{"recipient_id": body["sender"], "text": "Hello!"}])

    rasa_client.use_transport(httpx.MockTransport(handler))
    yield
    rasa_client.use_transport(None)


@pytest.fixture
def app(stores: tuple[str, str], tmp_path: Path, fake_rasa: None):  # type: ignore[no-untyped-def]
    db_url, tracker = stores
    return create_app(
        Settings(
            database_url=db_url,
            rasa_tracker_db_url=tracker,
            assist_secret_key="test-secret",
            assist_service_token=SERVICE_TOKEN,
            assist_public_url="http://testserver",
            outbox_dir=tmp_path / "outbox",
            documents_dir=tmp_path / "documents",
            rasa_url="http://rasa.test",
        )
    )


def bind_new_account(app, client: TestClient, sender_id: str) -> int:  # type: ignore[no-untyped-def]
    settings = app.state.settings
    create_account(client, HEADERS, settings)
    with get_sessionmaker(settings.database_url)() as db:
        account = db.scalar(select(PortalAccount))
        conversations.bind_account(db, sender_id, account.id, NOW)
        db.commit()
        return account.id


def test_web_user_deletes_own_history(app, stores: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    db_url, tracker = stores
    with TestClient(app) as client, TestClient(app) as other:
        assert client.delete("/api/v1/chat/history").status_code == 401
        client.post("/api/v1/chat/session", json={"language": "en"})
        other.post("/api/v1/chat/session", json={"language": "ms"})
        client.post("/api/v1/chat/messages", json={"text": "my MyKad is 900101-14-5678"})
        other.post("/api/v1/chat/messages", json={"text": "hai"})
        mine = sessions.decode(client.cookies.get("assist_chat"), "test-secret").sender_id
        theirs = sessions.decode(other.cookies.get("assist_chat"), "test-secret").sender_id
        add_events(tracker, mine, NOW, NOW)
        add_events(tracker, theirs, NOW)
        bind_new_account(app, client, mine)

        res = client.delete("/api/v1/chat/history")
        assert res.status_code == 200, res.text
        assert res.json() == {
            "deleted": {"messages": 2, "tracker_events": 2, "account_unbound": True}
        }
        assert client.get("/api/v1/chat/history").json()["messages"] == []
        assert events_of(tracker, mine) == 0 and events_of(tracker, theirs) == 1
        assert len(other.get("/api/v1/chat/history").json()["messages"]) == 2
        assert (
            client.get(f"/api/v1/conversations/{mine}/account", headers=HEADERS).status_code == 404
        )
        # the session goes on: the next message starts a fresh conversation
        assert client.post("/api/v1/chat/messages", json={"text": "hi"}).status_code == 200
        assert len(client.get("/api/v1/chat/history").json()["messages"]) == 2


def test_service_deletes_a_senders_data(app, stores: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    db_url, tracker = stores
    add_messages(db_url, "tg-99", "telegram", NOW)
    add_events(tracker, "tg-99", NOW - timedelta(days=1), NOW)
    with TestClient(app) as client:
        account_id = bind_new_account(app, client, "tg-99")
        assert (
            client.get("/api/v1/conversations/tg-99/account", headers=HEADERS).json()["id"]
            == account_id
        )
        assert client.delete("/api/v1/conversations/tg-99/data").status_code == 401
        res = client.delete("/api/v1/conversations/tg-99/data", headers=HEADERS)
        assert res.status_code == 200
        assert res.json()["deleted"] == {
            "messages": 2,
            "tracker_events": 2,
            "account_unbound": True,
        }
        assert client.get("/api/v1/conversations/tg-99/account", headers=HEADERS).status_code == 404
        # unknown sender: nothing to delete, still 200
        again = client.delete("/api/v1/conversations/tg-99/data", headers=HEADERS).json()
        assert again["deleted"] == {"messages": 0, "tracker_events": 0, "account_unbound": False}
    with get_sessionmaker(db_url)() as db:
        assert db.get(Conversation, "tg-99") is None
        assert db.get(PortalAccount, account_id) is not None  # the account itself stays
    assert events_of(tracker, "tg-99") == 0


@pytest.mark.postgres
def test_retention_and_erase_on_postgres() -> None:
    """Production shape: backend tables and Rasa's ``events`` in one PostgreSQL database."""

    from alembic import command

    from backend.db import alembic_config
    from backend.services.data_protection import erase_conversation

    with fresh_database("assist_test") as url:
        upgrade_database(url)
        command.downgrade(alembic_config(url), "0003_contributions")
        assert "analytics_daily" not in sa.inspect(get_engine(url)).get_table_names()
        upgrade_database(url)
        create_events_table(url)
        old = NOW - timedelta(days=100)
        add_messages(url, "web-pg", "web", old, NOW)
        add_messages(url, "tg-pg", "telegram", old)
        add_events(url, "web-pg", old, NOW)
        add_events(url, "tg-pg", old)
        with get_sessionmaker(url)() as db:
            summary = apply_retention(db, url, 90, NOW)
            assert summary["messages_deleted"] == 4 and summary["tracker_events_deleted"] == 2
            assert {(r.channel, r.turns) for r in db.scalars(select(AnalyticsDaily))} == {
                ("web", 1),
                ("telegram", 1),
            }
            erased = erase_conversation(db, url, "web-pg")
            assert erased == {"messages": 2, "tracker_events": 1, "account_unbound": False}
        assert events_of(url) == 0
