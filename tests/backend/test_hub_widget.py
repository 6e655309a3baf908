"""The web chat widget in headless chromium against the real backend app and a fake Rasa.

Checks what only a browser shows: buttons display their title but send their payload, a
document is an <a download>, a reload keeps the conversation, the language switch sends a
message, and a backend that goes away is reported and recovered from. Needs /usr/bin/chromium
(or ASSIST_CHROMIUM) and the vendored deep-chat (scripts/build_widget.py); skips otherwise.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from backend.db import upgrade_database
from backend.hub import rasa_client
from backend.main import create_app
from backend.settings import REPO_ROOT, Settings

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("ASSIST_CHROMIUM", "/usr/bin/chromium"))
BUNDLE = REPO_ROOT / "backend" / "static" / "vendor" / "deep-chat" / "deepChat.bundle.js"


class FakeRasa:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.fail_next = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.messages.append(body)
        if self.fail_next:
            self.fail_next -= 1
            return httpx.Response(503)
        text, sender = body["message"], body["sender"]
        if text == "/affirm":
            reply: list[dict[str, Any]] = [
                {"text": "Your form is **ready**."},
                {
                    "custom": {
                        "document": {"url": "/static/widget/chat.css", "filename": "PID1.pdf"}
                    }
                },
                {
                    "custom": {
                        "link": {"url": "https://portal.example/", "title": "Open the portal"}
                    }
                },
            ]
        elif "Bahasa Melayu" in text:
            reply = [{"text": "Baik, kita teruskan dalam Bahasa Melayu."}]
        else:
            reply = [
                {
                    "text": f"You said: {text}",
                    "buttons": [
                        {"title": "Yes, apply", "payload": "/affirm"},
                        {"title": "No", "payload": "/deny"},
                    ],
                }
            ]
        return httpx.Response(200, json=[{**m, "recipient_id": sender} for m in reply])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, app: Any, port: int) -> None:
        self.app, self.port = app, port
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(timeout=10)


@pytest.fixture
def fake_rasa():
    fake = FakeRasa()
    rasa_client.use_transport(httpx.MockTransport(fake.handler))
    yield fake
    rasa_client.use_transport(None)


@pytest.fixture
def server(tmp_path, fake_rasa):
    url = f"sqlite:///{tmp_path / 'widget.db'}"
    upgrade_database(url)
    app = create_app()
    app.state.settings = Settings(database_url=url, assist_secret_key="widget-test-secret")
    server = Server(app, _free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def page():
    if not CHROMIUM.exists():
        pytest.skip(f"chromium is missing at {CHROMIUM}")
    if not BUNDLE.exists():
        pytest.skip("deep-chat is not vendored: run scripts/build_widget.py")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(locale="en-GB", viewport={"width": 360, "height": 740})
        page = context.new_page()
        page.outside_requests = []  # type: ignore[attr-defined]
        page.errors = []  # type: ignore[attr-defined]
        page.on(
            "request",
            lambda r: (
                page.outside_requests.append(r.url)
                if not r.url.startswith(("http://127.0.0.1", "data:"))
                else None
            ),
        )
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        yield page
        browser.close()


def _type(page, text: str) -> None:
    box = page.locator("#assist-chat #text-input")
    box.click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def _bot_text(page) -> str:
    return " | ".join(page.locator("#assist-chat .ai-message-text").all_inner_texts())


def test_widget_conversation_buttons_history_language_and_outage(page, server, fake_rasa):
    base = f"http://127.0.0.1:{server.port}"
    page.goto(f"{base}/chat")
    page.locator("#assist-chat #text-input").wait_for(state="visible", timeout=20_000)
    assert page.get_by_role("button", name="English").get_attribute("aria-pressed") == "true"

    _type(page, "my IC is 900101-14-5678")
    page.get_by_role("button", name="Yes, apply").wait_for(timeout=10_000)
    assert fake_rasa.messages[-1]["message"] == "my IC is 900101-14-5678"
    assert fake_rasa.messages[-1]["sender"].startswith("web-")

    # a button shows its title and sends its payload (pressed from the keyboard: focus returns
    # to the message box)
    page.get_by_role("button", name="Yes, apply").focus()
    page.keyboard.press("Enter")
    download = page.locator("#assist-chat a[download]")
    download.wait_for(timeout=10_000)
    assert fake_rasa.messages[-1]["message"] == "/affirm"
    assert download.get_attribute("download") == "PID1.pdf"
    assert "Yes, apply" in " ".join(
        page.locator("#assist-chat .user-message-text").all_inner_texts()
    )
    focused = "() => document.querySelector('#assist-chat').shadowRoot.activeElement?.id"
    assert page.evaluate(focused) == "text-input"
    link = page.locator("#assist-chat a", has_text="Open the portal")
    assert link.get_attribute("href") == "https://portal.example/"
    assert link.get_attribute("rel") == "noopener noreferrer"
    with page.expect_download(timeout=10_000) as arrived:
        download.click()
    assert arrived.value.suggested_filename == "PID1.pdf"
    css = REPO_ROOT / "backend" / "static" / "widget" / "chat.css"
    assert Path(arrived.value.path()).read_bytes() == css.read_bytes()  # the file arrives

    # a reload keeps the conversation (masked) and shows the pressed button by its title
    page.reload()
    page.locator("#assist-chat a[download]").wait_for(timeout=10_000)
    users = page.locator("#assist-chat .user-message-text").all_inner_texts()
    assert users == ["my IC is 900101-**-***8", "Yes, apply"]
    assert page.get_by_role("button", name="Yes, apply").is_disabled()

    # the language switch updates the page and tells the bot
    page.get_by_role("button", name="Bahasa Melayu").click()
    page.locator("#assist-chat .ai-message-text", has_text="Baik").wait_for(timeout=10_000)
    assert fake_rasa.messages[-1]["message"] == "Tukar ke Bahasa Melayu"
    assert fake_rasa.messages[-1]["metadata"]["language_hint"] == "ms"
    assert page.locator("html").get_attribute("lang") == "ms"
    assert page.get_by_role("button", name="Bahasa Melayu").get_attribute("aria-pressed") == "true"

    # the backend goes away: a clear message and a retry button; it comes back: retry works
    server.stop()
    _type(page, "masih ada?")
    page.locator("#chat-status").wait_for(state="visible", timeout=10_000)
    assert "Masalah sambungan" in page.locator("#chat-status").inner_text()
    retry = page.get_by_role("button", name="Cuba lagi")
    retry.wait_for(timeout=10_000)
    server.start()
    retry.click()
    page.locator("#assist-chat .ai-message-text", has_text="You said: masih ada?").wait_for(
        timeout=10_000
    )
    assert page.locator("#chat-status").is_hidden()

    # Rasa is down but the backend is up: the hub's message, then "Try again" re-sends the payload
    page.get_by_role("button", name="No").last.click()
    page.locator("#assist-chat .ai-message-text", has_text="You said: /deny").wait_for(
        timeout=10_000
    )
    fake_rasa.fail_next = 1
    page.get_by_role("button", name="Yes, apply").last.click()
    page.locator("#assist-chat .ai-message-text", has_text="sementara waktu").wait_for(
        timeout=10_000
    )
    downloads = page.locator("#assist-chat a[download]").count()
    page.get_by_role("button", name="Cuba lagi").last.click()
    page.wait_for_function(
        """n => document.querySelector('#assist-chat').shadowRoot
               .querySelectorAll('a[download]').length > n""",
        arg=downloads,
        timeout=10_000,
    )
    assert [m["message"] for m in fake_rasa.messages[-2:]] == ["/affirm", "/affirm"]

    assert page.outside_requests == []  # nothing from a CDN or Google Fonts
    assert page.errors == []
