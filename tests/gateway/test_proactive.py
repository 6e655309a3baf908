"""Proactive messages: the backend's helper and the gateway's loopback endpoint."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from telegram.error import Forbidden

from backend.db import get_sessionmaker
from backend.hub import service
from backend.hub.proactive import send_proactive
from backend.models import Conversation
from gateway.telegram import OUTBOUND_PATH, Gateway, outbound_app
from tests.gateway.test_telegram import FakeBot

PAYMENT_DONE = [
    {
        "text": "Payment received: RM 123.40 (FPX ref 1234).",
        "buttons": [{"title": "Receipt", "payload": "/ask_receipt"}],
    }
]


# --- the gateway's endpoint ---


@pytest.fixture
async def outbound():
    bot = FakeBot()
    gateway = Gateway("http://hub.test", "svc", httpx.AsyncClient())
    transport = httpx.ASGITransport(app=outbound_app(lambda: bot, gateway))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        yield client, bot
    await gateway.http.aclose()


async def test_outbound_needs_the_service_token(outbound) -> None:  # type: ignore[no-untyped-def]
    client, bot = outbound
    body = {"sender_id": "tg-77", "messages": PAYMENT_DONE}
    assert (await client.post(OUTBOUND_PATH, json=body)).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert (await client.post(OUTBOUND_PATH, json=body, headers=wrong)).status_code == 401
    assert bot.calls == []


async def test_outbound_sends_to_the_users_chat(outbound) -> None:  # type: ignore[no-untyped-def]
    client, bot = outbound
    auth = {"Authorization": "Bearer svc"}
    response = await client.post(
        OUTBOUND_PATH, json={"sender_id": "tg-77", "messages": PAYMENT_DONE}, headers=auth
    )
    assert response.json() == {"ok": True, "sent": 1}
    sent = bot.sent("send_message")[0]
    assert sent["chat_id"] == 77 and sent["text"].startswith("Payment received")
    assert sent["reply_markup"].inline_keyboard[0][0].callback_data == "/ask_receipt"
    for bad in ({"sender_id": "web-1", "messages": PAYMENT_DONE}, {"sender_id": "tg-77"}):
        assert (await client.post(OUTBOUND_PATH, json=bad, headers=auth)).status_code == 422


async def test_outbound_reports_a_blocked_bot(outbound) -> None:  # type: ignore[no-untyped-def]
    client, bot = outbound

    async def blocked(**kwargs: Any) -> None:
        raise Forbidden("Forbidden: bot was blocked by the user")

    bot.send_message = blocked
    response = await client.post(
        OUTBOUND_PATH,
        json={"sender_id": "tg-77", "messages": [{"text": "hi"}]},
        headers={"Authorization": "Bearer svc"},
    )
    assert response.status_code == 502 and "blocked" in response.json()["error"]


# --- the backend's helper ---


async def test_send_proactive_records_offers_and_posts(backend_app, backend_settings) -> None:  # type: ignore[no-untyped-def]
    posted: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        posted.append(request)
        return httpx.Response(200, json={"ok": True, "sent": 1})

    with get_sessionmaker(backend_settings.database_url)() as db:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            delivered = await send_proactive(
                db,
                "tg-77",
                PAYMENT_DONE,
                service_token="svc",
                gateway_url="http://gw.test/",
                language="ms",
                http=http,
            )
        assert delivered
        assert str(posted[0].url) == "http://gw.test/internal/v1/telegram/messages"
        assert posted[0].headers["authorization"] == "Bearer svc"
        assert json.loads(posted[0].content) == {
            "sender_id": "tg-77",
            "messages": PAYMENT_DONE,
            "language": "ms",
        }
        # the button it offered is now a payload the hub accepts from this chat
        assert db.get(Conversation, "tg-77").last_buttons == ["/ask_receipt"]
        transcript = service.history(db, "tg-77")
        assert transcript[-1]["text"].startswith("Payment received")
        assert transcript[-1]["buttons"] == PAYMENT_DONE[0]["buttons"]


async def test_send_proactive_without_a_gateway_keeps_the_transcript(  # type: ignore[no-untyped-def]
    backend_app, backend_settings, monkeypatch
) -> None:
    monkeypatch.delenv("TELEGRAM_GATEWAY_URL", raising=False)
    with get_sessionmaker(backend_settings.database_url)() as db:
        assert not await send_proactive(db, "tg-78", [{"text": "hi"}], service_token="svc")
        assert not await send_proactive(db, "web-abc", [{"text": "hi"}], service_token="svc")
        assert service.history(db, "tg-78")[-1]["text"] == "hi"
        assert service.history(db, "web-abc")[-1]["text"] == "hi"

        def down(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused")

        async with httpx.AsyncClient(transport=httpx.MockTransport(down)) as http:
            assert not await send_proactive(
                db, "tg-78", [{"text": "x"}], service_token="s", gateway_url="http://gw", http=http
            )
