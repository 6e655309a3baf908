"""Talking to the hub like the web widget does, and reading what the system left behind.

Helpers for the full-stack tests and ``bench/``: ``new_client`` (an httpx client with a chat
session cookie), ``send`` (one message → the bot's messages), ``button_payload`` (the payload of
an offered button), ``all_text``, and outbox readers (``emails_to``, ``newest_email_to``).
"""

from __future__ import annotations

import email
import email.policy
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

TURN_TIMEOUT = 120.0


class ChatError(AssertionError):
    pass


class ChatClient(httpx.Client):
    """An httpx client that may be used in ``with`` after its first request."""

    def __enter__(self) -> ChatClient:
        return self


def new_client(base_url: str, language: str | None = None, **kw: Any) -> ChatClient:
    """A client holding its own ``assist_chat`` cookie (one browser, one conversation)."""
    client = ChatClient(base_url=base_url, timeout=TURN_TIMEOUT, **kw)
    body = {"language": language} if language else {}
    response = client.post("/api/v1/chat/session", json=body)
    if response.status_code != 200 or "assist_chat" not in client.cookies:
        client.close()
        raise ChatError(
            f"POST /api/v1/chat/session → {response.status_code} {response.text[:300]}"
            f" (cookies: {list(client.cookies.keys())})"
        )
    return client


def send(client: httpx.Client, text: str) -> list[dict[str, Any]]:
    """Send one message through the hub; the bot's messages (fails on refusals and outages)."""
    response = client.post("/api/v1/chat/messages", json={"text": text})
    if response.status_code != 200:
        raise ChatError(f"{text!r} → HTTP {response.status_code}: {response.text[:500]}")
    body = response.json()
    if body.get("error") or body.get("refused"):
        raise ChatError(f"{text!r} → hub answered {body!r}")
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise ChatError(f"{text!r} → no messages list: {body!r}")
    return messages


def all_text(messages: list[dict[str, Any]]) -> str:
    """Texts and button titles of a reply, one string (for substring checks)."""
    parts: list[str] = []
    for m in messages:
        if m.get("text"):
            parts.append(m["text"])
        parts += [b.get("title", "") for b in m.get("buttons") or []]
    return "\n".join(parts)


def buttons(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for m in messages for b in m.get("buttons") or []]


def button_payload(messages: list[dict[str, Any]], contains: str | list[str]) -> str:
    """The payload of the first button whose payload or title contains one of ``contains``.

    Payloads are tried before titles, so ``contains="/affirm"`` picks the confirm button in
    either language.
    """
    wanted = [contains] if isinstance(contains, str) else list(contains)
    offered = buttons(messages)
    for needle in wanted:
        for b in offered:
            if needle.lower() in b.get("payload", "").lower():
                return b["payload"]
        for b in offered:
            if needle.lower() in b.get("title", "").lower():
                return b["payload"]
    raise ChatError(f"no button matching {wanted!r} among {offered!r}")


# What the bot is asking for, recognised from its last question (both languages). Order matters:
# "jawatan anda di syarikat" is the role, "nama syarikat" the company, and only then "nama".
_FIELD_CUES: list[tuple[str, tuple[str, ...]]] = [
    ("mykad", ("mykad", "identity card", "ic number", "kad pengenalan", "no. ic", "nombor ic")),
    ("email", ("email", "e-mail", "e-mel", "emel")),
    ("mobile", ("mobile", "phone", "telefon", "handphone")),
    ("role", ("role", "position", "designation", "jawatan", "peranan")),
    ("company", ("company", "syarikat", "employer", "majikan", "organisation")),
    ("name", ("name", "nama")),
]


def asked_field(messages: list[dict]) -> str | None:
    """The form field the bot's last message asks for, or None."""
    texts = [m["text"] for m in messages if m.get("text")]
    if not texts:
        return None
    question = texts[-1].lower()
    for field_name, cues in _FIELD_CUES:
        if any(cue in question for cue in cues):
            return field_name
    return None


def has_payload(messages: list[dict[str, Any]], fragment: str) -> bool:
    return any(fragment in b.get("payload", "") for b in buttons(messages))


def drive_portal_form(
    replies: list[dict[str, Any]],
    answers: dict[str, str],
    reply: Callable[[str], list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """Answer whatever the portal ID form asks (from ``replies`` on) until its summary.

    ``answers`` maps the fields of ``_FIELD_CUES`` to what to type; ``reply(text)`` sends one
    message and returns the bot's messages. Returns the summary (the reply offering ``/affirm``);
    raises ChatError on an unexpected or repeated question.
    """
    given: set[str] = set()
    for _ in range(len(answers) + 2):
        if has_payload(replies, "/affirm"):
            return replies
        field_name = asked_field(replies)
        if field_name not in answers:
            raise ChatError(f"unexpected question: {all_text(replies)!r}")
        if field_name in given:
            raise ChatError(f"asked for {field_name} twice: {all_text(replies)!r}")
        given.add(field_name)
        replies = reply(answers[field_name])
    raise ChatError("no summary with a confirm button")


def documents(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [m["document"] for m in messages if m.get("document")]


def sender_id(client: httpx.Client, secret_key: str) -> str:
    """The Rasa sender id the hub derives from this client's signed cookie."""
    from backend.hub.sessions import decode

    session = decode(client.cookies.get("assist_chat"), secret_key)
    if session is None:
        raise ChatError("the chat cookie does not decode with the stack's secret key")
    return session.sender_id


# --- outbox --------------------------------------------------------------------------------------


def read_eml(path: Path) -> email.message.EmailMessage:
    with path.open("rb") as fh:
        return email.message_from_binary_file(fh, policy=email.policy.default)  # type: ignore[return-value]


def email_text(msg: email.message.EmailMessage) -> str:
    """Subject plus every text part (plain and HTML) of a message."""
    parts = [str(msg.get("Subject", ""))]
    for part in msg.walk():
        if part.get_content_maintype() == "text" and not part.get_filename():
            try:
                parts.append(part.get_content())
            except (LookupError, ValueError):
                parts.append(part.get_payload(decode=True).decode("utf-8", "replace"))
    return "\n".join(parts)


def emails_to(outbox: Path, address: str) -> list[tuple[Path, email.message.EmailMessage]]:
    """Every .eml in the outbox addressed to ``address``, oldest first."""
    found = []
    for path in sorted(Path(outbox).rglob("*.eml"), key=lambda p: (p.stat().st_mtime, p.name)):
        msg = read_eml(path)
        if address.lower() in str(msg.get("To", "")).lower():
            found.append((path, msg))
    return found


def newest_email_to(
    outbox: Path, address: str, after: int = 0, timeout: float = 10.0
) -> email.message.EmailMessage:
    """The newest email to ``address`` once more than ``after`` exist (waits up to ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        found = emails_to(outbox, address)
        if len(found) > after:
            return found[-1][1]
        if time.monotonic() > deadline:
            names = sorted(p.name for p in Path(outbox).rglob("*.eml"))
            raise ChatError(f"no new email to {address} in {outbox} (files: {names})")
        time.sleep(0.2)


_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def six_digit_code(text: str) -> str:
    match = _CODE.search(text)
    if not match:
        raise ChatError(f"no 6-digit code in: {text[:500]!r}")
    return match.group(1)
