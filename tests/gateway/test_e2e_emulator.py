"""End to end: a Telegram Bot API emulator ⇄ ``python -m gateway.telegram`` ⇄ the real backend.

- Telegram: the npm package ``telegram-test-api`` (``tests/gateway/emulator/``, installed here with
  ``npm ci`` when missing) with ``server.js`` adding what the gateway needs beyond it (documents
  both ways, getFile, chat actions, webhook secret, flood replies).
- Backend + hub and the gateway: the process definitions of ``scripts/processes.py``, started and
  stopped by ``tests/fullstack/harness.Stack`` on a fresh SQLite database.
- Rasa: a small fake of its REST channel (the real stack needs a trained model and minutes to
  start; the full-stack suite covers it). For the document flow it calls the backend's service
  API like the action server does, so the PDF is the backend's own signed download.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from scripts.processes import Ports, Proc, process_specs, wait_healthy
from tests.backend.helpers import APPLICANT
from tests.backend.registration_helpers import COMPANY, small_pdf, small_png
from tests.fullstack.chat import (
    ChatClient,
    email_text,
    emails_to,
    newest_email_to,
    six_digit_code,
)
from tests.fullstack.harness import _DROP_ENV, Stack, _migrate

EMULATOR_DIR = Path(__file__).parent / "emulator"
TOKEN = "424242:e2e-polling-token"
WEBHOOK_TOKEN = "434343:e2e-webhook-token"
WEBHOOK_SECRET = "e2e-" + secrets.token_urlsafe(16)
LONG_PAYLOAD = '/inform{"company_role": "Pengarah Urusan dan Pemilik Tunggal Syarikat Perniagaan"}'
MARKDOWN_TEXT = "Welcome *to* _ASSIST_ [portal](x) `code` <b>!</b>"
TIMEOUT = 30.0
PARAGRAPHS = [f"Paragraph {n}: " + "kata " * 600 for n in range(1, 4)]  # ~3,000 characters each
LONG_ANSWER = "\n\n".join(p.strip() for p in PARAGRAPHS)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the emulator ---------------------------------------------------------------------------------


def _installed() -> bool:
    marker = EMULATOR_DIR / "node_modules" / ".package-lock.json"
    lock = EMULATOR_DIR / "package-lock.json"
    return (
        marker.exists()
        and (EMULATOR_DIR / "node_modules" / "telegram-test-api").exists()
        and marker.stat().st_mtime >= lock.stat().st_mtime
    )


def emulator_unavailable() -> str | None:
    """None when the emulator can run, else why not (installs it with ``npm ci`` if needed)."""
    if not shutil.which("node") or not shutil.which("npm"):
        return "node and npm are needed for the Telegram emulator (telegram-test-api)"
    if _installed():
        return None
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=EMULATOR_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        return f"`npm ci` in {EMULATOR_DIR} failed (registry unreachable?): {result.stderr[-500:]}"
    return None


@dataclass
class Emulator:
    url: str
    seen: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    next_message_id: int = 1

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        response = httpx.post(f"{self.url}{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def user_says(
        self, user: dict[str, Any], text: str | None = None, token: str = TOKEN, **extra: Any
    ) -> None:
        message: dict[str, Any] = {
            "botToken": token,
            "from": user,
            "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
            "date": int(time.time()),
            **extra,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        self._post("/sendMessage", message)

    def user_taps(
        self, user: dict[str, Any], bot_message: dict[str, Any], data: str, token: str = TOKEN
    ) -> None:
        self._post(
            "/sendCallback",
            {
                "botToken": token,
                "from": user,
                "data": data,
                "message": {
                    "message_id": bot_message["messageId"],
                    "date": int(time.time()),
                    "chat": {"id": user["id"], "type": "private"},
                    "text": bot_message["message"].get("text", ""),
                },
            },
        )

    def bot_messages(
        self,
        chat_id: int,
        until: Callable[[list[dict[str, Any]]], bool],
        token: str = TOKEN,
        timeout: float = TIMEOUT,
    ) -> list[dict[str, Any]]:
        """Every bot message to this chat so far, once ``until(messages)`` holds."""
        seen = self.seen.setdefault((token, chat_id), [])
        deadline = time.monotonic() + timeout
        while True:
            seen.extend(self._post("/getUpdates", {"token": token, "chatId": chat_id})["result"])
            if until(seen):
                return seen
            if time.monotonic() > deadline:
                raise AssertionError(f"bot messages to {chat_id}: {json.dumps(seen)[:3000]}")
            time.sleep(0.1)

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        result = httpx.get(f"{self.url}/test/calls", timeout=10).json()["result"]
        return [c["params"] for c in result if method is None or c["method"] == method]

    def put_file(self, data: bytes, name: str, mime: str) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}/test/files", params={"name": name, "mime": mime}, content=data, timeout=10
        )
        return response.json()["result"]

    def file_bytes(self, file_id: str) -> bytes:
        return httpx.get(f"{self.url}/test/files/{file_id}", timeout=10).content

    def flood(self, method: str, times: int, retry_after: int) -> None:
        self._post("/test/flood", {"method": method, "times": times, "retry_after": retry_after})


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    why = emulator_unavailable()
    if why:
        pytest.skip(why)
    process = subprocess.Popen(
        ["node", "server.js"],
        cwd=EMULATOR_DIR,
        env={**os.environ, "PORT": "0"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        port = json.loads(first)["port"]
        yield Emulator(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


# --- a fake Rasa REST channel ------------------------------------------------------------------


@dataclass
class FakeRasa:
    backend_url: str = ""
    service_token: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, sender: str, text: str) -> list[dict[str, Any]]:
        if text in ("hello", "hai"):
            return [
                {
                    "text": MARKDOWN_TEXT,
                    "buttons": [
                        {"title": "Apply for a portal ID", "payload": "/apply_portal_id"},
                        {"title": "Pengarah Urusan dan Pemilik", "payload": LONG_PAYLOAD},
                    ],
                }
            ]
        if text == LONG_PAYLOAD:
            return [{"text": "Role noted: Pengarah Urusan dan Pemilik Tunggal"}]
        if text == "tell me everything":  # longer than one Telegram message
            return [{"text": LONG_ANSWER, "buttons": [{"title": "Done", "payload": "/affirm"}]}]
        if text in ("turn on deadline reminders", "turn off deadline reminders", "/reminders_off"):
            enabled = text == "turn on deadline reminders"  # what action_set_reminders does
            response = httpx.put(
                f"{self.backend_url}/api/v1/reminders",
                json={"enabled": enabled},
                headers={"Authorization": f"Bearer {self.service_token}", "X-Sender-Id": sender},
                timeout=30,
            )
            response.raise_for_status()
            return [{"text": f"Reminders {'on' if response.json()['enabled'] else 'off'}."}]
        if text == "/apply_portal_id":  # what the action server does on a confirmed form
            response = httpx.post(
                f"{self.backend_url}/api/v1/portal-applications",
                json={**APPLICANT, "sender_id": sender},
                headers={"Authorization": f"Bearer {self.service_token}"},
                timeout=30,
            )
            response.raise_for_status()
            application = response.json()
            return [
                {"text": f"Submitted: {application['reference']}. Your form:"},
                {
                    "custom": {
                        "document": {
                            "url": application["form_pdf_url"],
                            "filename": f"{application['reference']}.pdf",
                        }
                    }
                },
            ]
        return [{"text": f"echo: {text}"}]


def _rasa_handler(rasa: FakeRasa) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            rasa.received.append(body)
            reply = json.dumps(rasa.answer(body["sender"], body["message"])).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    return Handler


# --- backend + gateway, as scripts/processes.py defines them -------------------------------------


@dataclass
class System:
    stack: Stack
    rasa: FakeRasa
    emulator: Emulator
    webhook_url: str = ""
    gateway_url: str = ""
    webhook_gateway_url: str = ""

    @property
    def backend_url(self) -> str:
        return self.stack.base_url

    def service(self, sender: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.stack.service_token}", "X-Sender-Id": sender}


@pytest.fixture(scope="module")
def system(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    var_dir = tmp_path_factory.mktemp("telegram-e2e")
    (var_dir / "logs").mkdir()
    rasa = FakeRasa()
    rasa_server = ThreadingHTTPServer(("127.0.0.1", 0), _rasa_handler(rasa))
    rasa_server.daemon_threads = True
    threading.Thread(target=rasa_server.serve_forever, daemon=True).start()
    ports = Ports(backend=_free_port(), actions=_free_port(), rasa=rasa_server.server_port)
    outbound_port = _free_port()  # the polling gateway's endpoint for proactive messages
    env = {k: v for k, v in os.environ.items() if k not in _DROP_ENV}
    env.update(
        {
            "ASSIST_SECRET_KEY": secrets.token_urlsafe(32),
            "ASSIST_SERVICE_TOKEN": secrets.token_urlsafe(32),
            "DATABASE_URL": f"sqlite:///{var_dir / 'assist.db'}",
            "OUTBOX_DIR": str(var_dir / "outbox"),
            "DOCUMENTS_DIR": str(var_dir / "documents"),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": f"{emulator.url}/bot",
            "ASSIST_LOG_LEVEL": "INFO",
            "TELEGRAM_GATEWAY_URL": f"http://127.0.0.1:{outbound_port}",
            "REMINDERS_AT": "off",  # the tests run the reminder job themselves
            "HELPLINE_HOURS": "always",  # a helpline agent may take a chat at any hour
        }
    )
    specs = {p.name: p for p in process_specs(ports, env, var_dir, with_telegram=True)}
    webhook_port, webhook_outbound_port = _free_port(), _free_port()
    webhook_url = f"http://127.0.0.1:{webhook_port}/telegram-hook"
    webhook = Proc(
        "telegram-webhook",
        specs["telegram"].argv,
        {
            **specs["telegram"].env,
            "TELEGRAM_BOT_TOKEN": WEBHOOK_TOKEN,
            "TELEGRAM_WEBHOOK_URL": webhook_url,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TELEGRAM_WEBHOOK_PORT": str(webhook_port),
            "TELEGRAM_GATEWAY_PORT": str(webhook_outbound_port),
        },
        f"http://127.0.0.1:{webhook_outbound_port}/healthz",
    )
    polling = Proc(
        "telegram",
        specs["telegram"].argv,
        {**specs["telegram"].env, "TELEGRAM_GATEWAY_PORT": str(outbound_port)},
        f"http://127.0.0.1:{outbound_port}/healthz",
    )
    procs = [specs["backend"], polling, webhook]
    stack = Stack(
        kind="sqlite",
        var_dir=var_dir,
        ports=ports,
        env=specs["backend"].env,
        database_url=env["DATABASE_URL"],
        tracker_url=None,
        procs=procs,
    )
    rasa.backend_url, rasa.service_token = stack.base_url, stack.service_token
    try:
        _migrate(specs["backend"].env, var_dir / "logs" / "migrate.log")
        for proc in procs:
            stack._spawn(proc)
        bad = wait_healthy(procs, timeout=120, alive=stack.alive)
        assert not bad, f"not healthy: {bad}\n{stack.log_tails()}"
        yield System(
            stack,
            rasa,
            emulator,
            webhook_url,
            f"http://127.0.0.1:{outbound_port}",
            f"http://127.0.0.1:{webhook_outbound_port}",
        )
    finally:
        stack.stop()
        rasa_server.shutdown()
        print(stack.log_tails(80))  # shown when a test fails


def user(user_id: int, language: str = "en") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Aminah", "language_code": language}


def keyboard_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message["message"].get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["message"].get("text", "") for m in messages]


# --- tests ---------------------------------------------------------------------------------------


def test_buttons_flow_inline_keyboard_and_callback(system: System) -> None:
    emulator, me = system.emulator, user(1001, "ms")
    emulator.user_says(me, "/start")
    first = emulator.bot_messages(1001, lambda ms: any(keyboard_of(m) for m in ms))
    offer = next(m for m in first if keyboard_of(m))
    assert offer["message"]["text"] == MARKDOWN_TEXT  # verbatim, not parsed
    sent = [c for c in emulator.calls("sendMessage") if c.get("chat_id") == "1001"]
    assert sent and all("parse_mode" not in c for c in sent)
    assert any(c.get("chat_id") == "1001" for c in emulator.calls("sendChatAction"))
    assert system.rasa.received[-1]["sender"] == "tg-1001"
    assert system.rasa.received[-1]["message"] == "hai"  # /start in the user's language
    buttons = keyboard_of(offer)
    assert [b["text"] for b in buttons] == ["Apply for a portal ID", "Pengarah Urusan dan Pemilik"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    assert buttons[1]["callback_data"] != LONG_PAYLOAD  # too long: travels as a key

    emulator.user_taps(me, offer, buttons[1]["callback_data"])
    after = emulator.bot_messages(1001, lambda ms: any("Role noted" in t for t in texts(ms)))
    assert "Role noted: Pengarah Urusan dan Pemilik Tunggal" in texts(after)
    assert system.rasa.received[-1]["message"] == LONG_PAYLOAD  # the hub accepted the offer
    assert emulator.calls("answerCallbackQuery")
    edits = emulator.calls("editMessageReplyMarkup")
    assert any(str(e.get("message_id")) == str(offer["messageId"]) for e in edits)


def test_typed_command_not_offered_is_refused_by_the_hub(system: System) -> None:
    emulator, me = system.emulator, user(1002, "en")
    emulator.user_says(me, "/deny")
    messages = emulator.bot_messages(1002, lambda ms: len(ms) >= 1)
    assert "can't accept commands typed directly" in messages[0]["message"]["text"]
    assert all(r["message"] != "/deny" for r in system.rasa.received)


def test_document_download_is_sent_as_a_pdf_with_its_name(system: System) -> None:
    emulator, me = system.emulator, user(1003, "en")
    emulator.user_says(me, "/start")
    offer = next(
        m
        for m in emulator.bot_messages(1003, lambda ms: any(keyboard_of(m) for m in ms))
        if keyboard_of(m)
    )
    emulator.user_taps(me, offer, "/apply_portal_id")
    messages = emulator.bot_messages(1003, lambda ms: any("document" in m["message"] for m in ms))
    document = next(m["message"]["document"] for m in messages if "document" in m["message"])
    reference = next(t for t in texts(messages) if t.startswith("Submitted: ")).split()[1][:-1]
    assert document["file_name"] == f"{reference}.pdf"
    assert emulator.file_bytes(document["file_id"]).startswith(b"%PDF")


def _log_in_with_a_draft(system: System, sender: str, email: str) -> dict[str, Any]:
    """Account, OTP login and terms on this chat through the backend's API, then a draft."""
    base, headers = system.backend_url, system.service(sender)
    applicant = {**APPLICANT, "sender_id": sender, "email": email, "mykad": "880101-14-5555"}
    response = httpx.post(f"{base}/api/v1/portal-applications", json=applicant, headers=headers)
    assert response.status_code == 201, response.text
    outbox = system.stack.outbox_dir
    before = len(emails_to(outbox, email))
    response = httpx.post(
        f"{base}/api/v1/auth/otp",
        json={"sender_id": sender, "email": email, "language": "en"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    code = six_digit_code(email_text(newest_email_to(outbox, email, after=before)))
    response = httpx.post(
        f"{base}/api/v1/auth/otp/verify",
        json={"sender_id": sender, "email": email, "code": code},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    response = httpx.post(f"{base}/api/v1/auth/terms", json={"sender_id": sender}, headers=headers)
    assert response.status_code == 200, response.text
    response = httpx.post(
        f"{base}/api/v1/registrations",
        json={"registration_type": "employer", **COMPANY, "registration_no": "2020 01 054321"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_uploads_need_a_registration_then_land_in_its_documents(system: System) -> None:
    emulator, me = system.emulator, user(1004, "en")
    pdf = emulator.put_file(small_pdf(), "SSM extract.pdf", "application/pdf")
    document = {
        "file_id": pdf["file_id"],
        "file_unique_id": "u1",
        "file_name": "SSM extract.pdf",
        "mime_type": "application/pdf",
        "file_size": pdf["file_size"],
    }
    emulator.user_says(me, document=document)
    first = emulator.bot_messages(1004, lambda ms: len(ms) >= 1)
    assert "supporting-documents step" in first[0]["message"]["text"]

    registration = _log_in_with_a_draft(system, "tg-1004", "aminah.e2e@example.com")
    emulator.user_says(me, document=document, caption="ssm_extract")
    png = emulator.put_file(small_png(), "ignored.png", "image/png")
    photo = [
        {"file_id": png["file_id"], "file_unique_id": "p", "width": 2, "height": 2,
         "file_size": png["file_size"]}
    ]  # fmt: skip
    emulator.user_says(me, photo=photo, caption="borang_1")
    messages = emulator.bot_messages(1004, lambda ms: sum("I saved" in t for t in texts(ms)) >= 2)
    saved = [t for t in texts(messages) if "I saved" in t]
    assert registration["reference"] in saved[0] and "SSM extract.pdf" in saved[0]
    listed = httpx.get(
        f"{system.backend_url}/api/v1/registrations/{registration['id']}/documents",
        headers=system.service("tg-1004"),
    ).json()["documents"]
    assert sorted((d["doc_type"], d["media_type"]) for d in listed) == [
        ("borang_1", "image/png"),
        ("ssm_extract", "application/pdf"),
    ]
    assert emulator.calls("getFile")


def test_wrong_file_type_is_answered_without_the_hub(system: System) -> None:
    emulator, me = system.emulator, user(1005, "ms")
    upload = emulator.put_file(b"PK\x03\x04 docx", "notes.docx", "application/msword")
    document = {
        "file_id": upload["file_id"],
        "file_unique_id": "d",
        "file_name": "notes.docx",
        "mime_type": "application/msword",
        "file_size": upload["file_size"],
    }
    emulator.user_says(me, document=document)
    reply = emulator.bot_messages(1005, lambda ms: len(ms) >= 1)[0]["message"]["text"]
    assert "PDF, JPEG atau PNG" in reply
    big = {**document, "file_name": "scan.pdf", "mime_type": "application/pdf"}
    emulator.user_says(me, document={**big, "file_size": 21 * 1024 * 1024})
    replies = emulator.bot_messages(1005, lambda ms: len(ms) >= 2)
    assert "20 MB" in replies[1]["message"]["text"]


def test_flood_control_is_waited_out(system: System) -> None:
    emulator, me = system.emulator, user(1006, "en")
    emulator.flood("sendMessage", times=2, retry_after=1)
    started = time.monotonic()
    emulator.user_says(me, "anything")
    messages = emulator.bot_messages(1006, lambda ms: "echo: anything" in texts(ms))
    assert texts(messages) == ["echo: anything"]
    assert time.monotonic() - started >= 2.0  # two waits of a second each


def test_webhook_mode_with_secret_token(system: System) -> None:
    emulator = system.emulator
    registered = [c for c in emulator.calls("setWebhook") if c.get("url") == system.webhook_url]
    assert registered and registered[-1]["secret_token"] == WEBHOOK_SECRET

    # Telegram (the emulator) delivers with the secret header: the turn goes through
    me = user(1007, "en")
    emulator.user_says(me, "via webhook", token=WEBHOOK_TOKEN)
    messages = emulator.bot_messages(
        1007, lambda ms: "echo: via webhook" in texts(ms), token=WEBHOOK_TOKEN
    )
    assert "echo: via webhook" in texts(messages)

    # anyone else posting to the webhook is refused
    update = {
        "update_id": 99,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": 1008, "type": "private"},
            "from": user(1008),
            "text": "forged",
        },
    }
    request = urllib.request.Request(  # noqa: S310 - loopback http
        system.webhook_url,
        data=json.dumps(update).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 - loopback
    assert refused.value.code == 403
    forged = httpx.post(
        system.webhook_url,
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
        timeout=10,
    )
    assert forged.status_code == 403
    time.sleep(0.5)
    assert all(r["message"] != "forged" for r in system.rasa.received)

    # proactive messages in webhook mode: on the webhook server and on TELEGRAM_GATEWAY_PORT
    for base in (system.webhook_url.rsplit("/", 1)[0], system.webhook_gateway_url):
        sent = httpx.post(
            f"{base}/internal/v1/telegram/messages",
            json={"sender_id": "tg-1007", "messages": [{"text": f"proactive via {base}"}]},
            headers={"Authorization": f"Bearer {system.stack.service_token}"},
            timeout=10,
        )
        assert sent.json() == {"ok": True, "sent": 1}
        emulator.bot_messages(
            1007, lambda ms, b=base: f"proactive via {b}" in texts(ms), token=WEBHOOK_TOKEN
        )


def test_proactive_message_reaches_the_chat_and_its_button_works(system: System) -> None:
    """The backend's helper → the gateway's loopback endpoint → Telegram; then a tap."""
    import asyncio

    from backend.db import get_sessionmaker
    from backend.hub.proactive import send_proactive

    emulator = system.emulator
    messages = [
        {
            "text": "Payment received: RM 86.25 (FPX 2026112600001).",
            "buttons": [{"title": "What next?", "payload": "/payment_next"}],
        }
    ]
    with get_sessionmaker(system.stack.database_url)() as db:
        delivered = asyncio.run(
            send_proactive(
                db,
                "tg-1009",
                messages,
                service_token=system.stack.service_token,
                gateway_url=system.gateway_url,
            )
        )
    assert delivered
    received = emulator.bot_messages(1009, lambda ms: any(keyboard_of(m) for m in ms))
    assert texts(received) == ["Payment received: RM 86.25 (FPX 2026112600001)."]
    emulator.user_taps(user(1009), received[0], keyboard_of(received[0])[0]["callback_data"])
    emulator.bot_messages(1009, lambda ms: "echo: /payment_next" in texts(ms))
    assert system.rasa.received[-1] == {
        "sender": "tg-1009",
        "message": "/payment_next",  # offered by the proactive message, so the hub let it in
        "metadata": {"channel": "telegram", "language_hint": "en"},
    }
    unauthorised = httpx.post(
        f"{system.gateway_url}/internal/v1/telegram/messages",
        json={"sender_id": "tg-1009", "messages": messages},
        timeout=10,
    )
    assert unauthorised.status_code == 401


def test_a_button_sent_before_a_gateway_restart_still_works(system: System) -> None:
    """The long payload's key lives in the backend's table, not only in the gateway's memory."""
    emulator, me = system.emulator, user(1010, "en")
    emulator.user_says(me, "/start")
    offer = next(
        m
        for m in emulator.bot_messages(1010, lambda ms: any(keyboard_of(m) for m in ms))
        if keyboard_of(m)
    )
    key = keyboard_of(offer)[1]["callback_data"]
    assert key.startswith("k:")
    system.stack.stop_process("telegram")
    system.stack.start_process("telegram")
    emulator.user_taps(me, offer, key)
    after = emulator.bot_messages(1010, lambda ms: any("Role noted" in t for t in texts(ms)))
    assert "Role noted: Pengarah Urusan dan Pemilik Tunggal" in texts(after)
    assert system.rasa.received[-1]["message"] == LONG_PAYLOAD
    assert not any("expired" in t for t in texts(after))


def test_deadline_reminder_opt_in_delivery_and_opt_out_over_telegram(system: System) -> None:
    """/remind on → the job three days before the 15th → the reminder in Telegram → Stop."""
    from types import SimpleNamespace

    from tests.backend.contribution_helpers import seed

    emulator, me = system.emulator, user(1011, "en")
    seed(
        SimpleNamespace(database_url=system.stack.database_url),
        email="reminder@example.com",
        sender_id="tg-1011",
        code="E1100050777K",
    )
    emulator.user_says(me, "/remind on")
    emulator.bot_messages(1011, lambda ms: "Reminders on." in texts(ms))
    assert system.rasa.received[-1]["message"] == "turn on deadline reminders"
    run = f"{system.backend_url}/internal/v1/reminders/run"
    auth = {"Authorization": f"Bearer {system.stack.service_token}"}
    early = httpx.post(run, json={"date": "2026-11-11"}, headers=auth, timeout=30).json()
    assert early["sent"] == 0  # four days before: nothing yet
    summary = httpx.post(run, json={"date": "2026-11-12"}, headers=auth, timeout=30).json()
    assert summary["sent"] == 1 and summary["delivered"] == 1
    got = emulator.bot_messages(1011, lambda ms: any("contributions for" in t for t in texts(ms)))
    reminder = next(m for m in got if "contributions for" in m["message"].get("text", ""))
    assert "October 2026 contributions for TAN HARDWARE SDN BHD" in reminder["message"]["text"]
    assert "due on 15 November 2026" in reminder["message"]["text"]
    again = httpx.post(run, json={"date": "2026-11-13"}, headers=auth, timeout=30).json()
    assert again["sent"] == 0  # one reminder per month
    titles = [b["text"] for b in keyboard_of(reminder)]
    assert titles == ["Submit contributions", "Stop reminders"]
    stop = keyboard_of(reminder)[1]
    emulator.user_taps(me, reminder, stop["callback_data"])
    emulator.bot_messages(1011, lambda ms: "Reminders off." in texts(ms))
    december = httpx.post(
        run, json={"date": "2026-12-12", "dry_run": True}, headers=auth, timeout=30
    ).json()
    assert all(r["sender_id"] != "tg-1011" for r in december["reminders"])


def test_a_long_answer_is_split_at_paragraphs_with_the_keyboard_on_the_last(
    system: System,
) -> None:
    emulator, me = system.emulator, user(1013, "en")
    emulator.user_says(me, "tell me everything")
    got = emulator.bot_messages(1013, lambda ms: any(keyboard_of(m) for m in ms))
    assert texts(got) == [p.strip() for p in PARAGRAPHS]  # one paragraph each, none cut
    assert all(len(t) <= 4096 for t in texts(got))
    assert [bool(keyboard_of(m)) for m in got] == [False, False, True]


def test_the_command_menu_is_published_in_both_languages(system: System) -> None:
    menus = [c for c in system.emulator.calls("setMyCommands")]
    assert any(m.get("language_code") == "ms" for m in menus)
    assert any("remind" in json.dumps(m) for m in menus if not m.get("language_code"))


def test_gateway_metrics_count_updates_replies_and_latency(system: System) -> None:
    emulator, me = system.emulator, user(1012, "en")
    emulator.user_says(me, "anything at all")
    emulator.bot_messages(1012, lambda ms: "echo: anything at all" in texts(ms))
    emulator.user_says(me, "/remind")  # no on/off: answered by the gateway itself
    emulator.bot_messages(1012, lambda ms: any("/remind on" in t for t in texts(ms)))
    body = httpx.get(f"{system.gateway_url}/metrics", timeout=10).text
    samples = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line and not line.startswith("#")
    }
    assert samples['assist_telegram_updates_total{kind="text"}'] >= 1
    assert samples['assist_telegram_updates_total{kind="command"}'] >= 1
    assert samples['assist_telegram_replies_total{kind="text"}'] >= 2
    assert samples['assist_telegram_update_seconds_count{kind="text"}'] >= 1
    assert samples["assist_telegram_hub_seconds_count"] >= 1


def _console(system: System) -> httpx.Client:
    """A helpline agent signed in to the staff console (CSRF header set)."""
    import re

    from backend.db import get_sessionmaker
    from backend.services.staff_auth import create_staff

    email, password = f"ali.{secrets.token_hex(3)}@perkeso.example", secrets.token_urlsafe(16)
    with get_sessionmaker(system.stack.database_url)() as db:
        create_staff(db, email, "Ali Agent", password, "agent")
        db.commit()
    console = ChatClient(base_url=system.backend_url, timeout=TIMEOUT)  # `with` after use

    def token(html: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    login = token(console.get("/staff/login").text)
    signed = console.post(
        "/staff/login", data={"email": email, "password": password, "csrf_token": login}
    )
    assert signed.status_code in (200, 303), signed.text[:300]
    console.headers["X-CSRF-Token"] = token(console.get("/staff/handoffs").text)
    return console


def test_a_helpline_agent_types_and_replies_to_a_telegram_user(system: System) -> None:
    """Issue 6 over Telegram: the agent's typing shows as Telegram's "typing…", the reply arrives
    signed with the agent's name, and the user's answer goes to the agent, not to the bot."""
    emulator, me = system.emulator, user(1020, "en")
    ticket = httpx.post(
        f"{system.backend_url}/api/v1/handoffs",
        json={"sender_id": "tg-1020", "language": "en", "reason": "asked"},
        headers=system.service("tg-1020"),
        timeout=TIMEOUT,
    ).json()
    assert ticket["status"] == "queued", ticket
    url = f"/staff/api/handoffs/{ticket['ticket_id']}"
    with _console(system) as agent:
        typing = agent.post(f"{url}/typing")
        assert typing.status_code == 200 and typing.json()["telegram_delivered"] is True
        actions = [c for c in emulator.calls("sendChatAction") if c.get("chat_id") == "1020"]
        assert [c["action"] for c in actions] == ["typing"]
        # Typing signals come every few seconds; Telegram is told at most every 4 s.
        assert "telegram_delivered" not in agent.post(f"{url}/typing").json()

        reply = agent.post(f"{url}/reply", json={"text": "Hello Aminah, I can help you."})
        assert reply.status_code == 200 and reply.json()["telegram_delivered"] is True
        got = emulator.bot_messages(1020, lambda ms: len(ms) >= 1)
        assert texts(got) == ["Ali (PERKESO): Hello Aminah, I can help you."]

        asked_bot = len(system.rasa.received)
        emulator.user_says(me, "My MyKad is 900101-14-5678, what happens next?")
        seen: list[str] = []
        deadline = time.monotonic() + TIMEOUT
        while not any("what happens next" in t for t in seen):
            assert time.monotonic() < deadline, f"the agent never saw it: {seen}"
            time.sleep(0.3)
            seen = [m.get("text") or "" for m in agent.get(url).json()["messages"]]
        assert len(system.rasa.received) == asked_bot  # the bot was not asked
        assert not any("900101-14-5678" in t for t in seen)  # the console sees it masked
        # Nothing goes back to the user for that message: the agent answers when ready.
        time.sleep(1.0)
        assert len(emulator.bot_messages(1020, lambda ms: True)) == 1


# --- the real bot: Rasa + action server (the full-stack suite's shared stack) ---------------------

REAL_TOKEN = "454545:e2e-real-rasa-token"


@pytest.mark.fullstack
def test_real_rasa_buttons_flow_through_telegram(
    emulator: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """/start → the real greeting's buttons → tap "Contribution rates" → a wage → the quote."""
    from tests.fullstack.support import start_or_skip

    stack = start_or_skip("sqlite", tmp_path_factory)
    spec = next(
        p
        for p in process_specs(stack.ports, stack.env, stack.var_dir, with_telegram=True)
        if p.name == "telegram"
    )
    log = stack.log_dir / "telegram-real.log"
    with log.open("a") as out:
        gateway = subprocess.Popen(
            spec.argv,
            cwd=spec.cwd,
            env={
                **spec.env,
                "TELEGRAM_BOT_TOKEN": REAL_TOKEN,
                "TELEGRAM_API_BASE_URL": f"{emulator.url}/bot",
            },
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        me = user(2001, "en")
        emulator.user_says(me, "/start", token=REAL_TOKEN)
        greeting = emulator.bot_messages(
            2001, lambda ms: any(keyboard_of(m) for m in ms), token=REAL_TOKEN, timeout=90
        )
        offer = next(m for m in greeting if keyboard_of(m))
        greeted = len(greeting)  # (the list keeps growing: it is every message so far)
        rate_button = next(
            b for b in keyboard_of(offer) if b["callback_data"] == "/ask_contribution_rate"
        )
        emulator.user_taps(me, offer, rate_button["callback_data"], token=REAL_TOKEN)
        asked = emulator.bot_messages(
            2001,
            lambda ms: len(ms) > greeted and "wage" in " ".join(texts(ms[greeted:])),
            token=REAL_TOKEN,
            timeout=90,
        )
        count = len(asked)
        emulator.user_says(me, "RM2,950", token=REAL_TOKEN)
        quoted = emulator.bot_messages(
            2001,
            lambda ms: len(ms) > count and "SOCSO" in " ".join(texts(ms[count:])),
            token=REAL_TOKEN,
            timeout=90,
        )
        assert "2,950" in " ".join(texts(quoted[count:])) or "2950" in " ".join(
            texts(quoted[count:])
        )
    finally:
        gateway.terminate()
        try:
            gateway.wait(timeout=15)
        except subprocess.TimeoutExpired:
            gateway.kill()
        print(log.read_text()[-4000:])
