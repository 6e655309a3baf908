"""Gateway features: typing indicator, flood control, plain text, files in, webhook mode."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from telegram import Update
from telegram.error import RetryAfter

from backend.settings import REPO_ROOT
from gateway import telegram as gw
from gateway.telegram import (
    EXIT_BAD_WEBHOOK_CONFIG,
    FILE_FETCH_MAX_BYTES,
    ConfigError,
    Gateway,
    webhook_config,
    with_flood_control,
)
from tests.gateway.test_telegram import FakeBot, FakeHub, context, text_update


@pytest.fixture
def hub() -> FakeHub:
    return FakeHub()


@pytest.fixture
async def gateway(hub: FakeHub):
    http = httpx.AsyncClient(transport=httpx.MockTransport(hub.handler))
    yield Gateway("http://hub.test", "svc", http)
    await http.aclose()


def file_update(
    *, document: dict[str, Any] | None = None, photo: bool = False, caption: str | None = None
) -> Update:
    message: dict[str, Any] = {
        "message_id": 11,
        "date": 0,
        "chat": {"id": 542, "type": "private"},
        "from": {"id": 42, "is_bot": False, "first_name": "Aminah", "language_code": "en"},
    }
    if document is not None:
        message["document"] = {"file_id": "doc-1", "file_unique_id": "u1", **document}
    if photo:
        message["photo"] = [
            {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90},
            {"file_id": "big", "file_unique_id": "b", "width": 900, "height": 900, "file_size": 9},
        ]
    if caption:
        message["caption"] = caption
    return Update.de_json({"update_id": 3, "message": message}, None)


# --- typing and plain text ---


async def test_typing_is_shown_while_the_hub_works(gateway: Gateway, hub: FakeHub) -> None:
    bot = FakeBot()
    hub.replies.append({"messages": [{"text": "*not bold* _nor_ [a](link) `code`"}]})
    await gateway.on_text(text_update("hello", language_code="en"), context(bot))
    assert bot.calls[0] == ("send_chat_action", {"chat_id": 542, "action": "typing"})
    sent = bot.sent("send_message")[0]
    assert sent["text"] == "*not bold* _nor_ [a](link) `code`"  # verbatim …
    assert "parse_mode" not in sent  # … and never parsed as Markdown/HTML


async def test_typing_is_renewed_during_a_slow_turn(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(gw, "TYPING_EVERY_SECONDS", 0.05)
    bot = FakeBot()
    async with gw.typing(bot, 7):
        await asyncio.sleep(0.2)
    count = len(bot.sent("send_chat_action"))
    assert count >= 3
    await asyncio.sleep(0.1)
    assert len(bot.sent("send_chat_action")) == count  # stopped afterwards


# --- flood control ---


async def test_retry_after_is_waited_out(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(gw.asyncio, "sleep", fake_sleep)
    attempts = []

    async def send(**kwargs: Any) -> str:
        attempts.append(kwargs)
        if len(attempts) < 3:
            raise RetryAfter(timedelta(seconds=2) if len(attempts) == 1 else 1)
        return "sent"

    assert await with_flood_control(send, chat_id=1, text="x") == "sent"
    assert waits == [2.0, 1.0] and len(attempts) == 3


async def test_retry_after_is_bounded(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    async def fake_sleep(seconds: float) -> None:
        pass

    monkeypatch.setattr(gw.asyncio, "sleep", fake_sleep)
    attempts = []

    async def always_flooded(**kwargs: Any) -> None:
        attempts.append(1)
        raise RetryAfter(1)

    with pytest.raises(RetryAfter):
        await with_flood_control(always_flooded)
    assert len(attempts) == gw.FLOOD_RETRIES + 1

    attempts.clear()

    async def long_ban(**kwargs: Any) -> None:
        attempts.append(1)
        raise RetryAfter(3600)

    with pytest.raises(RetryAfter):
        await with_flood_control(long_ban)
    assert len(attempts) == 1  # an hour is not waited for


# --- files in ---


async def test_pdf_document_goes_to_the_hub(gateway: Gateway, hub: FakeHub) -> None:
    bot = FakeBot()
    bot.files["doc-1"] = b"%PDF-1.4 ssm"
    update = file_update(
        document={"file_name": "SSM.pdf", "mime_type": "application/pdf", "file_size": 12},
        caption="ssm_extract",
    )
    await gateway.on_file(update, context(bot))
    assert bot.sent("get_file") == [{"file_id": "doc-1"}]
    body = hub.uploads[0]
    assert b'name="sender_id"\r\n\r\ntg-42' in body
    assert b'name="caption"\r\n\r\nssm_extract' in body
    assert b'filename="SSM.pdf"' in body and b"%PDF-1.4 ssm" in body
    assert bot.sent("send_message")[-1]["text"] == "Saved."
    assert bot.sent("send_chat_action")


async def test_photo_takes_the_largest_size(gateway: Gateway, hub: FakeHub) -> None:
    bot = FakeBot()
    bot.files["big"] = b"\xff\xd8\xff big"
    await gateway.on_file(file_update(photo=True), context(bot))
    assert bot.sent("get_file") == [{"file_id": "big"}]
    assert b'filename="photo-11.jpg"' in hub.uploads[0]
    assert b"Content-Type: image/jpeg" in hub.uploads[0]


async def test_too_large_file_is_refused_before_download(gateway: Gateway, hub: FakeHub) -> None:
    bot = FakeBot()
    update = file_update(
        document={
            "file_name": "scan.pdf",
            "mime_type": "application/pdf",
            "file_size": FILE_FETCH_MAX_BYTES + 1,
        }
    )
    await gateway.on_file(update, context(bot))
    assert bot.sent("get_file") == [] and hub.uploads == []
    assert "too large" in bot.sent("send_message")[0]["text"]
    assert "20 MB" in bot.sent("send_message")[0]["text"]


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("notes.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("run.exe", None),
        ("pic.gif", "image/gif"),
    ],
)
async def test_other_file_types_are_refused(
    gateway: Gateway, hub: FakeHub, name: str, mime: str | None
) -> None:
    bot = FakeBot()
    document = {"file_name": name, "file_size": 10}
    if mime:
        document["mime_type"] = mime
    await gateway.on_file(file_update(document=document), context(bot))
    assert hub.uploads == []
    assert "PDF, JPEG or PNG" in bot.sent("send_message")[0]["text"]


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("payroll_2026-10.csv", "text/csv"),
        ("caruman.TXT", "text/plain"),
        ("gaji.xlsx", "application/octet-stream"),
        ("gaji.csv", None),
    ],
)
async def test_payroll_files_go_to_the_hub_by_their_name(
    gateway: Gateway, hub: FakeHub, name: str, mime: str | None
) -> None:
    """The contributions flow takes .txt/.csv/.xlsx payroll files on Telegram as in the widget."""
    bot = FakeBot()
    bot.files["doc-1"] = b"E1100050888M,900101145678,ALI,3000.00\n"
    document: dict[str, Any] = {"file_name": name, "file_size": 40}
    if mime:
        document["mime_type"] = mime
    await gateway.on_file(file_update(document=document), context(bot))
    assert len(hub.uploads) == 1 and f'filename="{name}"'.encode() in hub.uploads[0]
    assert b"900101145678" in hub.uploads[0]


async def test_file_type_falls_back_to_the_name(gateway: Gateway, hub: FakeHub) -> None:
    bot = FakeBot()
    bot.files["doc-1"] = b"\x89PNG"
    await gateway.on_file(file_update(document={"file_name": "IC.PNG"}), context(bot))
    assert b"Content-Type: image/png" in hub.uploads[0]


# --- webhook mode: configuration ---


def test_polling_without_a_webhook_url() -> None:
    assert webhook_config({}) is None


def test_webhook_needs_a_secret() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET is required"):
        webhook_config({"TELEGRAM_WEBHOOK_URL": "https://bot.example/telegram"})
    with pytest.raises(ConfigError, match="only hold"):
        webhook_config(
            {"TELEGRAM_WEBHOOK_URL": "https://x/y", "TELEGRAM_WEBHOOK_SECRET": "has space"}
        )


def test_webhook_config_defaults() -> None:
    config = webhook_config(
        {"TELEGRAM_WEBHOOK_URL": "https://bot.example/tg/hook", "TELEGRAM_WEBHOOK_SECRET": "s-1"}
    )
    assert config is not None
    assert (config.path, config.listen, config.port) == ("/tg/hook", "127.0.0.1", 8443)


def test_webhook_without_secret_does_not_start() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway.telegram"],
        cwd=REPO_ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "TELEGRAM_BOT_TOKEN": "123:abc",
            "TELEGRAM_WEBHOOK_URL": "https://bot.example/telegram",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == EXIT_BAD_WEBHOOK_CONFIG, result.stderr
    assert "TELEGRAM_WEBHOOK_SECRET is required" in result.stderr


# --- webhook mode: the server refuses updates without the secret ---


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_webhook_server_checks_the_secret_header(gateway: Gateway, hub: FakeHub) -> None:
    import uvicorn

    application, _ = gw.build_application("123:abc")
    port = _free_port()
    config = gw.WebhookConfig("https://bot.example/tg/hook", "right-secret", "127.0.0.1", port)
    server = uvicorn.Server(
        uvicorn.Config(gw.webhook_app(application, config), port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    update = {
        "update_id": 9,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": 1, "type": "private"},
            "from": {"id": 1, "is_bot": False, "first_name": "A"},
            "text": "hello",
        },
    }
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        url = f"http://127.0.0.1:{port}/tg/hook"
        async with httpx.AsyncClient() as client:
            missing = await client.post(url, json=update)
            wrong = await client.post(url, json=update, headers={gw.SECRET_HEADER: "wrong"})
            assert (missing.status_code, wrong.status_code) == (403, 403)
            assert application.update_queue.empty()
            right = await client.post(url, json=update, headers={gw.SECRET_HEADER: "right-secret"})
            assert right.status_code == 200
            queued = application.update_queue.get_nowait()
            assert isinstance(queued, Update) and queued.message.text == "hello"
            bad = await client.post(
                url, content=b"not json", headers={gw.SECRET_HEADER: "right-secret"}
            )
            assert bad.status_code == 400
            assert (await client.get(f"http://127.0.0.1:{port}/healthz")).json() == {"status": "ok"}
    finally:
        server.should_exit = True
        await task
    assert json.dumps(update)  # the payload was plain JSON all along


def test_bad_gateway_port_does_not_start() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway.telegram"],
        cwd=REPO_ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "TELEGRAM_BOT_TOKEN": "123:abc",
            "TELEGRAM_GATEWAY_PORT": "x",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == EXIT_BAD_WEBHOOK_CONFIG, result.stderr
    assert "TELEGRAM_GATEWAY_PORT must be a port number" in result.stderr
