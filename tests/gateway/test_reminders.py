"""Deadline reminders: opt-in/out through the API, and the job on an injected date."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest

from backend.db import get_sessionmaker
from backend.models import Contribution, Conversation, ReminderSent
from backend.routers.reminders import schedule_time, seconds_until
from backend.services import reminders
from tests.backend.contribution_helpers import seed


class Outbox:
    """The job's sender: records what would go to each chat."""

    def __init__(self, delivered: bool = True) -> None:
        self.sent: list[tuple[str, list[dict[str, Any]], str]] = []
        self.delivered = delivered

    async def __call__(self, _db, sender_id, messages, language) -> bool:  # type: ignore[no-untyped-def]
        self.sent.append((sender_id, messages, language))
        return self.delivered


def _opt(client, service_headers, sender: str, enabled: bool, language: str | None = None):  # type: ignore[no-untyped-def]
    body: dict[str, Any] = {"enabled": enabled}
    if language:
        body["language"] = language
    return client.put(
        "/api/v1/reminders", json=body, headers={**service_headers, "X-Sender-Id": sender}
    )


@pytest.fixture
def employers(client, backend_settings, service_headers) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
    """Four employers, each on its own account and chat; three opt in, one opts out."""
    rows = {
        "tg": seed(backend_settings, "tg@example.com", "tg-501", "E1100050001A"),
        "web": seed(backend_settings, "web@example.com", "web-abc", "E1100050002B"),
        "off": seed(backend_settings, "off@example.com", "tg-502", "E1100050003C"),
        "paid": seed(backend_settings, "paid@example.com", "tg-503", "E1100050004D"),
    }
    assert _opt(client, service_headers, "tg-501", True).status_code == 200
    assert _opt(client, service_headers, "web-abc", True, "ms").status_code == 200
    assert _opt(client, service_headers, "tg-502", True).status_code == 200
    assert _opt(client, service_headers, "tg-502", False).json()["enabled"] is False
    assert _opt(client, service_headers, "tg-503", True).status_code == 200
    with get_sessionmaker(backend_settings.database_url)() as db:  # October submitted in full
        db.add(
            Contribution(
                employer_id=rows["paid"]["employer_id"],
                month="2026-10",
                contribution_type="Monthly",
                act="both",
                status="submitted",
            )
        )
        db.commit()
    return rows


def test_opt_in_needs_a_logged_in_chat(client, backend_settings, service_headers) -> None:  # type: ignore[no-untyped-def]
    assert _opt(client, {}, "tg-1", True).status_code == 401  # no service token
    refused = _opt(client, service_headers, "tg-1", True)
    assert refused.status_code == 401 and refused.json()["detail"]["code"] == "not_logged_in"
    seed(backend_settings, sender_id="tg-1")
    hdrs = {**service_headers, "X-Sender-Id": "tg-1"}
    assert client.get("/api/v1/reminders", headers=hdrs).json()["enabled"] is False
    on = _opt(client, service_headers, "tg-1", True).json()
    assert on["enabled"] is True and on["channel"] == "telegram"
    assert on["employers"][0]["employer_code"] == "E1100050233Z"
    assert client.get("/api/v1/reminders", headers=hdrs).json()["enabled"] is True
    assert _opt(client, service_headers, "tg-1", False).json()["enabled"] is False
    assert client.get("/api/v1/reminders", headers=hdrs).json()["enabled"] is False


async def test_the_job_picks_the_right_employers_on_the_right_day(
    client, backend_settings, employers
) -> None:  # type: ignore[no-untyped-def]
    outbox = Outbox()
    with get_sessionmaker(backend_settings.database_url)() as db:
        # 11 November: four days before the 15th: nothing yet.
        assert (await reminders.run(db, date(2026, 11, 11), outbox))["sent"] == 0
        # 12 November: three days before: the two opted-in employers with October unsubmitted.
        summary = await reminders.run(db, date(2026, 11, 12), outbox)
        assert summary == {"date": "2026-11-12", "due": 2, "sent": 2, "delivered": 2}
        by_chat = {sender: (messages, lang) for sender, messages, lang in outbox.sent}
        assert set(by_chat) == {"tg-501", "web-abc"}  # not the opted-out one, not the paid one
        english = by_chat["tg-501"][0][0]
        assert "October 2026 contributions" in english["text"]
        assert "due on 15 November 2026" in english["text"]
        assert english["buttons"] == [
            {"title": "Submit contributions", "payload": "/submit_contribution"},
            {"title": "Stop reminders", "payload": "/reminders_off"},
        ]
        malay = by_chat["web-abc"][0][0]["text"]
        assert "caruman Oktober 2026" in malay and "15 November 2026" in malay
        # Later runs the same month send nothing again (one reminder per month) …
        assert (await reminders.run(db, date(2026, 11, 12), outbox))["sent"] == 0
        assert (await reminders.run(db, date(2026, 11, 14), outbox))["sent"] == 0
        # … and on the due date itself it is too late for a reminder.
        assert (await reminders.run(db, date(2026, 11, 15), outbox))["sent"] == 0
        assert len(outbox.sent) == 2
        assert db.query(ReminderSent).count() == 2
        # December: November's contributions, the next reminder (the October payer too now).
        await reminders.run(db, date(2026, 12, 12), outbox)
        assert sorted(sender for sender, _, _ in outbox.sent[2:]) == ["tg-501", "tg-503", "web-abc"]
        assert "November 2026 contributions" in outbox.sent[2][1][0]["text"]


async def test_a_missed_day_is_caught_up_before_the_due_date(
    client, backend_settings, employers
) -> None:  # type: ignore[no-untyped-def]
    outbox = Outbox()
    with get_sessionmaker(backend_settings.database_url)() as db:
        assert (await reminders.run(db, date(2026, 11, 14), outbox))["sent"] == 2


async def test_a_chat_that_logged_out_gets_nothing(client, backend_settings, employers) -> None:  # type: ignore[no-untyped-def]
    outbox = Outbox()
    with get_sessionmaker(backend_settings.database_url)() as db:
        db.get(Conversation, "tg-501").account_id = None
        db.commit()
        await reminders.run(db, date(2026, 11, 12), outbox)
    assert [sender for sender, _, _ in outbox.sent] == ["web-abc"]


async def test_a_failed_delivery_is_not_repeated(client, backend_settings, employers) -> None:  # type: ignore[no-untyped-def]
    outbox = Outbox(delivered=False)
    with get_sessionmaker(backend_settings.database_url)() as db:
        summary = await reminders.run(db, date(2026, 11, 12), outbox)
        assert summary["sent"] == 2 and summary["delivered"] == 0
        assert {row.delivered for row in db.query(ReminderSent)} == {False}
        assert (await reminders.run(db, date(2026, 11, 13), outbox))["sent"] == 0


def test_run_endpoint_records_the_reminder_in_the_chat(
    client, backend_settings, service_headers, employers
) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/internal/v1/reminders/run", json={}).status_code == 401
    dry = client.post(
        "/internal/v1/reminders/run",
        json={"date": "2026-11-12", "dry_run": True},
        headers=service_headers,
    ).json()
    assert dry["due"] == 2 and dry["sent"] == 0
    done = client.post(
        "/internal/v1/reminders/run", json={"date": "2026-11-12"}, headers=service_headers
    ).json()
    # No TELEGRAM_GATEWAY_URL here: the web chat counts as delivered (its transcript), Telegram not.
    assert done["sent"] == 2 and done["delivered"] == 1
    with get_sessionmaker(backend_settings.database_url)() as db:
        conversation = db.get(Conversation, "web-abc")
        # the buttons pass the hub's payload check
        assert conversation.last_buttons == ["/submit_contribution", "/reminders_off"]
        from backend.hub import service

        texts = [m.get("text", "") for m in service.history(db, "web-abc")]
    assert any("Oktober 2026" in t for t in texts)


def test_schedule_settings() -> None:
    assert schedule_time({}) == time(9, 0)
    assert schedule_time({"REMINDERS_AT": "off"}) is None
    assert schedule_time({"REMINDERS_AT": "7:30"}) == time(7, 30)
    assert schedule_time({"REMINDERS_AT": "soon"}) is None
    # 00:30 UTC is 08:30 in Malaysia: 30 minutes to 09:00; at 01:00 UTC the next is tomorrow.
    assert seconds_until(time(9, 0), datetime(2026, 11, 12, 0, 30)) == 1800
    assert seconds_until(time(9, 0), datetime(2026, 11, 12, 1, 0)) == 24 * 3600
    assert reminders.local_today(datetime(2026, 11, 11, 16, 30)) == date(2026, 11, 12)


def test_button_keys_survive_in_the_database(client, service_headers) -> None:  # type: ignore[no-untyped-def]
    payload = '/inform{"choice":"' + "x" * 80 + '"}'
    assert (
        client.post("/internal/v1/telegram/callbacks", json={"payload": payload}).status_code == 401
    )
    key = client.post(
        "/internal/v1/telegram/callbacks", json={"payload": payload}, headers=service_headers
    ).json()["key"]
    assert key.startswith("k:") and len(key.encode()) <= 64
    again = client.post(
        "/internal/v1/telegram/callbacks", json={"payload": payload}, headers=service_headers
    ).json()["key"]
    assert again == key
    loaded = client.get(f"/internal/v1/telegram/callbacks/{key}", headers=service_headers)
    assert loaded.json()["payload"] == payload
    missing = client.get("/internal/v1/telegram/callbacks/k:nope", headers=service_headers)
    assert missing.status_code == 404 and missing.json()["detail"]["code"] == "unknown_key"


# --- the bot's action against the real backend (in process) ---


@pytest.fixture
def real_backend(backend_app, backend_settings):  # type: ignore[no-untyped-def]
    import httpx

    from bot.actions import backend_client
    from tests.conftest import SERVICE_TOKEN

    backend_client.configure(
        transport=httpx.ASGITransport(app=backend_app),
        base_url="http://testserver",
        token=SERVICE_TOKEN,
    )
    yield backend_settings
    backend_client.configure()


async def test_the_action_turns_reminders_on_and_off(real_backend, client, service_headers) -> None:  # type: ignore[no-untyped-def]
    from bot.actions.reminders import ActionSetReminders
    from tests.actions.conftest import load_domain, make_tracker, run

    domain = load_domain()
    action = ActionSetReminders()
    # Not logged in: asked to log in, nothing stored.
    _, messages = await run(action, make_tracker(intent="reminders_on", sender_id="tg-9"), domain)
    assert [m["response"] for m in messages] == ["utter_reminders_login_first"]
    seed(real_backend, sender_id="tg-9")
    tracker = make_tracker(intent="reminders_on", sender_id="tg-9", slots={"language": "ms"})
    _, messages = await run(action, tracker, domain)
    assert messages[0]["response"] == "utter_reminders_on"
    assert messages[0]["employers"] == "TAN HARDWARE SDN BHD (E1100050233Z)"
    hdrs = {**service_headers, "X-Sender-Id": "tg-9"}
    stored = client.get("/api/v1/reminders", headers=hdrs).json()
    assert stored["enabled"] is True and stored["language"] == "ms"
    _, messages = await run(action, make_tracker(intent="reminders_off", sender_id="tg-9"), domain)
    assert messages[0]["response"] == "utter_reminders_off"
    assert client.get("/api/v1/reminders", headers=hdrs).json()["enabled"] is False


async def test_the_action_when_the_backend_is_down() -> None:
    import httpx

    from bot.actions import backend_client
    from bot.actions.reminders import ActionSetReminders
    from tests.actions.conftest import load_domain, make_tracker, run

    def refuse(_request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    backend_client.configure(transport=httpx.MockTransport(refuse), base_url="http://b", token="t")
    try:
        _, messages = await run(
            ActionSetReminders(), make_tracker(intent="reminders_on"), load_domain()
        )
    finally:
        backend_client.configure()
    assert [m["response"] for m in messages] == ["utter_service_unavailable_general"]


def test_every_reminder_response_has_english_and_malay() -> None:
    from tests.actions.conftest import load_domain

    responses = load_domain()["responses"]
    names = [name for name in responses if name.startswith("utter_reminders")]
    assert len(names) == 5
    for name in names:
        variants = responses[name]
        assert any(v.get("condition") for v in variants) and any(
            not v.get("condition") for v in variants
        ), name
