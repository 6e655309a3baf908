"""The human-handoff queue: open → assigned → closed tickets, and callback requests.

The bot opens a ticket (``POST /api/v1/handoffs``, :func:`open_ticket`); the hub routes the chat
to the console while :func:`active_ticket` finds one (``backend/hub/handoff.py``); an agent
assigns it, replies, and hands back (:func:`close`), after which the bot takes the chat again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.domain.identifiers import mask_identifiers
from backend.models import CallbackRequest, ConversationMessage, HandoffTicket, StaffUser
from backend.models._common import utcnow

STATUSES = ("open", "assigned", "closed")
ACTIVE = ("open", "assigned")


class TicketError(ValueError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


def active_ticket(db: Session, sender_id: str) -> HandoffTicket | None:
    """The chat's open or assigned ticket, if any (the hub asks on every turn)."""
    return db.scalars(
        select(HandoffTicket)
        .where(HandoffTicket.sender_id == sender_id, HandoffTicket.status.in_(ACTIVE))
        .order_by(HandoffTicket.id.desc())
    ).first()


def open_ticket(
    db: Session,
    sender_id: str,
    language: str = "en",
    flow: str | None = None,
    slots: dict[str, Any] | None = None,
    *,
    channel: str | None = None,
    reason: str = "asked",
    requested_slot: str | None = None,
) -> HandoffTicket:
    """Queue a chat for a human (flushed, not committed); a chat already queued keeps its ticket.

    Slot values are masked (an IC typed into a form shows as 900101-**-***8 in the queue).
    """
    existing = active_ticket(db, sender_id)
    if existing is not None:
        return existing
    masked = {
        str(k)[:60]: mask_identifiers(v) if isinstance(v, str) else v
        for k, v in (slots or {}).items()
        if v not in (None, "", [], {})
    }
    ticket = HandoffTicket(
        sender_id=sender_id,
        language=language if language in ("en", "ms") else "en",
        flow=flow,
        slots=masked,
        status="open",
        channel=channel or ("telegram" if sender_id.startswith("tg-") else "web"),
        reason=reason if reason in ("asked", "fallback") else "asked",
        requested_slot=requested_slot,
    )
    db.add(ticket)
    db.flush()
    return ticket


def transcript(db: Session, sender_id: str, limit: int = 200) -> list[dict[str, Any]]:
    """The chat so far (already masked when stored), oldest first, with message ids."""
    rows = list(
        db.scalars(
            select(ConversationMessage)
            .where(ConversationMessage.sender_id == sender_id)
            .order_by(ConversationMessage.id.desc())
            .limit(limit)
        )
    )
    rows.reverse()
    return [message_dict(row) for row in rows]


def message_dict(row: ConversationMessage) -> dict[str, Any]:
    data = row.data or {}
    role = "user" if row.direction == "in" else ("agent" if data.get("agent") else "bot")
    return {
        "id": row.id,
        "role": role,
        "text": row.text or "",
        "agent": data.get("agent"),
        "buttons": [b.get("title") for b in data.get("buttons") or []],
        "created_at": row.created_at.isoformat(timespec="seconds") if row.created_at else None,
    }


def add_callback(
    db: Session, sender_id: str, phone: str, preferred_time: str, language: str = "en"
) -> CallbackRequest:
    row = CallbackRequest(
        sender_id=sender_id,
        phone=phone[:20],
        preferred_time=mask_identifiers(preferred_time)[:200],
        language=language if language in ("en", "ms") else "en",
        status="open",
    )
    db.add(row)
    db.flush()
    return row


def callbacks(db: Session, status: str | None = "open") -> list[dict[str, Any]]:
    query = select(CallbackRequest).order_by(CallbackRequest.id)
    if status:
        query = query.where(CallbackRequest.status == status)
    return [
        {
            "id": row.id,
            "phone": row.phone,
            "preferred_time": row.preferred_time,
            "language": row.language,
            "status": row.status,
            "created_at": row.created_at.isoformat(timespec="seconds"),
        }
        for row in db.scalars(query)
    ]


def mark_callback_done(
    db: Session, callback_id: int, staff: StaffUser, now: datetime
) -> CallbackRequest:
    row = db.get(CallbackRequest, callback_id)
    if row is None:
        raise TicketError(404, "not_found", "no such callback request")
    row.status, row.handled_by, row.handled_at = "done", staff.id, now
    db.flush()
    return row


def as_dict(ticket: HandoffTicket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "sender_id": ticket.sender_id,
        "status": ticket.status,
        "language": ticket.language,
        "flow": ticket.flow,
        "slots": ticket.slots,
        "assigned_to": ticket.assigned_to,
        "channel": ticket.channel,
        "reason": ticket.reason,
        "requested_slot": ticket.requested_slot,
        "created_at": ticket.created_at.isoformat(timespec="seconds"),
        "assigned_at": (
            ticket.assigned_at.isoformat(timespec="seconds") if ticket.assigned_at else None
        ),
        "closed_at": ticket.closed_at.isoformat(timespec="seconds") if ticket.closed_at else None,
    }


def listing(db: Session, status: str | None = None) -> list[dict[str, Any]]:
    query = select(HandoffTicket).order_by(HandoffTicket.id)
    if status:
        if status not in STATUSES:
            raise TicketError(422, "invalid_status", f"status must be one of {STATUSES}")
        query = query.where(HandoffTicket.status == status)
    return [as_dict(t) for t in db.scalars(query)]


def _get(db: Session, ticket_id: int) -> HandoffTicket:
    ticket = db.get(HandoffTicket, ticket_id)
    if ticket is None:
        raise TicketError(404, "not_found", "no such ticket")
    return ticket


def get(db: Session, ticket_id: int) -> HandoffTicket:
    return _get(db, ticket_id)


def assign(
    db: Session, ticket_id: int, staff: StaffUser, now: datetime | None = None
) -> HandoffTicket:
    ticket = _get(db, ticket_id)
    if ticket.status == "closed":
        raise TicketError(409, "closed", "the ticket is closed")
    if ticket.status == "assigned" and ticket.assigned_to != staff.id:
        raise TicketError(409, "taken", "another staff member has the ticket")
    if ticket.status == "open":
        ticket.assigned_at = now or utcnow()
    ticket.status, ticket.assigned_to = "assigned", staff.id
    db.flush()
    return ticket


def close(db: Session, ticket_id: int, staff: StaffUser, now: datetime) -> HandoffTicket:
    ticket = _get(db, ticket_id)
    if ticket.status == "closed":
        raise TicketError(409, "closed", "the ticket is closed")
    if ticket.assigned_to not in (None, staff.id) and staff.role != "supervisor":
        raise TicketError(409, "taken", "another staff member has the ticket")
    ticket.status, ticket.closed_at = "closed", now
    if ticket.assigned_to is None:
        ticket.assigned_to = staff.id
    db.flush()
    return ticket
