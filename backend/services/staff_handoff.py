"""The human-handoff queue: open → assigned → closed tickets (JSON only; no bot/hub wiring yet)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import HandoffTicket, StaffUser

STATUSES = ("open", "assigned", "closed")


class TicketError(ValueError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


def open_ticket(
    db: Session,
    sender_id: str,
    language: str = "en",
    flow: str | None = None,
    slots: dict[str, Any] | None = None,
) -> HandoffTicket:
    """For the future hub/bot wiring: queue a chat for a human (flushed, not committed)."""
    ticket = HandoffTicket(
        sender_id=sender_id, language=language, flow=flow, slots=slots or {}, status="open"
    )
    db.add(ticket)
    db.flush()
    return ticket


def as_dict(ticket: HandoffTicket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "sender_id": ticket.sender_id,
        "status": ticket.status,
        "language": ticket.language,
        "flow": ticket.flow,
        "slots": ticket.slots,
        "assigned_to": ticket.assigned_to,
        "created_at": ticket.created_at.isoformat(timespec="seconds"),
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


def assign(db: Session, ticket_id: int, staff: StaffUser) -> HandoffTicket:
    ticket = _get(db, ticket_id)
    if ticket.status == "closed":
        raise TicketError(409, "closed", "the ticket is closed")
    if ticket.status == "assigned" and ticket.assigned_to != staff.id:
        raise TicketError(409, "taken", "another staff member has the ticket")
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
