"""The contract's error shape: ``{"detail": {"code", "message", ...}}`` for every API error.

The bot picks its own wording from ``code``; ``message`` is an English sentence for people
reading logs or calling the API by hand.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


class ApiError(HTTPException):
    """An HTTP error carrying a machine code, an English message and optional extra fields."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(
            status_code=status_code,
            detail={"code": code, "message": message, **extra},
            headers=headers,
        )


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return parts[-1] if parts else "request"


async def _validation_handler(_request: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    field = _field_name(tuple(first.get("loc", ())))
    message = str(first.get("msg", "is invalid"))
    if first.get("type") == "missing":
        message = "is required"
    return JSONResponse(
        status_code=422,
        content={"detail": {"code": f"invalid_{field}", "message": f"{field}: {message}"}},
    )


def install_error_handlers(app: FastAPI) -> None:
    """Request-shape errors use the same ``{"detail": {"code", "message"}}`` shape."""
    app.add_exception_handler(RequestValidationError, _validation_handler)  # type: ignore[arg-type]
