"""``python -m gateway.telegram`` end to end against a fake Bot API and a fake hub.

The fake Bot API speaks just enough of Telegram's HTTP API for python-telegram-bot's long
polling (getMe, deleteWebhook, getUpdates, sendMessage, sendDocument, answerCallbackQuery,
editMessageReplyMarkup); the gateway finds it through ``TELEGRAM_API_BASE_URL``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from backend.settings import REPO_ROOT

TOKEN = "123456:TEST-token"
LONG_PAYLOAD = '/inform{"company_role": "Pengarah Urusan dan Pemilik Tunggal Syarikat Perniagaan"}'


class State:
    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.updates: list[dict[str, Any]] = []
        self.next_update_id = 1
        self.bot_calls: list[tuple[str, dict[str, Any]]] = []
        self.hub_requests: list[dict[str, Any]] = []
        self.hub_replies: list[dict[str, Any]] = []
        self.message_id = 1000

    def push_update(self, update: dict[str, Any]) -> None:
        with self.lock:
            self.updates.append({"update_id": self.next_update_id, **update})
            self.next_update_id += 1
            self.lock.notify_all()

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                value = predicate()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out; bot calls: {self.bot_calls}")
                self.lock.wait(remaining)

    def calls(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.bot_calls if name == method]


def _decode_form(handler: BaseHTTPRequestHandler, body: bytes) -> dict[str, Any]:
    kind = handler.headers.get("Content-Type", "")
    if kind.startswith("application/json"):
        return json.loads(body or b"{}")
    if kind.startswith("multipart/form-data"):
        return {"_multipart": body}
    params: dict[str, Any] = {}
    for key, values in parse_qs(body.decode()).items():
        value = values[0]
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


def make_bot_api(state: State) -> type[BaseHTTPRequestHandler]:
    class BotApi(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, result: Any, status: int = 200) -> None:
            body = json.dumps({"ok": status == 200, "result": result}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            path = urlparse(self.path).path
            prefix = f"/bot{TOKEN}/"
            if not path.startswith(prefix):
                return self._reply(None, 404)
            method = path[len(prefix) :]
            length = int(self.headers.get("Content-Length") or 0)
            params = _decode_form(self, self.rfile.read(length))
            if method == "getMe":
                return self._reply(
                    {"id": 999, "is_bot": True, "first_name": "ASSIST", "username": "assist_bot"}
                )
            if method in ("deleteWebhook", "setMyCommands"):
                return self._reply(True)
            if method == "getUpdates":
                offset = int(params.get("offset") or 0)
                deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
                with state.lock:
                    while True:
                        state.updates = [u for u in state.updates if u["update_id"] >= offset]
                        if state.updates or time.monotonic() >= deadline:
                            return self._reply(list(state.updates))
                        state.lock.wait(max(0.01, deadline - time.monotonic()))
            with state.lock:
                state.bot_calls.append((method, params))
                state.message_id += 1
                message_id = state.message_id
                state.lock.notify_all()
            if method in ("answerCallbackQuery", "editMessageReplyMarkup"):
                return self._reply(True)
            chat_id = int(params.get("chat_id") or 1)
            message = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
            }
            if method == "sendMessage":
                message["text"] = params.get("text", "")
            return self._reply(message)

    return BotApi


def make_hub(state: State) -> type[BaseHTTPRequestHandler]:
    class Hub(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            self._send(200, b"%PDF-1.4 letter", "application/pdf")

        def do_POST(self) -> None:  # noqa: N802
            assert self.headers["Authorization"] == "Bearer emulator-token"
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.path == "/internal/v1/telegram/callbacks":  # the button key map
                from backend.routers.telegram_callbacks import callback_key

                key = json.dumps({"key": callback_key(body["payload"])}).encode()
                self._send(200, key, "application/json")
                return
            with state.lock:
                state.hub_requests.append(body)
                reply = state.hub_replies.pop(0) if state.hub_replies else {"messages": []}
                state.lock.notify_all()
            self._send(200, json.dumps(reply).encode(), "application/json")

    return Hub


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError):  # the gateway hanging up mid long-poll is fine
            super().handle_error(request, client_address)


def _serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    server = QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def emulator() -> Iterator[tuple[State, subprocess.Popen[str], ThreadingHTTPServer]]:
    state = State()
    bot_api = _serve(make_bot_api(state))
    hub = _serve(make_hub(state))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{bot_api.server_port}/bot",
        "ASSIST_BACKEND_URL": f"http://127.0.0.1:{hub.server_port}",
        "ASSIST_SERVICE_TOKEN": "emulator-token",
        "ASSIST_LOG_LEVEL": "INFO",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.telegram"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield state, process, hub
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        print(process.stdout.read() if process.stdout else "")  # shown when a test fails
        bot_api.shutdown()
        hub.shutdown()


def test_gateway_round_trip_through_a_fake_bot_api(emulator) -> None:
    state, process, hub = emulator
    user = {"id": 7, "is_bot": False, "first_name": "Siti", "language_code": "ms"}
    chat = {"id": 7, "type": "private"}
    state.hub_replies.append(
        {
            "messages": [
                {
                    "text": "Selamat datang! Pilih:",
                    "buttons": [
                        {"title": "Mohon ID portal", "payload": "/apply_portal_id"},
                        {"title": "Pengarah Urusan", "payload": LONG_PAYLOAD},
                    ],
                }
            ]
        }
    )
    state.push_update(
        {
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": chat,
                "from": user,
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            }
        }
    )
    sent = state.wait_for(lambda: state.calls("sendMessage"))
    assert state.hub_requests[0] == {
        "sender_id": "tg-7",
        "text": "hai",
        "channel": "telegram",
        "language_hint": "ms",
    }
    assert sent[0]["text"] == "Selamat datang! Pilih:" and sent[0]["chat_id"] == 7
    keyboard = sent[0]["reply_markup"]["inline_keyboard"]
    datas = [button["callback_data"] for row in keyboard for button in row]
    assert datas[0] == "/apply_portal_id"
    assert all(len(d.encode()) <= 64 for d in datas) and datas[1] != LONG_PAYLOAD

    document_url = f"http://127.0.0.1:{hub.server_port}/files/letter/1?t=abc"
    state.hub_replies.append(
        {
            "messages": [
                {"text": "Baik."},
                {"document": {"url": document_url, "filename": "Surat.pdf"}},
            ]
        }
    )
    state.push_update(
        {
            "callback_query": {
                "id": "cbq-1",
                "from": user,
                "chat_instance": "x",
                "data": datas[1],
                "message": {
                    "message_id": 55,
                    "date": int(time.time()),
                    "chat": chat,
                    "text": "Selamat datang! Pilih:",
                },
            }
        }
    )
    documents = state.wait_for(lambda: state.calls("sendDocument"))
    assert state.calls("answerCallbackQuery")[0]["callback_query_id"] == "cbq-1"
    edit = state.calls("editMessageReplyMarkup")[0]
    assert edit["message_id"] == 55 and "reply_markup" not in edit
    assert state.hub_requests[1]["text"] == LONG_PAYLOAD
    assert state.hub_requests[1]["sender_id"] == "tg-7"
    assert b'filename="Surat.pdf"' in documents[0]["_multipart"]
    assert b"%PDF-1.4 letter" in documents[0]["_multipart"]

    # any other "/..." text goes to the hub, which decides (it refuses what was not offered)
    state.hub_replies.append({"messages": [{"text": "Maaf, arahan tidak diterima."}]})
    state.push_update(
        {
            "message": {
                "message_id": 2,
                "date": int(time.time()),
                "chat": chat,
                "from": user,
                "text": "/deny",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            }
        }
    )
    state.wait_for(lambda: len(state.hub_requests) >= 3)
    assert state.hub_requests[2]["text"] == "/deny"
    assert process.poll() is None
