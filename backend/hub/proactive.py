"""The backend speaks first: a message to a chat without a user turn (e.g. a payment result).

:func:`send_proactive` records the messages in the transcript (and offers their buttons, so a tap
passes the hub's payload check like any reply), then, for a Telegram chat (``tg-<user id>``),
posts them with the service token to the gateway's ``POST /internal/v1/telegram/messages`` at
``TELEGRAM_GATEWAY_URL`` (e.g. ``http://127.0.0.1:8444``). A web chat sees them in its history.
Answers whether Telegram got them; the transcript keeps them either way.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import httpx
from sqlalchemy.orm import Session

from backend.hub.service import _record, get_conversation, offered_payloads

logger = logging.getLogger("assist.hub.proactive")


async def send_proactive(
    db: Session,
    sender_id: str,
    messages: list[dict[str, Any]],
    *,
    service_token: str,
    gateway_url: str | None = None,
    language: str | None = None,
    http: httpx.AsyncClient | None = None,
) -> bool:
    channel = "telegram" if sender_id.startswith("tg-") else "web"
    conversation = get_conversation(db, sender_id, channel)
    buttons = offered_payloads(messages)
    if buttons:
        conversation.last_buttons = buttons
    for message in messages:
        data = {k: v for k, v in message.items() if k != "text"}
        _record(db, sender_id, "out", message.get("text"), {**data, "proactive": True})
    db.commit()
    if channel != "telegram":
        return False
    url = (gateway_url or os.environ.get("TELEGRAM_GATEWAY_URL", "")).rstrip("/")
    if not url:
        logger.warning(
            "TELEGRAM_GATEWAY_URL not set: proactive message kept in the transcript only",
            extra={"event": "proactive_not_sent", "sender": sender_id},
        )
        return False
    client = http or httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0))
    try:
        response = await client.post(
            f"{url}/internal/v1/telegram/messages",
            json={
                "sender_id": sender_id,
                "messages": messages,
                "language": language or conversation.language,
            },
            headers={"Authorization": f"Bearer {service_token}"},
        )
        delivered = response.status_code == 200
    except httpx.HTTPError as exc:
        logger.warning(
            "gateway unreachable",
            extra={"event": "proactive_not_sent", "sender": sender_id, "error": str(exc)},
        )
        delivered = False
    finally:
        if http is None:
            await client.aclose()
    return delivered
