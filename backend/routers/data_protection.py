"""'Delete my conversation data' (PDPA): from the web chat itself, or for any sender by service.

Both remove the transcript, Rasa's tracker events and the chat's account binding, and answer
``{"deleted": {"messages", "tracker_events", "account_unbound"}}``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from backend.db import get_db
from backend.deps import get_app_settings, require_service_token
from backend.hub.router import current_session
from backend.hub.sessions import ChatSession
from backend.services.data_protection import erase_conversation
from backend.settings import Settings

router = APIRouter(
    prefix="/api/v1/conversations",
    tags=["conversations"],
    dependencies=[Depends(require_service_token)],
)
chat = APIRouter(tags=["chat"])


@router.delete("/{sender_id}/data")
def delete_conversation_data(
    sender_id: str,
    db: Annotated[Session, Depends(get_db)],
    settings: Annotated[Settings, Depends(get_app_settings)],
) -> dict[str, Any]:
    return {"deleted": erase_conversation(db, settings.tracker_database_url, sender_id)}


@chat.delete("/api/v1/chat/history")
def delete_my_history(
    session: Annotated[ChatSession, Depends(current_session)],
    db: Annotated[Session, Depends(get_db)],
    settings: Annotated[Settings, Depends(get_app_settings)],
) -> dict[str, Any]:
    return {"deleted": erase_conversation(db, settings.tracker_database_url, session.sender_id)}
