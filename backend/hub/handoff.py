"""Human handoff in the hub: while a chat has an open ticket, a person answers instead of Rasa.

- The bot opens a ticket with ``POST /api/v1/handoffs`` (service token) when the user accepts a
  human (``action_handoff_request``); outside staffed hours (``HELPLINE_HOURS``) it gets
  ``{"status": "closed", "opens": …}`` instead and offers a callback
  (``POST /api/v1/handoffs/callbacks``).
- :func:`route_to_agent` is the hub's hook: called by ``service._handle_turn`` after the user's
  message is recorded; with an active ticket it answers itself and Rasa never sees the message.
  The console reads the transcript live (``/staff/api/handoffs/{id}/events``, server-sent events
  polling the transcript, so it works across backend processes).
- :func:`agent_reply` sends the agent's words through the hub's proactive path
  (``backend.hub.proactive.send_proactive``: transcript, Telegram gateway); the web widget gets
  them from ``GET /api/v1/chat/events`` (server-sent events, session cookie;
  ``backend/hub/events.py``).
- :func:`hand_back` closes the ticket and triggers the intent ``handoff_resume`` in Rasa, whose
  reply (the form's next question, where it stopped) reaches the user on the same paths.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import get_db, get_sessionmaker
from backend.deps import Clock, get_clock, require_service_token
from backend.errors import ApiError
from backend.hub import proactive, rasa_client
from backend.models import ConversationMessage, HandoffTicket, StaffUser
from backend.services import staff_handoff, staff_hours
from backend.settings import Settings

logger = logging.getLogger("assist.hub.handoff")

_REPLIES: dict[str, tuple[str, str]] = {
    "queued": (
        "Your message is with our helpline team. An agent will reply here shortly.",
        "Mesej anda telah sampai kepada pasukan talian bantuan kami. Ejen akan membalas di sini "
        "sebentar lagi.",
    ),
}


def _reply(kind: str, language: str | None) -> str:
    english, malay = _REPLIES[kind]
    return malay if language == "ms" else english


# --- the hub's hook -------------------------------------------------------------------------------


def route_to_agent(db: Session, sender_id: str, language_hint: str | None) -> dict[str, Any] | None:
    """With an active ticket: the answer to the user's turn (the message is already recorded).

    While nobody has taken the ticket the user hears that the team has it; once an agent has
    it, the turn answers nothing (``messages: []``) — the agent's reply arrives by itself.
    """
    ticket = staff_handoff.active_ticket(db, sender_id)
    if ticket is None:
        return None
    logger.info(
        "chat turn routed to a person",
        extra={"event": "handoff_turn", "sender": sender_id, "ticket": ticket.id},
    )
    if ticket.status == "assigned":
        return {"messages": [], "handoff": "agent"}
    text = _reply("queued", ticket.language or language_hint)
    message = {"text": text}
    db.add(
        ConversationMessage(
            sender_id=sender_id, direction="out", text=text, data={"handoff": "queued"}
        )
    )
    db.commit()
    return {"messages": [message], "handoff": "queued"}


# --- agent → user -------------------------------------------------------------------------------


async def agent_reply(
    db: Session, settings: Settings, ticket: HandoffTicket, staff: StaffUser, text: str
) -> bool:
    """The agent's words to the user on their channel; True when Telegram confirmed delivery."""
    first_name = (staff.name or "Agent").split()[0]
    message = {"text": f"{first_name} (PERKESO): {text}", "agent": first_name}
    return await proactive.send_proactive(
        db,
        ticket.sender_id,
        [message],
        service_token=settings.assist_service_token,
        language=ticket.language,
    )


def _rasa_url_for(sender_id: str, settings: Settings) -> str:
    try:  # several Rasa replicas in production: the one that owns this sender
        from backend.hub import replicas

        return replicas.url_for(sender_id, settings.rasa_url)
    except ImportError:  # pragma: no cover - replica routing not installed
        return settings.rasa_url


async def trigger_resume(settings: Settings, ticket: HandoffTicket) -> list[dict[str, Any]]:
    """``trigger_intent handoff_resume``: Rasa answers with the bot's next words (collector)."""
    from backend.hub.service import normalise_reply

    base = _rasa_url_for(ticket.sender_id, settings).rstrip("/")
    params = {"token": settings.rasa_token} if settings.rasa_token else {}
    body = {"name": "handoff_resume", "entities": {}}
    async with httpx.AsyncClient(
        timeout=httpx.Timeout(settings.rasa_timeout_seconds, connect=5.0),
        transport=rasa_client._transport,
    ) as client:
        try:
            res = await client.post(
                f"{base}/conversations/{ticket.sender_id}/trigger_intent",
                params=params,
                json=body,
            )
            res.raise_for_status()
            return normalise_reply(res.json().get("messages") or [])
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            logger.warning(
                "hand-back: the bot could not be resumed",
                extra={"event": "handoff_resume_failed", "error": str(exc)[:200]},
            )
            return []


async def hand_back(
    db: Session, settings: Settings, ticket: HandoffTicket, staff: StaffUser, now: datetime
) -> list[dict[str, Any]]:
    """Close the ticket, wake the bot where it stopped, pass its reply on; the bot's messages."""
    staff_handoff.close(db, ticket.id, staff, now)
    db.commit()
    messages = await trigger_resume(settings, ticket)
    if messages:
        await proactive.send_proactive(
            db,
            ticket.sender_id,
            messages,
            service_token=settings.assist_service_token,
            language=ticket.language,
        )
    return messages


# --- server-sent events (polling the transcript: works with several backend processes) ----------


def _new_messages(
    settings: Settings, sender_id: str, after: int, only_pushed: bool
) -> list[ConversationMessage]:
    with get_sessionmaker(settings.database_url)() as db:
        rows = list(
            db.scalars(
                select(ConversationMessage)
                .where(ConversationMessage.sender_id == sender_id, ConversationMessage.id > after)
                .order_by(ConversationMessage.id)
                .limit(100)
            )
        )
    if only_pushed:
        rows = [r for r in rows if r.direction == "out" and (r.data or {}).get("proactive")]
    return rows


def last_message_id(db: Session, sender_id: str) -> int:
    row = db.scalars(
        select(ConversationMessage.id)
        .where(ConversationMessage.sender_id == sender_id)
        .order_by(ConversationMessage.id.desc())
        .limit(1)
    ).first()
    return int(row or 0)


async def event_stream(
    settings: Settings,
    sender_id: str,
    after: int,
    *,
    render: Any,
    only_pushed: bool,
    max_seconds: float,
    poll_seconds: float = 0.5,
    extra: Any = None,
) -> AsyncIterator[str]:
    """``id:``/``data:`` frames for each new transcript row; ends after ``max_seconds`` (the
    browser's EventSource reconnects with ``Last-Event-ID``)."""
    yield "retry: 1000\n\n"
    deadline = time.monotonic() + max_seconds
    while True:
        rows = await asyncio.to_thread(_new_messages, settings, sender_id, after, False)
        for row in rows:
            after = row.id
            if only_pushed and not (row.direction == "out" and (row.data or {}).get("proactive")):
                continue
            yield f"id: {row.id}\ndata: {json.dumps(render(row), ensure_ascii=False)}\n\n"
        if extra is not None:
            frame = await asyncio.to_thread(extra)
            if frame:
                yield frame
        if time.monotonic() >= deadline:
            return
        await asyncio.sleep(poll_seconds)


def sse_response(stream: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _start_after(request: Request, fallback: int) -> int:
    for raw in (request.headers.get("last-event-id"), request.query_params.get("after")):
        if raw and raw.isdigit():
            return int(raw)
    return fallback


# --- routes ---------------------------------------------------------------------------------------

router = APIRouter()


class HandoffIn(BaseModel):
    sender_id: str = Field(min_length=1, max_length=128)
    language: str | None = None
    flow: str | None = Field(default=None, max_length=60)
    requested_slot: str | None = Field(default=None, max_length=60)
    slots: dict[str, Any] = Field(default_factory=dict)
    reason: str = "asked"


class CallbackIn(BaseModel):
    sender_id: str = Field(min_length=1, max_length=128)
    phone: str = Field(min_length=1, max_length=40)
    preferred_time: str = Field(min_length=1, max_length=200)
    language: str | None = None


@router.post("/api/v1/handoffs", tags=["handoff"], dependencies=[Depends(require_service_token)])
def request_handoff(
    body: HandoffIn,
    db: Annotated[Session, Depends(get_db)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> dict[str, Any]:
    """The bot's door: a ticket when the helpline is staffed, otherwise when it opens."""
    now = clock()
    hours = staff_hours.configured_hours()
    language = body.language if body.language in ("en", "ms") else "en"
    if not hours.is_open(now):
        opening = hours.next_opening(now)
        return {
            "status": "closed",
            "opens_at": opening.isoformat() if opening else None,
            "opens_en": staff_hours.describe_opening(opening, "en"),
            "opens_ms": staff_hours.describe_opening(opening, "ms"),
        }
    ticket = staff_handoff.open_ticket(
        db,
        body.sender_id,
        language,
        body.flow,
        body.slots,
        reason=body.reason,
        requested_slot=body.requested_slot,
    )
    db.commit()
    waiting = len(staff_handoff.listing(db, "open"))
    return {"status": "queued", "ticket_id": ticket.id, "waiting": waiting}


@router.post(
    "/api/v1/handoffs/callbacks",
    tags=["handoff"],
    status_code=201,
    dependencies=[Depends(require_service_token)],
)
def request_callback(body: CallbackIn, db: Annotated[Session, Depends(get_db)]) -> dict[str, Any]:
    """Outside staffed hours: the caller's number and preferred time, kept for staff."""
    from backend.domain.registration import normalise_phone

    try:
        phone = normalise_phone(body.phone)
    except ValueError as exc:
        raise ApiError(422, "invalid_phone", "a Malaysian phone number is needed") from exc
    if not phone:
        raise ApiError(422, "invalid_phone", "a Malaysian phone number is needed")
    row = staff_handoff.add_callback(
        db, body.sender_id, phone, body.preferred_time, body.language or "en"
    )
    db.commit()
    return {"id": row.id, "phone": row.phone, "preferred_time": row.preferred_time}
