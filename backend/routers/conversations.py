"""Who is logged in on a chat, and logging it out (service token; used by the action server)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from sqlalchemy.orm import Session

from backend.db import get_db
from backend.deps import Clock, get_clock, require_service_token
from backend.errors import ApiError
from backend.services import accounts, conversations

router = APIRouter(
    prefix="/api/v1/conversations",
    tags=["conversations"],
    dependencies=[Depends(require_service_token)],
)


@router.get("/{sender_id}/account")
def conversation_account(sender_id: str, db: Annotated[Session, Depends(get_db)]) -> dict[str, Any]:
    account = conversations.logged_in_account(db, sender_id)
    if account is None:
        raise ApiError(404, "not_logged_in", "this chat is not logged in to a portal account")
    return accounts.public_view(account)


@router.post("/{sender_id}/logout", status_code=204)
def logout(
    sender_id: str,
    db: Annotated[Session, Depends(get_db)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> Response:
    conversations.logout(db, sender_id, clock())
    db.commit()
    return Response(status_code=204)
