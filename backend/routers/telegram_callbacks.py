"""The Telegram gateway's button keys: ``callback_data`` (≤ 64 bytes) → the bot's payload.

Payloads longer than Telegram allows travel as a key; the map lives here (table
``telegram_callbacks``) so a keyboard sent before a gateway restart, or by another replica,
still works. Service token only (the gateway).
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.db import get_db
from backend.deps import require_service_token
from backend.errors import ApiError
from backend.models.reminders import TelegramCallback

KEY_PREFIX = "k:"  # the gateway's decode tells keys from short payloads by this prefix

router = APIRouter(
    prefix="/internal/v1/telegram/callbacks",
    tags=["telegram"],
    dependencies=[Depends(require_service_token)],
)
Db = Annotated[Session, Depends(get_db)]


def callback_key(payload: str) -> str:
    """Deterministic, so the same payload always gets the same key (no duplicates)."""
    return KEY_PREFIX + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]


class CallbackIn(BaseModel):
    payload: str = Field(min_length=1, max_length=4000)


@router.post("")
def store(body: CallbackIn, db: Db) -> dict[str, Any]:
    key = callback_key(body.payload)
    if db.get(TelegramCallback, key) is None:
        db.add(TelegramCallback(key=key, payload=body.payload))
        try:
            db.commit()
        except IntegrityError:  # a concurrent insert of the same key is fine
            db.rollback()
    return {"key": key}


@router.get("/{key}")
def load(key: str, db: Db) -> dict[str, Any]:
    row = db.get(TelegramCallback, key[:64])
    if row is None:
        raise ApiError(404, "unknown_key", "no button payload is stored under this key")
    return {"key": row.key, "payload": row.payload}
