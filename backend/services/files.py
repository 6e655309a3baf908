"""Signed, expiring download links (``/files/<kind>/<id>?t=…``) and what each kind serves.

A link is the only credential a chat user has for a document, so it is signed with
ASSIST_SECRET_KEY, bound to its kind and id, and expires after 7 days. Other resources
(letters, receipts) register their own kind with :func:`register_kind`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from backend.services.security import sign, unsign
from backend.settings import Settings

LINK_MAX_AGE_SECONDS = 7 * 24 * 3600
_SALT = "files-v1"


@dataclass(frozen=True)
class StoredFile:
    path: Path
    filename: str
    media_type: str = "application/pdf"


Resolver = Callable[[Session, int, Settings], StoredFile | None]
_RESOLVERS: dict[str, Resolver] = {}


def register_kind(kind: str, resolver: Resolver) -> None:
    """Let ``/files/<kind>/<id>`` serve a new kind of document."""
    _RESOLVERS[kind] = resolver


def resolve(db: Session, kind: str, file_id: int, settings: Settings) -> StoredFile | None:
    resolver = _RESOLVERS.get(kind)
    return resolver(db, file_id, settings) if resolver else None


def file_token(settings: Settings, kind: str, file_id: int) -> str:
    return sign(settings.assist_secret_key, _SALT, {"k": kind, "i": file_id})


def file_url(settings: Settings, kind: str, file_id: int) -> str:
    """Absolute signed link, valid 7 days."""
    base = settings.assist_public_url.rstrip("/")
    return f"{base}/files/{kind}/{file_id}?t={file_token(settings, kind, file_id)}"


def check_token(
    settings: Settings, kind: str, file_id: int, token: str, max_age: int = LINK_MAX_AGE_SECONDS
) -> bool:
    payload = unsign(settings.assist_secret_key, _SALT, token, max_age)
    return isinstance(payload, dict) and payload.get("k") == kind and payload.get("i") == file_id
