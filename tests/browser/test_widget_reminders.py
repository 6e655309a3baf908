"""The web widget: a deadline reminder pushed to an open chat, and its Stop button (real stack).

Playwright + Debian's chromium against the full-stack SQLite stack (real Rasa and action server),
opt in for the page's own chat, run the reminder job, and the reminder shows
up in the open page without a reload; pressing "Stop reminders" turns them off through the bot.
"""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.fullstack]


def _bind_account(stack, sender_id: str) -> None:  # type: ignore[no-untyped-def]
    """The page's chat, logged in to an account with a registered employer (as after OTP)."""
    from backend.db import get_sessionmaker
    from backend.models import Conversation
    from tests.backend.contribution_helpers import seed

    with get_sessionmaker(stack.database_url)() as db:
        existing = db.get(Conversation, sender_id)
        if existing is not None:
            db.delete(existing)
            db.commit()
    seed(
        SimpleNamespace(database_url=stack.database_url),
        email="widget-reminder@example.com",
        sender_id=sender_id,
        code="E1100050888M",
    )


def test_a_reminder_reaches_the_open_widget_and_stop_works(page, web_stack) -> None:
    from backend.hub import sessions

    page.goto(f"{web_stack.base_url}/chat", wait_until="domcontentloaded")
    page.locator("#assist-chat #text-input").wait_for(state="visible", timeout=30_000)
    cookie = next(c for c in page.context.cookies() if c["name"] == sessions.COOKIE_NAME)
    session = sessions.decode(cookie["value"], web_stack.secret_key)
    assert session is not None
    sender = session.sender_id
    _bind_account(web_stack, sender)
    auth = {"Authorization": f"Bearer {web_stack.service_token}"}
    opted = httpx.put(
        f"{web_stack.base_url}/api/v1/reminders",
        json={"enabled": True},
        headers={**auth, "X-Sender-Id": sender},
        timeout=30,
    )
    assert opted.status_code == 200 and opted.json()["enabled"] is True
    page.wait_for_timeout(1500)  # the page's event stream is open
    run = httpx.post(
        f"{web_stack.base_url}/internal/v1/reminders/run",
        json={"date": "2026-11-12"},
        headers=auth,
        timeout=60,
    ).json()
    assert run["sent"] >= 1
    reminder = page.locator("#assist-chat .ai-message-text", has_text="October 2026 contributions")
    reminder.wait_for(timeout=30_000)
    assert "due on 15 November 2026" in reminder.inner_text()
    page.locator("#assist-chat .assist-choice", has_text="Stop reminders").click()
    page.locator("#assist-chat .ai-message-text", has_text="reminders are off").wait_for(
        timeout=60_000
    )
    state = httpx.get(
        f"{web_stack.base_url}/api/v1/reminders", headers={**auth, "X-Sender-Id": sender}
    )
    assert state.json()["enabled"] is False
    # The reminder is in the transcript too: a reload shows it.
    page.reload()
    page.locator("#assist-chat .ai-message-text", has_text="October 2026 contributions").wait_for(
        timeout=30_000
    )
