"""Human handoff through the hub: ticket, routing to the agent, replies, hand-back (issue 6)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.db import get_sessionmaker, upgrade_database
from backend.hub import rasa_client
from backend.main import create_app
from backend.models import CallbackRequest, HandoffTicket, StaffAudit
from backend.services.staff_auth import create_staff
from backend.services.staff_hours import describe_opening, parse_hours
from tests.backend.helpers import install_clock
from tests.backend.test_staff import AGENT, SUPERVISOR, csrf, sign_in

SERVICE = {"Authorization": "Bearer test-service-token"}


class FakeRasa:
    """Rasa's REST webhook and trigger_intent endpoint, recording every call."""

    def __init__(self) -> None:
        self.turns: list[dict[str, Any]] = []
        self.triggers: list[tuple[str, dict[str, Any]]] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if request.url.path == "/webhooks/rest/webhook":
            self.turns.append(body)
            return httpx.Response(200, json=[{"text": f"bot heard: {body['message']}"}])
        match = re.fullmatch(r"/conversations/([^/]+)/trigger_intent", request.url.path)
        assert match, request.url.path
        self.triggers.append((match.group(1), body))
        return httpx.Response(
            200,
            json={
                "tracker": {},
                "messages": [
                    {"recipient_id": match.group(1), "text": "What is your MyKad number?"}
                ],
            },
        )


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa()
    rasa_client.use_transport(httpx.MockTransport(fake.handler))
    yield fake
    rasa_client.use_transport(None)


@pytest.fixture
def settings(backend_settings):  # type: ignore[no-untyped-def]
    return backend_settings.model_copy(update={"rasa_url": "http://rasa.test"})


@pytest.fixture
def app(settings, fake_rasa, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HELPLINE_HOURS", "always")
    monkeypatch.delenv("TELEGRAM_GATEWAY_URL", raising=False)
    upgrade_database(settings.database_url)
    with get_sessionmaker(settings.database_url)() as db:
        create_staff(db, SUPERVISOR[0], "Sue Pervisor", SUPERVISOR[1], "supervisor")
        create_staff(db, AGENT[0], "Ali Agent", AGENT[1], "agent")
        db.commit()
    return create_app(settings)


@pytest.fixture
def user(app) -> Iterator[TestClient]:
    with TestClient(app) as client:
        client.post("/api/v1/chat/session", json={"language": "en"})
        yield client


@pytest.fixture
def agent(app) -> Iterator[TestClient]:
    with TestClient(app) as client:
        assert sign_in(client, *AGENT).status_code == 303
        client.headers["X-CSRF-Token"] = csrf(client.get("/staff/handoffs").text)
        yield client


def sender_of(user: TestClient, settings) -> str:  # type: ignore[no-untyped-def]
    from backend.hub import sessions

    raw = user.cookies.get(sessions.COOKIE_NAME)
    session = sessions._serializer(settings.assist_secret_key).loads(raw)
    return sessions.web_sender_id(session["s"])


def sse(client: TestClient, url: str) -> list[dict[str, Any]]:
    """The data frames of a server-sent-events answer (``wait=0``: what is there now)."""
    res = client.get(url)
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/event-stream")
    frames = []
    for block in res.text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "data" in lines and "event" not in lines:
            frames.append(json.loads(lines["data"]))
    return frames


def open_ticket(user: TestClient, settings, **extra: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body = {
        "sender_id": sender_of(user, settings),
        "language": "en",
        "flow": "portal_id_form",
        "requested_slot": "mykad",
        "slots": {"applicant_name": "Tan Ah Kow", "mykad": None, "language": "en"},
        **extra,
    }
    res = user.post("/api/v1/handoffs", json=body, headers=SERVICE)
    assert res.status_code == 200, res.text
    return res.json()


def test_handoff_round_trip(user, agent, settings, fake_rasa) -> None:  # type: ignore[no-untyped-def]
    assert user.post("/api/v1/chat/messages", json={"text": "hello"}).json()["messages"]
    assert len(fake_rasa.turns) == 1
    opened = open_ticket(user, settings)
    assert opened["status"] == "queued" and opened["waiting"] == 1

    # Waiting: the user hears the team has it; Rasa hears nothing.
    waiting = user.post("/api/v1/chat/messages", json={"text": "I am stuck at the IC"}).json()
    assert waiting["handoff"] == "queued" and "helpline team" in waiting["messages"][0]["text"]
    assert len(fake_rasa.turns) == 1

    (ticket,) = agent.get("/staff/api/handoffs?status=open").json()["tickets"]
    assert ticket["flow"] == "portal_id_form" and ticket["requested_slot"] == "mykad"
    assert ticket["slots"] == {"applicant_name": "Tan Ah Kow", "language": "en"}
    detail = agent.get(f"/staff/api/handoffs/{ticket['id']}").json()
    assert [m["text"] for m in detail["messages"] if m["role"] == "user"] == [
        "hello",
        "I am stuck at the IC",
    ]
    page = agent.get(f"/staff/handoffs/{ticket['id']}")
    assert "I am stuck at the IC" in page.text and "Tan Ah Kow" in page.text

    # The agent replies: the user's event stream carries it; the ticket is now the agent's.
    res = agent.post(
        f"/staff/api/handoffs/{ticket['id']}/reply", json={"text": "Type it as 12 digits"}
    )
    assert res.status_code == 200, res.text
    pushed = sse(user, "/api/v1/chat/events?wait=0&after=0")
    assert pushed[-1]["text"] == "Ali (PERKESO): Type it as 12 digits"
    assert pushed[-1]["agent"] == "Ali"
    history = user.get("/api/v1/chat/history").json()["messages"]
    assert history[-1]["text"] == "Ali (PERKESO): Type it as 12 digits"

    # With an agent: nothing back from the hub itself; the agent's stream shows the message.
    with_agent = user.post("/api/v1/chat/messages", json={"text": "ok thanks"}).json()
    assert with_agent == {"messages": [], "handoff": "agent"}
    seen = sse(agent, f"/staff/api/handoffs/{ticket['id']}/events?wait=0&after=0")
    assert [m["text"] for m in seen][-2:] == ["Ali (PERKESO): Type it as 12 digits", "ok thanks"]
    assert len(fake_rasa.turns) == 1

    # Hand back: the bot is told, its next question reaches the user, the bot has the chat again.
    res = agent.post(f"/staff/api/handoffs/{ticket['id']}/handback")
    assert res.status_code == 200 and res.json()["status"] == "closed"
    assert fake_rasa.triggers == [
        (sender_of(user, settings), {"name": "handoff_resume", "entities": {}})
    ]
    pushed = sse(user, "/api/v1/chat/events?wait=0&after=0")
    assert pushed[-1]["text"] == "What is your MyKad number?"
    back = user.post("/api/v1/chat/messages", json={"text": "850315105123"}).json()
    assert back["messages"][0]["text"].startswith("bot heard:")
    assert len(fake_rasa.turns) == 2

    with get_sessionmaker(settings.database_url)() as db:
        actions = [a.action for a in db.scalars(select(StaffAudit).order_by(StaffAudit.id))]
        row = db.scalars(select(HandoffTicket)).one()
    assert {"handoff_reply", "handoff_handback"} <= set(actions)
    assert row.status == "closed" and row.assigned_at is not None and row.closed_at is not None


def test_one_ticket_per_chat_and_ids_masked(user, settings) -> None:  # type: ignore[no-untyped-def]
    first = open_ticket(user, settings, slots={"mykad": "850315-10-5123"})
    again = open_ticket(user, settings)
    assert first["ticket_id"] == again["ticket_id"]
    with get_sessionmaker(settings.database_url)() as db:
        (ticket,) = db.scalars(select(HandoffTicket)).all()
    assert "850315-10-5123" not in json.dumps(ticket.slots)


def test_telegram_chat_goes_to_the_agent_too(user, agent, fake_rasa) -> None:  # type: ignore[no-untyped-def]
    body = {"sender_id": "tg-777", "text": "hi", "language_hint": "ms"}
    assert user.post("/internal/v1/hub/messages", json=body, headers=SERVICE).status_code == 200
    res = user.post(
        "/api/v1/handoffs", json={"sender_id": "tg-777", "language": "ms"}, headers=SERVICE
    )
    assert res.json()["status"] == "queued"
    reply = user.post("/internal/v1/hub/messages", json={**body, "text": "tolong"}, headers=SERVICE)
    assert "pasukan talian bantuan" in reply.json()["messages"][0]["text"]
    assert [t["message"] for t in fake_rasa.turns] == ["hi"]
    (ticket,) = agent.get("/staff/api/handoffs").json()["tickets"]
    assert ticket["channel"] == "telegram" and ticket["language"] == "ms"


def test_outside_staffed_hours_the_bot_hears_when_it_opens(
    user, settings, app, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HELPLINE_HOURS", "mon-fri 08:00-17:00")
    clock = install_clock(app)
    clock.now = datetime(2026, 11, 28, 4, 0)  # Saturday 12:00 in Kuala Lumpur
    res = user.post(
        "/api/v1/handoffs", json={"sender_id": sender_of(user, settings)}, headers=SERVICE
    )
    body = res.json()
    assert body["status"] == "closed"
    assert body["opens_en"] == "Monday at 08:00" and body["opens_ms"] == "Isnin pukul 08:00"
    with get_sessionmaker(settings.database_url)() as db:
        assert db.scalars(select(HandoffTicket)).first() is None
    clock.now = datetime(2026, 11, 30, 1, 0)  # Monday 09:00
    assert (
        user.post(
            "/api/v1/handoffs", json={"sender_id": sender_of(user, settings)}, headers=SERVICE
        ).json()["status"]
        == "queued"
    )


def test_callback_request_is_kept_for_staff(user, agent, settings) -> None:  # type: ignore[no-untyped-def]
    sender = sender_of(user, settings)
    bad = user.post(
        "/api/v1/handoffs/callbacks",
        json={"sender_id": sender, "phone": "12345", "preferred_time": "after 2pm"},
        headers=SERVICE,
    )
    assert bad.status_code == 422 and bad.json()["detail"]["code"] == "invalid_phone"
    res = user.post(
        "/api/v1/handoffs/callbacks",
        json={"sender_id": sender, "phone": "012-345 6789", "preferred_time": "Monday after 2pm"},
        headers=SERVICE,
    )
    assert res.status_code == 201 and res.json()["phone"] == "+60123456789"
    (row,) = agent.get("/staff/api/callbacks").json()["callbacks"]
    assert row["preferred_time"] == "Monday after 2pm"
    assert "Monday after 2pm" in agent.get("/staff/handoffs").text
    assert agent.post(f"/staff/api/callbacks/{row['id']}/done").json()["status"] == "done"
    with get_sessionmaker(settings.database_url)() as db:
        assert db.scalars(select(CallbackRequest)).one().status == "done"


def test_no_service_token_no_ticket(user, settings) -> None:  # type: ignore[no-untyped-def]
    res = user.post("/api/v1/handoffs", json={"sender_id": sender_of(user, settings)})
    assert res.status_code == 401


def test_a_chat_user_cannot_use_the_console(user, settings) -> None:  # type: ignore[no-untyped-def]
    open_ticket(user, settings)
    assert user.get("/staff/api/handoffs").status_code == 401
    assert user.get("/staff/api/handoffs/1").status_code == 401
    assert user.get("/staff/api/handoffs/1/events?wait=0").status_code == 401
    assert user.post("/staff/api/handoffs/1/reply", json={"text": "x"}).status_code == 401
    assert user.get("/staff/handoffs", follow_redirects=False).status_code == 303


def test_reply_needs_csrf_and_text(agent, user, settings) -> None:  # type: ignore[no-untyped-def]
    ticket_id = open_ticket(user, settings)["ticket_id"]
    res = agent.post(
        f"/staff/api/handoffs/{ticket_id}/reply",
        json={"text": "hi"},
        headers={"X-CSRF-Token": "forged"},
    )
    assert res.status_code == 400
    assert (
        agent.post(f"/staff/api/handoffs/{ticket_id}/reply", json={"text": "  "}).status_code == 422
    )
    assert (
        agent.post(f"/staff/api/handoffs/{ticket_id}/reply", json={"text": "x" * 2001}).status_code
        == 422
    )


def test_chat_events_need_a_session(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as anonymous:
        assert anonymous.get("/api/v1/chat/events?wait=0").status_code == 401


def test_hours_parsing() -> None:
    hours = parse_hours("mon-fri 08:00-17:00; sat 09:00-13:00")
    saturday_noon = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
    assert hours.is_open(saturday_noon)
    assert not hours.is_open(datetime(2026, 11, 28, 5, 30, tzinfo=UTC))  # 13:30
    assert describe_opening(hours.next_opening(datetime(2026, 11, 28, 6, 0)), "en") == (
        "Monday at 08:00"
    )
    friday_night = datetime(2026, 11, 27, 14, 0)  # 22:00 Friday
    assert describe_opening(hours.next_opening(friday_night), "ms") == "Sabtu pukul 09:00"
    for bad in ("weekdays 9-5", "mon 17:00-08:00", "xyz-fri 08:00-17:00"):
        with pytest.raises(ValueError):
            parse_hours(bad)


class _Gateway:
    """A stand-in for the Telegram gateway's proactive endpoint, on a real local port."""

    def __init__(self) -> None:
        import http.server
        import threading

        received: list[dict[str, Any]] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(
                    {
                        "path": self.path,
                        "auth": self.headers.get("Authorization"),
                        **json.loads(body),
                    }
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"sent": 1}')

            def log_message(self, *args: Any) -> None:
                pass

        self.received = received
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_agent_reply_reaches_telegram(user, agent, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    gateway = _Gateway()
    monkeypatch.setenv("TELEGRAM_GATEWAY_URL", gateway.url)
    try:
        user.post(
            "/api/v1/handoffs", json={"sender_id": "tg-555", "language": "ms"}, headers=SERVICE
        )
        (ticket,) = agent.get("/staff/api/handoffs").json()["tickets"]
        res = agent.post(
            f"/staff/api/handoffs/{ticket['id']}/reply", json={"text": "Saya boleh bantu"}
        )
        assert res.json() == {"status": "sent", "telegram_delivered": True}
        (sent,) = gateway.received
        assert sent["path"] == "/internal/v1/telegram/messages"
        assert sent["auth"] == "Bearer test-service-token"
        assert sent["sender_id"] == "tg-555" and sent["language"] == "ms"
        assert sent["messages"][0]["text"] == "Ali (PERKESO): Saya boleh bantu"
        agent.post(f"/staff/api/handoffs/{ticket['id']}/handback")
        assert gateway.received[-1]["messages"][0]["text"] == "What is your MyKad number?"
    finally:
        gateway.close()
