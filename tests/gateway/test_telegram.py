"""Telegram gateway: update → hub → reply mapping, without Telegram or a real hub."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from telegram import InlineKeyboardMarkup, Update

from backend.settings import REPO_ROOT
from gateway.telegram import (
    CALLBACK_DATA_LIMIT,
    EXIT_TELEGRAM_UNREACHABLE,
    EXIT_TOKEN_REJECTED,
    TEXT_LIMIT,
    CallbackStore,
    Gateway,
    build_keyboard,
    language_of,
    split_text,
)

LONG_PAYLOAD = (
    '/inform{"company_name": "Syarikat Perniagaan Maju Jaya Sdn. Bhd. (Cawangan Pulau Pinang)"}'
)


class FakeBot:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.files: dict[str, bytes] = {}

    async def send_message(self, **kwargs: Any) -> None:
        self.calls.append(("send_message", kwargs))

    async def send_document(self, **kwargs: Any) -> None:
        self.calls.append(("send_document", kwargs))

    async def answer_callback_query(self, callback_query_id: str, **kwargs: Any) -> None:
        self.calls.append(("answer_callback_query", {"id": callback_query_id, **kwargs}))

    async def edit_message_reply_markup(self, **kwargs: Any) -> None:
        self.calls.append(("edit_message_reply_markup", kwargs))

    async def send_chat_action(self, **kwargs: Any) -> None:
        self.calls.append(("send_chat_action", kwargs))

    async def get_file(self, file_id: str, **kwargs: Any) -> Any:
        self.calls.append(("get_file", {"file_id": file_id}))
        content = self.files[file_id]

        async def download_as_bytearray() -> bytearray:
            return bytearray(content)

        return SimpleNamespace(download_as_bytearray=download_as_bytearray)

    def sent(self, name: str) -> list[dict[str, Any]]:
        return [kwargs for call, kwargs in self.calls if call == name]


class FakeHub:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.replies: list[dict[str, Any]] = []
        self.uploads: list[bytes] = []
        self.down = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/files/"):
            return httpx.Response(200, content=b"%PDF-1.4 fake")
        if request.url.path.startswith("/gone/"):
            return httpx.Response(404)
        if self.down:
            raise httpx.ConnectError("connection refused")
        if request.url.path == "/internal/v1/hub/files":
            assert request.headers["authorization"] == "Bearer svc"
            self.uploads.append(request.content)
            return httpx.Response(200, json={"messages": [{"text": "Saved."}]})
        assert request.url.path == "/internal/v1/hub/messages"
        assert request.headers["authorization"] == "Bearer svc"
        self.requests.append(json.loads(request.content))
        return httpx.Response(200, json=self.replies.pop(0) if self.replies else {"messages": []})


@pytest.fixture
def hub() -> FakeHub:
    return FakeHub()


@pytest.fixture
async def gateway(hub: FakeHub):
    http = httpx.AsyncClient(transport=httpx.MockTransport(hub.handler))
    yield Gateway("http://hub.test", "svc", http)
    await http.aclose()


def text_update(text: str, user_id: int = 42, language_code: str | None = "ms") -> Update:
    user = {"id": user_id, "is_bot": False, "first_name": "Aminah"}
    if language_code:
        user["language_code"] = language_code
    entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return Update.de_json(
        {
            "update_id": 1,
            "message": {
                "message_id": 10,
                "date": 0,
                "chat": {"id": 500 + user_id, "type": "private"},
                "from": user,
                "text": text,
                **({"entities": entities} if text.startswith("/") else {}),
            },
        },
        None,
    )


def callback_update(data: str, user_id: int = 42) -> Update:
    user = {"id": user_id, "is_bot": False, "first_name": "Aminah", "language_code": "en"}
    return Update.de_json(
        {
            "update_id": 2,
            "callback_query": {
                "id": "cb1",
                "from": user,
                "chat_instance": "ci",
                "data": data,
                "message": {
                    "message_id": 77,
                    "date": 0,
                    "chat": {"id": 500 + user_id, "type": "private"},
                    "text": "Choose",
                },
            },
        },
        None,
    )


def context(bot: FakeBot) -> SimpleNamespace:
    return SimpleNamespace(bot=bot)


# --- pure helpers ---


def test_split_text_keeps_short_text_whole() -> None:
    assert split_text("hello") == ["hello"]
    assert split_text("  \n ") == []


def test_split_text_at_paragraph_boundaries() -> None:
    paragraphs = [f"Paragraph {i}. " + "word " * 300 for i in range(6)]  # ~1,500 chars each
    text = "\n\n".join(p.strip() for p in paragraphs)
    pieces = split_text(text)
    assert len(pieces) > 1
    assert all(len(piece) <= TEXT_LIMIT for piece in pieces)
    for piece in pieces:  # every piece starts at a paragraph start
        assert piece.startswith("Paragraph ")
    assert "\n\n".join(pieces) == text


def test_split_text_falls_back_to_lines_words_and_hard_cuts() -> None:
    words = "abc " * 3000
    assert all(len(p) <= TEXT_LIMIT for p in split_text(words))
    assert "".join(split_text(words)).replace(" ", "") == words.replace(" ", "")
    blob = "x" * 9000
    assert [len(p) for p in split_text(blob)] == [4096, 4096, 808]


def test_callback_data_fits_64_bytes_and_maps_back() -> None:
    store = CallbackStore()
    assert store.encode("/affirm") == "/affirm"
    key = store.encode(LONG_PAYLOAD)
    assert len(key.encode()) <= CALLBACK_DATA_LIMIT and key != LONG_PAYLOAD
    assert store.decode(key) == LONG_PAYLOAD
    assert store.encode(LONG_PAYLOAD) == key  # stable
    malay = '/pilih{"nama": "' + "é" * 30 + '"}'  # short in characters, long in bytes
    assert len(store.encode(malay).encode()) <= CALLBACK_DATA_LIMIT
    assert store.decode(store.encode(malay)) == malay
    assert store.decode("k:unknown") is None
    # a payload that looks like a key is never passed through unmapped
    assert store.decode(store.encode("k:abc")) == "k:abc"


def test_callback_store_is_bounded() -> None:
    store = CallbackStore(max_entries=2)
    keys = [store.encode(LONG_PAYLOAD + str(i)) for i in range(3)]
    assert store.decode(keys[0]) is None
    assert store.decode(keys[2]) == LONG_PAYLOAD + "2"


def test_keyboard_building() -> None:
    store = CallbackStore()
    keyboard = build_keyboard(
        {
            "text": "Pick",
            "buttons": [
                {"title": "Yes", "payload": "/affirm"},
                {"title": "No", "payload": "/deny"},
                {"title": "A very long company name option", "payload": LONG_PAYLOAD},
            ],
            "link": {"url": "https://pay.example/fpx/1", "title": "Pay with FPX"},
        },
        store,
    )
    assert isinstance(keyboard, InlineKeyboardMarkup)
    rows = keyboard.inline_keyboard
    assert [[b.text for b in row] for row in rows] == [
        ["Yes", "No"],
        ["A very long company name option"],
        ["Pay with FPX"],
    ]
    assert rows[0][0].callback_data == "/affirm"
    assert store.decode(rows[1][0].callback_data) == LONG_PAYLOAD
    assert rows[2][0].url == "https://pay.example/fpx/1" and rows[2][0].callback_data is None
    assert build_keyboard({"text": "plain"}, store) is None


def test_language_of() -> None:
    assert language_of("ms") == "ms" and language_of("ms-MY") == "ms"
    assert language_of("en-GB") == "en" and language_of("zh-hans") is None
    assert language_of(None) is None


# --- update → hub → reply ---


async def test_text_message_goes_to_hub_and_reply_is_mapped(gateway: Gateway, hub: FakeHub) -> None:
    bot = FakeBot()
    long_text = "\n\n".join(["para " + "x" * 3000, "para " + "y" * 3000])
    hub.replies.append(
        {
            "messages": [
                {"text": long_text},
                {"text": "Continue?", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
                {"document": {"url": "http://hub.test/files/form/1?t=x", "filename": "PID1.pdf"}},
                {"link": {"url": "https://portal.example", "title": "Portal"}},
            ]
        }
    )
    await gateway.on_text(text_update("saya nak mohon ID portal"), context(bot))
    assert hub.requests == [
        {
            "sender_id": "tg-42",
            "text": "saya nak mohon ID portal",
            "channel": "telegram",
            "language_hint": "ms",
        }
    ]
    sent = bot.sent("send_message")
    assert [len(m["text"]) for m in sent[:2]] == [3005, 3005]
    assert all(m["chat_id"] == 542 for m in sent)
    assert sent[2]["text"] == "Continue?"
    assert sent[2]["reply_markup"].inline_keyboard[0][0].callback_data == "/affirm"
    # a link without text still needs text to carry its URL button
    assert sent[3]["text"] == "Sila pilih:"
    assert sent[3]["reply_markup"].inline_keyboard[0][0].url == "https://portal.example"
    documents = bot.sent("send_document")
    assert len(documents) == 1 and documents[0]["document"].filename == "PID1.pdf"
    assert documents[0]["document"].input_file_content == b"%PDF-1.4 fake"


async def test_callback_answers_removes_keyboard_and_sends_payload(
    gateway: Gateway, hub: FakeHub
) -> None:
    bot = FakeBot()
    key = gateway.store.encode(LONG_PAYLOAD)
    hub.replies.append({"messages": [{"text": "Noted."}]})
    await gateway.on_callback(callback_update(key), context(bot))
    assert bot.calls[0] == ("answer_callback_query", {"id": "cb1", "text": None})
    assert bot.calls[1] == (
        "edit_message_reply_markup",
        {"chat_id": 542, "message_id": 77, "reply_markup": None},
    )
    assert hub.requests[0]["text"] == LONG_PAYLOAD and hub.requests[0]["sender_id"] == "tg-42"
    assert bot.sent("send_message")[-1]["text"] == "Noted."


async def test_expired_callback_is_answered_not_forwarded(gateway: Gateway, hub: FakeHub) -> None:
    bot = FakeBot()
    await gateway.on_callback(callback_update("k:forgotten"), context(bot))
    assert bot.calls[0][0] == "answer_callback_query" and "expired" in bot.calls[0][1]["text"]
    assert hub.requests == []


@pytest.mark.parametrize(
    ("command", "language", "text"),
    [
        ("/start", "en", "hello"),
        ("/start@AssistBot deeplink", "ms", "hai"),
        ("/help", "ms", "bantuan"),
        ("/cancel", "en", "cancel"),
        ("/language", None, "change language"),
    ],
)
async def test_commands_map_to_bot_messages(
    gateway: Gateway, hub: FakeHub, command: str, language: str | None, text: str
) -> None:
    await gateway.on_command(text_update(command, language_code=language), context(FakeBot()))
    assert hub.requests[0]["text"] == text
    assert hub.requests[0]["language_hint"] == language


async def test_hub_down_gives_unavailable_message(gateway: Gateway, hub: FakeHub) -> None:
    hub.down = True
    bot = FakeBot()
    await gateway.on_text(text_update("hello", language_code="en"), context(bot))
    assert "temporarily unavailable" in bot.sent("send_message")[0]["text"]


async def test_document_download_failure_falls_back_to_link(gateway: Gateway) -> None:
    bot = FakeBot()
    await gateway.deliver(
        bot,
        1,
        {"messages": [{"document": {"url": "http://hub.test/gone/x.pdf", "filename": "x.pdf"}}]},
        "en",
    )
    assert bot.sent("send_document") == []
    fallback = bot.sent("send_message")[0]
    assert fallback["text"].startswith("I couldn't attach the document")
    assert fallback["reply_markup"].inline_keyboard[0][0].url == "http://hub.test/gone/x.pdf"


# --- start-up ---


class _RejectingTelegram(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.dumps({"ok": False, "error_code": 401, "description": "Unauthorized"}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_rejected_token_exits_with_clear_error() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RejectingTelegram)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "gateway.telegram"],
            cwd=REPO_ROOT,
            env={
                "PATH": "/usr/bin:/bin",
                "TELEGRAM_BOT_TOKEN": "123:not-a-real-token",
                "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{server.server_port}/bot",
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.shutdown()
    assert result.returncode == EXIT_TOKEN_REJECTED, result.stderr
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in result.stderr


def _stderr_until(process: subprocess.Popen, needle: str, timeout: float = 60) -> str:
    """The process's stderr up to the first line holding ``needle``."""
    assert process.stderr is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if needle in line:
            return "".join(seen)
    raise AssertionError(f"no {needle!r} in: {''.join(seen)}")


def _gateway_staying_up(token: str, api_base: str, **extra: str) -> subprocess.Popen[str]:
    """The gateway as the run command starts it (TELEGRAM_STAY_UP_ON_ERROR), stderr readable."""
    return subprocess.Popen(
        [sys.executable, "-m", "gateway.telegram"],
        cwd=REPO_ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_API_BASE_URL": api_base,
            "TELEGRAM_STAY_UP_ON_ERROR": "1",
            **extra,
        },
        stderr=subprocess.PIPE,
        text=True,
    )


def test_under_the_run_command_a_rejected_token_does_not_stop_the_system() -> None:
    """The run command's process manager stops everything when a process exits: with
    TELEGRAM_STAY_UP_ON_ERROR the gateway says what is wrong and stays up, idle, until stopped."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RejectingTelegram)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    process = _gateway_staying_up(
        "123:not-a-real-token", f"http://127.0.0.1:{server.server_port}/bot"
    )
    try:
        said = _stderr_until(process, "keeps running")
        assert "Telegram rejected TELEGRAM_BOT_TOKEN" in said
        time.sleep(1.0)
        assert process.poll() is None  # still up: the rest of the system is not stopped
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == EXIT_TOKEN_REJECTED
    finally:
        if process.poll() is None:
            process.kill()
        server.shutdown()


def test_under_the_run_command_an_unreachable_telegram_is_tried_again() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again at once: nothing listens there
    process = _gateway_staying_up(
        "123:abc", f"http://127.0.0.1:{port}/bot", TELEGRAM_RETRY_SECONDS="1"
    )
    try:
        first = _stderr_until(process, "tried again in 1 s")
        assert "Cannot reach the Telegram Bot API" in first
        again = _stderr_until(process, "tried again in 1 s")  # a second attempt
        assert "Cannot reach the Telegram Bot API" in again
        process.send_signal(signal.SIGTERM)
        # Stopped while waiting (its exit code) or in the middle of an attempt (by the signal).
        assert process.wait(timeout=15) in (EXIT_TELEGRAM_UNREACHABLE, -signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()


def test_missing_token_exits() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway.telegram"],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "TELEGRAM_BOT_TOKEN": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "TELEGRAM_BOT_TOKEN is not set" in result.stderr


def test_unreachable_telegram_exits_with_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again at once: nothing listens there
    result = subprocess.run(
        [sys.executable, "-m", "gateway.telegram"],
        cwd=REPO_ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "TELEGRAM_BOT_TOKEN": "123:abc",
            "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{port}/bot",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == EXIT_TELEGRAM_UNREACHABLE, result.stderr
    assert "Cannot reach the Telegram Bot API" in result.stderr


@pytest.mark.parametrize(
    ("command", "language", "text"),
    [
        ("/remind on", "en", "turn on deadline reminders"),
        ("/remind ON", "ms", "hidupkan peringatan tarikh akhir"),
        ("/remind@AssistBot off", "en", "turn off deadline reminders"),
        ("/remind mati", "ms", "matikan peringatan tarikh akhir"),
    ],
)
async def test_remind_command_maps_to_the_reminder_intents_words(
    gateway: Gateway, hub: FakeHub, command: str, language: str, text: str
) -> None:
    await gateway.on_command(text_update(command, language_code=language), context(FakeBot()))
    assert hub.requests[0]["text"] == text


@pytest.mark.parametrize("command", ["/remind", "/remind tomorrow"])
async def test_remind_without_on_or_off_explains_itself(
    gateway: Gateway, hub: FakeHub, command: str
) -> None:
    bot = FakeBot()
    await gateway.on_command(text_update(command, language_code="en"), context(bot))
    assert hub.requests == []
    assert "/remind on" in bot.sent("send_message")[0]["text"]
