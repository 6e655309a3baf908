"""Assisted mode: an agent chats for a caller after the caller reads out an emailed code."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from backend.db import get_sessionmaker, upgrade_database
from backend.hub import rasa_client
from backend.main import create_app
from backend.services.staff_auth import create_staff
from tests.backend.helpers import emails, install_clock
from tests.backend.registration_helpers import login_chat
from tests.backend.test_staff import AGENT, SUPERVISOR, audit_rows, csrf, sign_in

SERVICE = {"Authorization": "Bearer test-service-token"}
OTHER_AGENT = ("other@perkeso.example", "Another agent password")


@pytest.fixture
def rasa_calls() -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        calls.append(body)
        return httpx.Response(
            200,
            json=[
                {
                    "text": "What would you like to do?",
                    "buttons": [{"title": "Register my business", "payload": "/register_employer"}],
                }
            ],
        )

    rasa_client.use_transport(httpx.MockTransport(handler))
    yield calls
    rasa_client.use_transport(None)


@pytest.fixture
def app(backend_settings, rasa_calls):  # type: ignore[no-untyped-def]
    settings = backend_settings.model_copy(update={"rasa_url": "http://rasa.test"})
    upgrade_database(settings.database_url)
    with get_sessionmaker(settings.database_url)() as db:
        create_staff(db, SUPERVISOR[0], "Sue Pervisor", SUPERVISOR[1], "supervisor")
        create_staff(db, AGENT[0], "Ali Agent", AGENT[1], "agent")
        create_staff(db, OTHER_AGENT[0], "Other Agent", OTHER_AGENT[1], "agent")
        db.commit()
    login_chat(settings, sender="web-owner")  # the caller's account (tan@example.com)
    app = create_app(settings)
    install_clock(app)
    return app


def staff_client(app, who: tuple[str, str]) -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    assert sign_in(client, *who).status_code == 303
    return client


def start(client: TestClient) -> int:
    page = client.get("/staff/assist")
    res = client.post(
        "/staff/assist",
        data={"email": "TAN@example.com", "language": "en", "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert res.status_code == 303, res.text
    return int(res.headers["location"].rsplit("/", 1)[1])


def test_assisted_chat_end_to_end(app, backend_settings, rasa_calls) -> None:  # type: ignore[no-untyped-def]
    agent = staff_client(app, AGENT)
    session_id = start(agent)
    mail = emails(backend_settings)[-1]
    assert mail.to == "tan@example.com"
    code = re.search(r"Read this code out to them: (\d{6})", mail.body).group(1)
    page = agent.get(f"/staff/assist/{session_id}")
    assert "t***@example.com" in page.text or "example.com" in page.text
    assert code not in page.text  # the agent never sees the code
    token = csrf(page.text)
    agent.headers["X-CSRF-Token"] = token

    # Not verified yet: nothing can be done for the account.
    res = agent.post(f"/staff/api/assist/{session_id}/messages", json={"text": "hi"})
    assert res.status_code == 409
    with get_sessionmaker(backend_settings.database_url)() as db:
        from backend.models import AssistedSession

        sender = db.get(AssistedSession, session_id).sender_id
    assert sender.startswith("staff-")
    hdrs = {**SERVICE, "X-Sender-Id": sender}
    assert agent.get("/api/v1/registrations", headers=hdrs).status_code == 401

    wrong = agent.post(
        f"/staff/assist/{session_id}/verify", data={"code": "000000", "csrf_token": token}
    )
    assert wrong.status_code == 400 and "tries left" in wrong.text
    ok = agent.post(
        f"/staff/assist/{session_id}/verify",
        data={"code": code, "csrf_token": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert "Verified: you are acting for" in agent.get(f"/staff/assist/{session_id}").text

    reply = agent.post(f"/staff/api/assist/{session_id}/messages", json={"text": "hello"})
    assert reply.status_code == 200
    assert reply.json()["messages"][0]["buttons"][0]["payload"] == "/register_employer"
    assert rasa_calls[-1]["sender"] == sender
    assert rasa_calls[-1]["metadata"]["channel"] == "assisted"

    # The action server acting in that conversation: bound to the caller, audited.
    assert agent.get("/api/v1/registrations", headers=hdrs).status_code == 200
    rows = [(r.action, r.subject) for r in audit_rows(backend_settings)]
    assert ("assist_verified", "agent agent@perkeso.example for account t***@example.com") in rows
    calls = [s for a, s in rows if a == "assist_api_call"]
    assert calls == ["agent agent@perkeso.example for account t***@example.com"]
    assert any(a == "assist_message" for a, _ in rows)
    assert any(a == "assist_wrong_code" for a, _ in rows)

    # Another agent cannot drive it; the supervisor reads it in the audit log; agents cannot.
    other = staff_client(app, OTHER_AGENT)
    assert other.get(f"/staff/assist/{session_id}").status_code == 404
    assert other.get("/staff/audit?format=json").status_code == 403
    supervisor = staff_client(app, SUPERVISOR)
    entries = supervisor.get("/staff/audit?format=json").json()["entries"]
    assert any(
        e["action"] == "assist_api_call" and "for account t***@example.com" in e["subject"]
        for e in entries
    )

    # Ending unbinds the conversation.
    agent.post(f"/staff/assist/{session_id}/end", data={"csrf_token": token})
    assert agent.get("/api/v1/registrations", headers=hdrs).status_code == 401


def test_unknown_account_and_lockout(app, backend_settings) -> None:  # type: ignore[no-untyped-def]
    agent = staff_client(app, AGENT)
    page = agent.get("/staff/assist")
    res = agent.post(
        "/staff/assist", data={"email": "nobody@example.com", "csrf_token": csrf(page.text)}
    )
    assert res.status_code == 404 and "No portal account" in res.text
    session_id = start(agent)
    token = csrf(agent.get(f"/staff/assist/{session_id}").text)
    for _ in range(5):
        agent.post(
            f"/staff/assist/{session_id}/verify", data={"code": "111111", "csrf_token": token}
        )
    code = re.search(r"them: (\d{6})", emails(backend_settings)[-1].body).group(1)
    locked = agent.post(
        f"/staff/assist/{session_id}/verify", data={"code": code, "csrf_token": token}
    )
    assert locked.status_code == 423


def test_a_chat_user_cannot_start_assisted_mode(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as user:
        user.post("/api/v1/chat/session", json={})
        assert user.get("/staff/assist", follow_redirects=False).status_code == 303
        assert user.post("/staff/api/assist/1/messages", json={"text": "x"}).status_code == 401
