"""Dependencies shared by the routers: service token check and an injectable clock."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import datetime

from fastapi import Request

from backend.errors import ApiError
from backend.models._common import utcnow
from backend.settings import Settings, get_settings

Clock = Callable[[], datetime]


def get_app_settings(request: Request) -> Settings:
    """The settings the app was built with (tests build apps with their own)."""
    return getattr(request.app.state, "settings", None) or get_settings()


def get_clock() -> Clock:
    """Naive-UTC 'now'; tests override this dependency to move time forward."""
    return utcnow


def require_service_token(request: Request) -> None:
    """Only the action server (and the gateway) hold the service token; compare in constant time."""
    settings = get_app_settings(request)
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    expected = settings.assist_service_token.encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected):
        raise ApiError(
            401,
            "unauthorized",
            "a valid service token is required (Authorization: Bearer …)",
            headers={"WWW-Authenticate": "Bearer"},
        )
