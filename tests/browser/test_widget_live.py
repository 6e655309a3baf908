"""The web widget's live channel in a real browser: nothing pushed is lost or shown twice, and the
user sees a helpline agent typing.

Playwright + Debian's chromium against the shared full-stack SQLite stack.

- The event stream is cut (every request to /api/v1/chat/events fails, as on a flaky mobile
  connection, or is answered 503), a payment result is pushed meanwhile, the connection comes
  back: the message appears once, and stays once across more reconnects and a reload.
- A helpline agent holds the chat: while they type in the console the widget says
  "Ali (PERKESO) is typing…" (Malay: "sedang menaip…"); the reply replaces it; what the user sends
  meanwhile is answered "✓ Sent to the helpline agent", not with an empty "…" bubble.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import threading
from typing import Any

import httpx
import pytest

from tests.fullstack.chat import ChatClient

pytestmark = [pytest.mark.browser, pytest.mark.fullstack]

BUBBLES = "#assist-chat .ai-message-text"


def _open(page, web_stack) -> str:  # type: ignore[no-untyped-def]
    """Open the chat page; the sender id the hub derives from its cookie."""
    from backend.hub import sessions

    page.goto(f"{web_stack.base_url}/chat", wait_until="domcontentloaded")
    page.locator("#assist-chat #text-input").wait_for(state="visible", timeout=30_000)
    cookie = next(c for c in page.context.cookies() if c["name"] == sessions.COOKIE_NAME)
    session = sessions.decode(cookie["value"], web_stack.secret_key)
    assert session is not None
    return session.sender_id


def _push(web_stack, sender: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """What the payment callback or the reminder job does: a proactive message to the chat."""
    from backend.db import get_sessionmaker
    from backend.hub.proactive import send_proactive

    def run() -> None:
        with get_sessionmaker(web_stack.database_url)() as db:
            asyncio.run(
                send_proactive(db, sender, [{"text": text}], service_token=web_stack.service_token)
            )

    worker = threading.Thread(target=run)  # not on Playwright's thread
    worker.start()
    worker.join(timeout=30)


def _count(page, text: str) -> int:  # type: ignore[no-untyped-def]
    return page.locator(BUBBLES, has_text=text).count()


def _wait_until(page, check, timeout_ms: int = 20_000) -> None:  # type: ignore[no-untyped-def]
    waited = 0
    while not check():
        assert waited < timeout_ms, "condition not met in time"
        page.wait_for_timeout(200)  # lets Playwright run the route handler meanwhile
        waited += 200


@pytest.mark.parametrize("outage", ["network", "server"])
def test_a_message_pushed_while_the_stream_is_down_arrives_once(page, web_stack, outage) -> None:  # type: ignore[no-untyped-def]
    """``network``: the connection fails, the browser's EventSource retries by itself (resuming
    after Last-Event-ID); ``server``: the backend answers 503, EventSource gives up and the page
    opens a new stream itself (resuming after the newest id it knows)."""
    state: dict[str, Any] = {"down": False, "opened": 0, "refused": 0}

    def events(route) -> None:  # type: ignore[no-untyped-def]
        if state["down"]:
            state["refused"] += 1
            if outage == "network":
                route.abort("internetdisconnected")
            else:
                route.fulfill(status=503, body="down for maintenance")
            return
        state["opened"] += 1
        # Streams end after 3 s instead of 55, so a reconnect happens within the test.
        route.continue_(url=re.sub(r"wait=\d+", "wait=3", route.request.url))

    page.route("**/api/v1/chat/events*", events)
    sender = _open(page, web_stack)
    _wait_until(page, lambda: state["opened"] >= 1)

    state["down"] = True  # the open stream ends within 3 s and every reconnect fails
    _wait_until(page, lambda: state["refused"] >= 1)
    first = f"Payment SUCCESSFUL {secrets.token_hex(3)}"
    _push(web_stack, sender, first)
    page.wait_for_timeout(2_000)
    assert _count(page, first) == 0  # really down: nothing could arrive yet

    state["down"] = False
    page.locator(BUBBLES, has_text=first).wait_for(timeout=30_000)
    opened = state["opened"]
    _wait_until(page, lambda: state["opened"] >= opened + 2)  # two more stream cycles
    assert _count(page, first) == 1

    # Connected: a live push arrives once too.
    second = f"Reminder {secrets.token_hex(3)}"
    _push(web_stack, sender, second)
    page.locator(BUBBLES, has_text=second).wait_for(timeout=30_000)
    opened = state["opened"]
    _wait_until(page, lambda: state["opened"] >= opened + 1)
    assert (_count(page, first), _count(page, second)) == (1, 1)

    # The history after a reload: each once.
    page.reload(wait_until="domcontentloaded")
    page.locator(BUBBLES, has_text=second).wait_for(timeout=30_000)
    page.wait_for_timeout(1_000)
    assert (_count(page, first), _count(page, second)) == (1, 1)


def _agent(web_stack) -> httpx.Client:  # type: ignore[no-untyped-def]
    """A signed-in helpline agent's console client (CSRF header set)."""
    from backend.db import get_sessionmaker
    from backend.services.staff_auth import create_staff

    email, password = f"ali.{secrets.token_hex(3)}@perkeso.example", secrets.token_urlsafe(16)
    with get_sessionmaker(web_stack.database_url)() as db:
        create_staff(db, email, "Ali Agent", password, "agent")
        db.commit()
    client = ChatClient(base_url=web_stack.base_url, timeout=30)  # usable in `with` after use
    page = client.get("/staff/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    res = client.post(
        "/staff/login", data={"email": email, "password": password, "csrf_token": token}
    )
    assert res.status_code in (200, 303), res.text[:300]
    console = client.get("/staff/handoffs")
    client.headers["X-CSRF-Token"] = re.search(
        r'name="csrf_token" value="([^"]+)"', console.text
    ).group(1)
    return client


def test_the_user_sees_the_agent_typing_then_the_reply(page, web_stack) -> None:  # type: ignore[no-untyped-def]
    sender = _open(page, web_stack)
    ticket = httpx.post(
        f"{web_stack.base_url}/api/v1/handoffs",
        json={"sender_id": sender, "language": "en", "reason": "asked"},
        headers={"Authorization": f"Bearer {web_stack.service_token}"},
        timeout=30,
    ).json()
    assert ticket["status"] == "queued", ticket
    url = f"/staff/api/handoffs/{ticket['ticket_id']}"
    typing_line = page.locator("#chat-typing")
    with _agent(web_stack) as agent:
        page.wait_for_timeout(1_500)  # the page's event stream is open
        assert agent.post(f"{url}/typing").status_code == 200
        typing_line.filter(has_text="Ali (PERKESO) is typing…").wait_for(timeout=15_000)
        assert typing_line.get_attribute("role") == "status"

        words = f"Hello, I am looking at your application {secrets.token_hex(2)}"
        assert agent.post(f"{url}/reply", json={"text": words}).status_code == 200
        page.locator(BUBBLES, has_text=words).wait_for(timeout=15_000)
        typing_line.wait_for(state="hidden", timeout=5_000)

        # The user answers: it goes to the agent, and the widget says so (not an empty "…").
        box = page.locator("#assist-chat #text-input")
        box.click()
        page.keyboard.type("Thank you, I will wait")
        with page.expect_response(lambda r: r.url.endswith("/api/v1/chat/messages")) as sent:
            page.keyboard.press("Enter")
        assert sent.value.json() == {"messages": [], "handoff": "agent"}
        page.locator(BUBBLES, has_text="Sent to the helpline agent").wait_for(timeout=10_000)
        page.wait_for_timeout(500)
        said = [t.strip() for t in page.locator(BUBBLES).all_inner_texts()]
        assert "…" not in said and said[-1].startswith("✓ Sent to the helpline agent"), said

        # In Malay.
        page.locator('.lang-switch button[data-language="ms"]').click()
        page.wait_for_timeout(1_000)
        assert agent.post(f"{url}/typing").status_code == 200
        typing_line.filter(has_text="Ali (PERKESO) sedang menaip…").wait_for(timeout=15_000)
        # The signal fades by itself when the agent stops typing.
        typing_line.wait_for(state="hidden", timeout=15_000)
        assert agent.post(f"{url}/handback").status_code == 200
