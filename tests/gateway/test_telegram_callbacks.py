"""Telegram button keys kept in the backend: a keyboard from before a restart still works."""

from __future__ import annotations

import httpx

from backend.routers.telegram_callbacks import callback_key
from gateway.telegram import CallbackStore, Gateway
from tests.conftest import SERVICE_TOKEN
from tests.gateway.test_telegram import LONG_PAYLOAD, FakeBot

OFFER = {
    "messages": [
        {
            "text": "Your role?",
            "buttons": [
                {"title": "Owner", "payload": "/affirm"},
                {"title": "Pengarah Urusan", "payload": LONG_PAYLOAD},
            ],
        }
    ]
}


def _gateway(backend_app) -> Gateway:  # type: ignore[no-untyped-def]
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=backend_app))
    return Gateway("http://testserver", SERVICE_TOKEN, http, persistent_keys=True)


def test_gateway_and_backend_derive_the_same_key() -> None:
    assert CallbackStore().encode(LONG_PAYLOAD) == callback_key(LONG_PAYLOAD)
    assert CallbackStore().encode("k:looks-like-a-key") == callback_key("k:looks-like-a-key")


async def test_a_key_survives_a_gateway_restart(backend_app) -> None:  # type: ignore[no-untyped-def]
    before, bot = _gateway(backend_app), FakeBot()
    await before.deliver(bot, 77, OFFER, "en")
    rows = bot.sent("send_message")[0]["reply_markup"].inline_keyboard
    key = [button for row in rows for button in row][1].callback_data
    assert key.startswith("k:") and len(key.encode()) <= 64
    await before.http.aclose()

    after = _gateway(backend_app)  # a new process: nothing in memory
    assert after.store.decode(key) is None
    assert await after.payload_of(key) == LONG_PAYLOAD
    assert after.store.decode(key) == LONG_PAYLOAD  # cached from then on
    assert await after.payload_of("k:never-issued") is None
    assert await after.payload_of("/affirm") == "/affirm"  # short payloads travel as they are
    await after.http.aclose()


async def test_backend_down_keeps_the_button_working_until_restart() -> None:
    def refuse(_request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    http = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    gateway = Gateway("http://down", "svc", http, persistent_keys=True)
    bot = FakeBot()
    await gateway.deliver(bot, 77, OFFER, "en")  # sent anyway
    rows = bot.sent("send_message")[0]["reply_markup"].inline_keyboard
    key = rows[0][1].callback_data if len(rows[0]) > 1 else rows[1][0].callback_data
    assert await gateway.payload_of(key) == LONG_PAYLOAD  # from memory
    assert await gateway.payload_of("k:unknown") is None  # lookup fails politely
    await http.aclose()
