"""Web chat sessions: a random id in a signed, HTTP-only cookie; the Rasa sender id derives from it.

The client never names its sender id. The cookie holds ``{"s": <session id>, "l": <language>}``
signed with ``ASSIST_SECRET_KEY`` (itsdangerous, timestamped, 30 days).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE_NAME = "assist_chat"
MAX_AGE_SECONDS = 30 * 24 * 60 * 60
LANGUAGES = ("en", "ms")
_SALT = "assist-chat-session-v1"


@dataclass(frozen=True)
class ChatSession:
    session_id: str
    language: str | None = None

    @property
    def sender_id(self) -> str:
        return web_sender_id(self.session_id)


def web_sender_id(session_id: str) -> str:
    return f"web-{session_id}"


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_SALT)


def new_session(language: str | None = None) -> ChatSession:
    return ChatSession(session_id=secrets.token_urlsafe(18), language=language)


def encode(session: ChatSession, secret_key: str) -> str:
    return _serializer(secret_key).dumps({"s": session.session_id, "l": session.language})


def decode(value: str | None, secret_key: str) -> ChatSession | None:
    """The session in a cookie value, or None when missing, tampered with or older than 30 days."""
    if not value:
        return None
    try:
        data = _serializer(secret_key).loads(value, max_age=MAX_AGE_SECONDS)
    except BadSignature:  # SignatureExpired is a subclass
        return None
    if not isinstance(data, dict) or not isinstance(data.get("s"), str) or not data["s"]:
        return None
    language = data.get("l") if data.get("l") in LANGUAGES else None
    return ChatSession(session_id=data["s"], language=language)


def read_session(request: Request, secret_key: str) -> ChatSession | None:
    return decode(request.cookies.get(COOKIE_NAME), secret_key)


def write_session(
    response: Response, session: ChatSession, secret_key: str, secure: bool = False
) -> None:
    response.set_cookie(
        COOKIE_NAME,
        encode(session, secret_key),
        max_age=MAX_AGE_SECONDS,
        httponly=True,
        # Over https the cookie must also reach the chat page framed by another site (embed.js):
        # SameSite=None needs Secure. Over plain http (a laptop) it stays Lax.
        samesite="none" if secure else "lax",
        secure=secure,
        path="/",
    )


def language_from_accept_language(header: str | None) -> str | None:
    """'ms-MY,ms;q=0.9,en;q=0.8' → 'ms'; the first of en/ms by quality, else None."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.split("-")[0]
        if primary == "zsm":  # ISO 639-3 Standard Malay
            primary = "ms"
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, index, primary))
    return sorted(ranked)[0][2] if ranked else None
