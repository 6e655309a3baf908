"""Liveness with a database ping, so 'ok' means the backend can actually serve requests."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from backend.db import ping
from backend.deps import get_app_settings
from backend.settings import Settings

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/healthz")
def healthz(settings: Annotated[Settings, Depends(get_app_settings)]) -> JSONResponse:
    try:
        ping(settings.database_url)
    except Exception:
        log.exception("health check: database ping failed")
        return JSONResponse(status_code=503, content={"status": "unavailable"})
    return JSONResponse(content={"status": "ok"})
