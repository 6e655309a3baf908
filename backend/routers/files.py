"""``GET /files/<kind>/<id>?t=<token>``: serve a document to whoever holds a valid signed link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from backend.db import get_db
from backend.deps import get_app_settings
from backend.errors import ApiError
from backend.services import files
from backend.settings import Settings

router = APIRouter(tags=["files"])


@router.get("/files/{kind}/{file_id}")
def download(
    kind: str,
    file_id: int,
    db: Annotated[Session, Depends(get_db)],
    settings: Annotated[Settings, Depends(get_app_settings)],
    t: Annotated[str, Query(description="signed token from the link")] = "",
) -> FileResponse:
    if not t or not files.check_token(settings, kind, file_id, t):
        raise ApiError(
            403,
            "invalid_link",
            "this download link is not valid or has expired (links last 7 days)",
        )
    stored = files.resolve(db, kind, file_id, settings)
    if stored is None or not stored.path.is_file():
        raise ApiError(404, "not_found", "the document no longer exists")
    return FileResponse(stored.path, media_type=stored.media_type, filename=stored.filename)
