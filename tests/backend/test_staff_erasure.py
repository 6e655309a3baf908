"""PDPA (issue 7): a caller's 'delete my conversation data' carried out from the staff console.

The agent on the caller's handoff chat ticks the confirmation and presses the button; the
transcript and Rasa's tracker events go (through the same function as the API), another chat's
data stays, and the audit log says who erased which chat.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from backend.db import get_sessionmaker
from backend.models import Conversation, ConversationMessage, HandoffTicket
from backend.services.staff_auth import create_staff
from backend.services.staff_handoff import open_ticket
from backend.settings import Settings
from tests.backend.test_data_protection import add_events, add_messages, events_of, make_tracker
from tests.backend.test_staff import AGENT, audit_rows, csrf, sign_in

CALLER, OTHER = "web-caller", "tg-other"


@pytest.fixture
def backend_settings(tmp_path: Path) -> Settings:
    """The shared settings, with Rasa's tracker store in ``tmp_path`` too (not ``var/``)."""
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'assist.db'}",
        rasa_tracker_db_url=make_tracker(tmp_path / "rasa_tracker.db"),
        assist_secret_key="test-secret-key",
        assist_service_token="test-service-token",
        assist_public_url="http://testserver",
        outbox_dir=tmp_path / "outbox",
        documents_dir=tmp_path / "documents",
        smtp_host="",
    )


@pytest.fixture
def ticket_id(backend_settings: Settings, backend_app) -> int:  # type: ignore[no-untyped-def]
    """The caller's open handoff chat with two turns, and another chat with one, both in Rasa."""
    db_url, tracker = backend_settings.database_url, backend_settings.tracker_database_url
    now = datetime.utcnow() - timedelta(minutes=5)
    add_messages(db_url, CALLER, "web", now, now + timedelta(minutes=1))
    add_messages(db_url, OTHER, "telegram", now)
    add_events(tracker, CALLER, now, now + timedelta(minutes=1))
    add_events(tracker, OTHER, now)
    with get_sessionmaker(db_url)() as db:
        create_staff(db, AGENT[0], "Ali Agent", AGENT[1], "agent")
        ticket = open_ticket(
            db,
            CALLER,
            "en",
            "employer_registration",
            {"company_name": "Kedai Maju", "mykad": "900101-14-5678"},
        )
        db.commit()
        return ticket.id


def messages_of(settings: Settings, sender_id: str) -> int:
    with get_sessionmaker(settings.database_url)() as db:
        rows = db.scalars(
            select(ConversationMessage).where(ConversationMessage.sender_id == sender_id)
        )
        return len(list(rows))


def test_agent_deletes_the_callers_conversation_data(  # type: ignore[no-untyped-def]
    client, backend_settings, ticket_id
) -> None:
    sign_in(client, *AGENT)
    page = client.get(f"/staff/handoffs/{ticket_id}")
    assert page.status_code == 200 and "Delete conversation data" in page.text
    assert messages_of(backend_settings, CALLER) == 4  # two turns, in and out

    res = client.post(
        f"/staff/handoffs/{ticket_id}/erase",
        data={"csrf_token": csrf(page.text), "confirm": "yes"},
    )
    assert res.status_code == 200
    assert "Conversation data deleted: 4 messages and 2 assistant records." in res.text

    tracker = backend_settings.tracker_database_url
    assert messages_of(backend_settings, CALLER) == 0 and events_of(tracker, CALLER) == 0
    with get_sessionmaker(backend_settings.database_url)() as db:
        assert db.get(Conversation, CALLER) is None
        assert db.get(Conversation, OTHER) is not None
        ticket = db.get(HandoffTicket, ticket_id)
        assert ticket is not None and ticket.slots == {}  # the answers so far went too
        assert ticket.flow == "employer_registration"  # the helpline's record of the call stays
    assert messages_of(backend_settings, OTHER) == 2 and events_of(tracker, OTHER) == 1

    erased = [row for row in audit_rows(backend_settings) if row.action == "erase_conversation"]
    assert len(erased) == 1
    assert erased[0].staff_id is not None and erased[0].subject == CALLER
    assert erased[0].created_at is not None
    assert erased[0].detail["ticket_id"] == ticket_id
    assert erased[0].detail["deleted"] == {
        "messages": 4,
        "tracker_events": 2,
        "account_unbound": False,
    }


def test_in_malay(client, backend_settings, ticket_id) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, *AGENT)
    client.cookies.set("assist_staff_lang", "ms", path="/staff")
    page = client.get(f"/staff/handoffs/{ticket_id}")
    assert "Padam data perbualan" in page.text
    res = client.post(
        f"/staff/handoffs/{ticket_id}/erase",
        data={"csrf_token": csrf(page.text), "confirm": "yes"},
    )
    assert "Data perbualan dipadam: 4 mesej dan 2 rekod pembantu." in res.text


def test_nothing_deleted_without_csrf_or_confirmation(  # type: ignore[no-untyped-def]
    client, backend_settings, ticket_id
) -> None:
    sign_in(client, *AGENT)
    page = client.get(f"/staff/handoffs/{ticket_id}")
    forged = client.post(
        f"/staff/handoffs/{ticket_id}/erase", data={"csrf_token": "forged", "confirm": "yes"}
    )
    assert forged.status_code == 400 and "The form expired" in forged.text
    token = csrf(page.text)
    unticked = client.post(f"/staff/handoffs/{ticket_id}/erase", data={"csrf_token": token})
    assert unticked.status_code == 422 and "Tick the box" in unticked.text
    missing = client.post(
        "/staff/handoffs/999/erase", data={"csrf_token": csrf(page.text), "confirm": "yes"}
    )
    assert missing.status_code == 404

    assert messages_of(backend_settings, CALLER) == 4
    assert events_of(backend_settings.tracker_database_url, CALLER) == 2
    assert "erase_conversation" not in [row.action for row in audit_rows(backend_settings)]


def test_signed_out_is_sent_to_sign_in(client, backend_settings, ticket_id) -> None:  # type: ignore[no-untyped-def]
    res = client.post(
        f"/staff/handoffs/{ticket_id}/erase", data={"confirm": "yes"}, follow_redirects=False
    )
    assert res.status_code == 303 and res.headers["location"] == "/staff/login"
    assert messages_of(backend_settings, CALLER) == 4
