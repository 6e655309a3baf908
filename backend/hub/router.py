"""Conversation hub endpoints: the web chat page, the widget's API and the gateway's door.

See docs/architecture.md, "Conversation hub".
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import (
    APIRouter,
    Body,
    Depends,
    FastAPI,
    File,
    Form,
    Header,
    HTTPException,
    Query,
    Request,
    Response,
    UploadFile,
)
from fastapi.responses import HTMLResponse, StreamingResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.db import get_db
from backend.deps import Clock, get_clock
from backend.hub import events, files, limits, presence, service, sessions
from backend.hub.rasa_client import RasaClient, close_rasa_client, get_rasa_client
from backend.hub.widget_strings import WIDGET_STRINGS
from backend.services.registration_documents import MAX_UPLOAD_BYTES
from backend.settings import REPO_ROOT, Settings, get_settings


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    yield
    await close_rasa_client()


router = APIRouter(lifespan=lifespan)
router.include_router(presence.router)  # the console's "agent is typing" signal
templates = Jinja2Templates(directory=REPO_ROOT / "backend" / "templates")

_TG_SENDER = re.compile(r"^tg-[A-Za-z0-9_-]{1,64}$")


def app_settings(request: Request) -> Settings:
    return getattr(request.app.state, "settings", None) or get_settings()


def rasa_client(settings: Annotated[Settings, Depends(app_settings)]) -> RasaClient:
    return get_rasa_client(settings.rasa_url, settings.rasa_token, settings.rasa_timeout_seconds)


def rate_limiter(request: Request) -> limits.RateLimiter:
    """One token bucket per app (``CHAT_RATE_LIMIT_PER_MINUTE``); tests may set their own."""
    limiter = getattr(request.app.state, "chat_rate_limiter", None)
    if limiter is None:
        limiter = limits.RateLimiter(limits.per_minute_from_env())
        request.app.state.chat_rate_limiter = limiter
    return limiter


def _error(status: int, code: str, message: str) -> HTTPException:
    return HTTPException(status_code=status, detail={"code": code, "message": message})


def current_session(
    request: Request, settings: Annotated[Settings, Depends(app_settings)]
) -> sessions.ChatSession:
    session = sessions.read_session(request, settings.assist_secret_key)
    if session is None:
        raise _error(401, "no_session", "start a chat session first: POST /api/v1/chat/session")
    return session


def _secure_cookie(request: Request, settings: Settings) -> bool:
    return request.url.scheme == "https" or settings.assist_public_url.startswith("https://")


# --- page ---

_ASSETS = (
    REPO_ROOT / "backend" / "static" / "widget" / "chat.js",
    REPO_ROOT / "backend" / "static" / "widget" / "chat.css",
    REPO_ROOT / "backend" / "static" / "vendor" / "deep-chat" / "deepChat.bundle.js",
)


def _asset_version() -> str:
    """Changes whenever a widget file changes, so browsers never run a stale chat.js."""
    stamps = [f"{p.stat().st_mtime_ns}:{p.stat().st_size}" for p in _ASSETS if p.exists()]
    return hashlib.sha256("|".join(stamps).encode()).hexdigest()[:12]


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
@router.get("/chat", response_class=HTMLResponse, include_in_schema=False)
async def chat_page(request: Request) -> HTMLResponse:
    language = sessions.language_from_accept_language(request.headers.get("accept-language"))
    session = sessions.read_session(request, app_settings(request).assist_secret_key)
    if session is not None and session.language:
        language = session.language
    language = language or "en"
    config = {"language": language, "strings": WIDGET_STRINGS}
    response = templates.TemplateResponse(
        request,
        "chat.html",
        {
            "language": language,
            "strings": WIDGET_STRINGS[language],
            "config": config,
            "v": _asset_version(),
        },
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --- widget API ----------------------------------------------------------------------------------


class SessionIn(BaseModel):
    language: Literal["en", "ms"] | None = None


class SessionOut(BaseModel):
    language: str | None


class MessageIn(BaseModel):
    text: str = Field(default="", max_length=100_000)


@router.post("/api/v1/chat/session", response_model=SessionOut, tags=["chat"])
async def start_session(
    request: Request,
    response: Response,
    settings: Annotated[Settings, Depends(app_settings)],
    body: Annotated[SessionIn | None, Body()] = None,
) -> dict[str, Any]:
    existing = sessions.read_session(request, settings.assist_secret_key)
    language = (
        (body.language if body else None)
        or (existing.language if existing else None)
        or sessions.language_from_accept_language(request.headers.get("accept-language"))
    )
    if existing is not None:
        session = sessions.ChatSession(existing.session_id, language)
    else:
        session = sessions.new_session(language)
    sessions.write_session(
        response, session, settings.assist_secret_key, _secure_cookie(request, settings)
    )
    return {"language": session.language}


@router.post("/api/v1/chat/messages", tags=["chat"])
async def post_message(
    body: MessageIn,
    session: Annotated[sessions.ChatSession, Depends(current_session)],
    settings: Annotated[Settings, Depends(app_settings)],
    rasa: Annotated[RasaClient, Depends(rasa_client)],
    db: Annotated[Session, Depends(get_db)],
    limiter: Annotated[limits.RateLimiter, Depends(rate_limiter)],
) -> dict[str, Any]:
    if not limiter.allow(session.sender_id):
        return service.rate_limited_reply(session.sender_id, "web", session.language)
    return await service.handle_turn(
        db,
        rasa,
        sender_id=session.sender_id,
        channel="web",
        text=body.text,
        language_hint=session.language,
        max_chars=settings.chat_max_message_chars,
    )


@router.post("/api/v1/chat/files", tags=["chat"])
async def post_file(
    session: Annotated[sessions.ChatSession, Depends(current_session)],
    settings: Annotated[Settings, Depends(app_settings)],
    db: Annotated[Session, Depends(get_db)],
    clock: Annotated[Clock, Depends(get_clock)],
    limiter: Annotated[limits.RateLimiter, Depends(rate_limiter)],
    file: Annotated[UploadFile, File(description="PDF, JPEG or PNG, at most 10 MB")],
    caption: Annotated[str, Form(max_length=1024)] = "",
) -> dict[str, Any]:
    """A document attached in the web widget, for the chat's draft registration (as Telegram's)."""
    if not limiter.allow(session.sender_id):
        return service.rate_limited_reply(session.sender_id, "web", session.language)
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    return files.receive_file(
        db,
        settings,
        sender_id=session.sender_id,
        filename=file.filename or "document",
        data=data,
        caption=caption or None,
        language=session.language,
        now=clock(),
        channel="web",
    )


@router.get("/api/v1/chat/history", tags=["chat"])
async def get_history(
    session: Annotated[sessions.ChatSession, Depends(current_session)],
    db: Annotated[Session, Depends(get_db)],
    after: Annotated[int, Query(ge=0, description="only messages with a larger id")] = 0,
) -> dict[str, Any]:
    """The transcript (ids included) and ``last_id``: the event stream's ``after`` cursor."""
    return {
        "language": session.language,
        "messages": service.history(db, session.sender_id, after=after),
        "last_id": events.last_message_id(db, session.sender_id),
    }


@router.get("/api/v1/chat/events", tags=["chat"])
async def chat_events(
    request: Request,
    session: Annotated[sessions.ChatSession, Depends(current_session)],
    settings: Annotated[Settings, Depends(app_settings)],
    db: Annotated[Session, Depends(get_db)],
    wait: Annotated[float, Query(description="seconds before the stream ends")] = 25.0,
    after: Annotated[str | None, Query(description="the last message id already shown")] = None,
) -> StreamingResponse:
    """Pushed messages (an agent's reply, a reminder, a payment result) and the agent's typing,
    as server-sent events: after ``Last-Event-ID``, else ``after``, else from now."""
    start = events.start_after(
        request.headers.get("last-event-id"),
        after,
        events.last_message_id(db, session.sender_id),
    )
    return StreamingResponse(
        events.widget_stream(
            settings, session.sender_id, start, max_seconds=max(0.0, min(wait, 55.0))
        ),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


# --- gateway door ---


class GatewayMessageIn(BaseModel):
    sender_id: str
    text: str = Field(default="", max_length=100_000)
    channel: Literal["telegram"] = "telegram"
    language_hint: str | None = None
    channel_metadata: dict[str, Any] | None = None


def require_service_token(
    settings: Annotated[Settings, Depends(app_settings)],
    authorization: Annotated[str | None, Header()] = None,
) -> None:
    scheme, _, token = (authorization or "").partition(" ")
    if not settings.assist_service_token:
        raise _error(503, "not_configured", "ASSIST_SERVICE_TOKEN is not set")
    if scheme.lower() != "bearer" or not secrets.compare_digest(
        token.strip().encode(), settings.assist_service_token.encode()
    ):
        raise _error(401, "unauthorized", "a valid service token is required")


@router.post(
    "/internal/v1/hub/messages",
    tags=["internal"],
    dependencies=[Depends(require_service_token)],
)
async def gateway_message(
    body: GatewayMessageIn,
    settings: Annotated[Settings, Depends(app_settings)],
    rasa: Annotated[RasaClient, Depends(rasa_client)],
    db: Annotated[Session, Depends(get_db)],
    limiter: Annotated[limits.RateLimiter, Depends(rate_limiter)],
) -> dict[str, Any]:
    if not _TG_SENDER.match(body.sender_id):
        raise _error(422, "invalid_sender_id", "a gateway sender id looks like tg-<user id>")
    hint = body.language_hint or (body.channel_metadata or {}).get("language_hint")
    hint = (hint or "").lower().split("-")[0] or None
    if not limiter.allow(body.sender_id):
        return service.rate_limited_reply(
            body.sender_id, body.channel, hint if hint in sessions.LANGUAGES else None
        )
    return await service.handle_turn(
        db,
        rasa,
        sender_id=body.sender_id,
        channel=body.channel,
        text=body.text,
        language_hint=hint if hint in sessions.LANGUAGES else None,
        max_chars=settings.chat_max_message_chars,
    )


@router.post(
    "/internal/v1/hub/files",
    tags=["internal"],
    dependencies=[Depends(require_service_token)],
)
async def gateway_file(
    settings: Annotated[Settings, Depends(app_settings)],
    db: Annotated[Session, Depends(get_db)],
    clock: Annotated[Clock, Depends(get_clock)],
    sender_id: Annotated[str, Form()],
    file: Annotated[UploadFile, File(description="PDF, JPEG or PNG, at most 10 MB")],
    caption: Annotated[str, Form(max_length=1024)] = "",
    language_hint: Annotated[str, Form()] = "",
) -> dict[str, Any]:
    """A photo or document the user sent on Telegram, for the chat's draft registration."""
    if not _TG_SENDER.match(sender_id):
        raise _error(422, "invalid_sender_id", "a gateway sender id looks like tg-<user id>")
    hint = (language_hint or "").lower().split("-")[0]
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    return files.receive_file(
        db,
        settings,
        sender_id=sender_id,
        filename=file.filename or "document",
        data=data,
        caption=caption or None,
        language=hint if hint in sessions.LANGUAGES else None,
        now=clock(),
    )
