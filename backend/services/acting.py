"""Who is acting: the portal account bound to the calling chat, resolved on the server.

The action server sends the service token and the Rasa ``sender_id`` (header ``X-Sender-Id``
or query ``sender_id``); the account is the one ``conversations.account_id`` holds since the OTP
login on that chat. An account id from the caller is never trusted.

Seam for later: helpline staff acting for a caller will resolve here too (a staff session
bound to the caller's conversation, ``Actor.staff_id`` set), so every endpoint that depends on
:func:`acting_account` gets it without change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from sqlalchemy.orm import Session

from backend.db import get_db
from backend.deps import require_service_token
from backend.errors import ApiError
from backend.models import PortalAccount
from backend.services import conversations


@dataclass(frozen=True)
class Actor:
    account: PortalAccount
    sender_id: str
    staff_id: int | None = None  # the helpline agent acting for the caller (assisted mode)


def resolve_actor(db: Session, sender_id: str) -> Actor:
    account = conversations.logged_in_account(db, sender_id)
    if account is None:
        raise ApiError(
            401,
            "not_logged_in",
            "this chat is not logged in to a portal account: log in first (OTP)",
        )
    if account.terms_accepted_at is None:
        raise ApiError(
            403,
            "terms_not_accepted",
            "the portal account has not accepted the terms of use yet",
        )
    return Actor(account=account, sender_id=sender_id)


def acting_account(
    request: Request,
    db: Annotated[Session, Depends(get_db)],
    x_sender_id: Annotated[str | None, Header(description="Rasa sender id")] = None,
    sender_id: Annotated[str | None, Query(description="Rasa sender id")] = None,
) -> Actor:
    """FastAPI dependency: service token + sender id → the logged-in account (401 otherwise)."""
    require_service_token(request)
    sender = (x_sender_id or sender_id or "").strip()
    if not sender:
        raise ApiError(
            401, "not_logged_in", "sender_id is required (header X-Sender-Id or ?sender_id=)"
        )
    actor = resolve_actor(db, sender)
    # Assisted mode (issue 6): a helpline agent drives this chat for the account's owner; the
    # call is audited as "agent X for account Y" and the actor carries the agent's id.
    from backend.services import staff_assist

    staff_id = staff_assist.audit_call(db, sender, request.method, request.url.path)
    if staff_id is not None:
        db.commit()
        actor = Actor(account=actor.account, sender_id=sender, staff_id=staff_id)
    return actor


ActingAccount = Annotated[Actor, Depends(acting_account)]
