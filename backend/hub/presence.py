"""'The agent is typing': a helpline agent's keystrokes in the console, shown to the user.

The console posts ``POST /staff/api/handoffs/{ticket_id}/typing`` (staff session, CSRF header)
at most every few seconds while the agent types a reply. The signal lives for
:data:`TYPING_SECONDS`; the web chat's event stream (:mod:`backend.hub.events`) turns it into an
``event: typing`` frame (the widget's "Aisyah (PERKESO) is typing…" line), and a Telegram chat
gets Telegram's own "typing…" chat action through the gateway's
``POST /internal/v1/telegram/typing`` (at most once per :data:`TELEGRAM_EVERY_SECONDS`; Telegram
shows it for about five seconds or until the next message).

The state is kept in this process: the backend runs as one process serving both the console and
the chat's event stream. It is cosmetic, so losing it on a restart costs nothing.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from backend.db import get_db
from backend.deps import get_app_settings
from backend.models import HandoffTicket
from backend.services import staff_auth, staff_handoff, web_auth
from backend.settings import Settings

logger = logging.getLogger("assist.hub.presence")

TYPING_SECONDS = 6.0  # a signal shows this long unless renewed (the console renews every 3 s)
TELEGRAM_EVERY_SECONDS = 4.0


@dataclass(frozen=True)
class Typing:
    agent: str  # the agent's first name, as their replies are signed
    since: float  # monotonic time of the newest signal (a new one means "still typing")
    until: float


_lock = threading.Lock()
_typing: dict[str, Typing] = {}
_telegram_sent: dict[str, float] = {}


def signal_typing(
    sender_id: str, agent: str, *, now: Callable[[], float] = time.monotonic
) -> Typing:
    at = now()
    state = Typing(agent=agent, since=at, until=at + TYPING_SECONDS)
    with _lock:
        _typing[sender_id] = state
    return state


def clear_typing(sender_id: str) -> None:
    with _lock:
        _typing.pop(sender_id, None)


def typing_state(sender_id: str, *, now: Callable[[], float] = time.monotonic) -> Typing | None:
    """The agent typing in this chat right now, or None (an expired signal is forgotten)."""
    with _lock:
        state = _typing.get(sender_id)
        if state is not None and state.until <= now():
            del _typing[sender_id]
            state = None
    return state


def _telegram_due(sender_id: str, at: float) -> bool:
    with _lock:
        last = _telegram_sent.get(sender_id)
        if last is not None and at - last < TELEGRAM_EVERY_SECONDS:
            return False
        _telegram_sent[sender_id] = at
        return True


async def telegram_typing(
    sender_id: str,
    service_token: str,
    *,
    gateway_url: str | None = None,
    http: httpx.AsyncClient | None = None,
) -> bool:
    """Telegram's "typing…" in a ``tg-`` chat; True when the gateway confirmed it."""
    url = (gateway_url or os.environ.get("TELEGRAM_GATEWAY_URL", "")).rstrip("/")
    if not sender_id.startswith("tg-") or not url:
        return False
    client = http or httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0))
    try:
        response = await client.post(
            f"{url}/internal/v1/telegram/typing",
            json={"sender_id": sender_id},
            headers={"Authorization": f"Bearer {service_token}"},
        )
        return response.status_code == 200
    except httpx.HTTPError as exc:
        logger.info(
            "typing not relayed to Telegram",
            extra={"event": "typing_not_sent", "sender": sender_id, "error": str(exc)[:200]},
        )
        return False
    finally:
        if http is None:
            await client.aclose()


# --- the console's door ---------------------------------------------------------------------------

router = APIRouter()


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"detail": {"code": code, "message": message}}, status_code=status)


@router.post("/staff/api/handoffs/{ticket_id}/typing", tags=["handoff"])
async def agent_typing(
    request: Request,
    ticket_id: int,
    db: Annotated[Session, Depends(get_db)],
    settings: Annotated[Settings, Depends(get_app_settings)],
) -> JSONResponse:
    """The agent is typing a reply to this ticket's chat (staff session and CSRF header)."""
    staff = staff_auth.staff_from_session(
        db, settings, request.cookies.get(staff_auth.SESSION_COOKIE)
    )
    if staff is None:
        return _error(401, "not_signed_in", "staff sign-in required")
    if not web_auth.csrf_ok(
        settings, request.cookies.get(web_auth.CSRF_COOKIE), request.headers.get("x-csrf-token")
    ):
        return _error(400, "csrf", "missing or wrong X-CSRF-Token")
    try:
        ticket: HandoffTicket = staff_handoff.get(db, ticket_id)
    except staff_handoff.TicketError as exc:
        return _error(exc.status, exc.code, str(exc))
    if ticket.status == "closed":
        return _error(409, "closed", "the ticket is closed")
    if ticket.status == "assigned" and ticket.assigned_to != staff.id:
        return _error(409, "taken", "another staff member has the ticket")
    agent = (staff.name or "Agent").split()[0]
    state = signal_typing(ticket.sender_id, agent)
    body: dict[str, Any] = {"status": "typing", "seconds": TYPING_SECONDS}
    if ticket.sender_id.startswith("tg-") and _telegram_due(ticket.sender_id, state.since):
        body["telegram_delivered"] = await telegram_typing(
            ticket.sender_id, settings.assist_service_token
        )
    return JSONResponse(body)
