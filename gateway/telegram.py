"""Telegram gateway: python-telegram-bot (long polling) ⇄ the conversation hub.

Each text message goes to the hub's ``POST /internal/v1/hub/messages`` with sender id
``tg-<telegram user id>``; the hub answers ``{messages: [{text?, buttons?, link?, document?}]}``
which become Telegram messages: text split under 4,096 characters, buttons as an inline keyboard
(callback_data ≤ 64 bytes; longer payloads travel as a short key), links as URL buttons and
documents downloaded from their signed URL and sent as documents with their file name.

Photos and documents the user sends (PDF, JPEG, PNG, and .txt/.csv/.xlsx payroll files; Telegram
lets a bot fetch 20 MB) go to the hub's ``POST /internal/v1/hub/files``, which files them in the
chat's draft registration or imports the payroll file as a contribution draft. While the
hub works the chat shows "typing…"; Telegram's flood control (``RetryAfter``) is waited out a few
times; every text is sent plain (no ``parse_mode``), so nothing a user or the bot writes can break
formatting.

Run: ``python -m gateway.telegram`` (needs ``TELEGRAM_BOT_TOKEN``; ``TELEGRAM_API_BASE_URL``
points python-telegram-bot at an emulator, e.g. ``http://127.0.0.1:8081/bot``). Long polling by
default; with ``TELEGRAM_WEBHOOK_URL`` set it registers that webhook with
``TELEGRAM_WEBHOOK_SECRET`` (required) and serves it on ``TELEGRAM_WEBHOOK_LISTEN``:
``TELEGRAM_WEBHOOK_PORT`` (default 127.0.0.1:8443, behind the TLS proxy), refusing updates
without the secret in ``X-Telegram-Bot-Api-Secret-Token``.

Proactive messages (a payment result): the backend posts ``{sender_id: "tg-<id>", messages}`` with
the service token to ``POST /internal/v1/telegram/messages`` — on the webhook server in webhook
mode, and in polling mode on ``TELEGRAM_GATEWAY_LISTEN``:``TELEGRAM_GATEWAY_PORT`` (loopback;
off unless the port is set). ``backend.hub.proactive.send_proactive`` is the backend's side.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import mimetypes
import os
import re
import secrets
import signal
import sys
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ChatAction, MessageLimit
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBDeprecationWarning

from backend.domain.identifiers import mask_identifiers
from backend.logging_setup import configure_logging
from backend.settings import get_settings
from gateway import metrics

logger = logging.getLogger("assist.gateway.telegram")

TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH  # 4096
CALLBACK_DATA_LIMIT = 64  # bytes, Telegram's limit for callback_data
KEY_PREFIX = "k:"
DOCUMENT_MAX_BYTES = 50 * 1024 * 1024  # what a bot may upload
FILE_FETCH_MAX_BYTES = 20 * 1024 * 1024  # what a bot may download (getFile)
ACCEPTED_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
# Payroll files for the contributions flow (the hub imports them as a month's draft); Telegram
# clients label them inconsistently (text/plain, text/csv, application/vnd.ms-excel,
# application/octet-stream…), so their name decides, as it does in the backend.
PAYROLL_EXTENSIONS = (".txt", ".csv", ".xlsx")
TYPING_EVERY_SECONDS = 4.0  # Telegram shows a chat action for about 5 s
FLOOD_RETRIES = 3  # RetryAfter is waited out this many times per call …
FLOOD_MAX_WAIT_SECONDS = 30.0  # … when Telegram asks for at most this long
ALLOWED_UPDATES = ["message", "callback_query"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token

EXIT_NO_TOKEN = 2
EXIT_TOKEN_REJECTED = 3
EXIT_TELEGRAM_UNREACHABLE = 4
EXIT_BAD_WEBHOOK_CONFIG = 5

# Commands become ordinary messages the bot understands (typed "/intent" texts are refused by
# the hub unless the bot offered them, so commands are mapped to words, in the user's language).
COMMAND_TEXTS: dict[str, dict[str, str]] = {
    "start": {"en": "hello", "ms": "hai"},
    "help": {"en": "help", "ms": "bantuan"},
    "cancel": {"en": "cancel", "ms": "batal"},
    "language": {"en": "change language", "ms": "tukar bahasa"},
}
# ``/remind on`` and ``/remind off`` (also ``hidup``/``mati``): the deadline reminder opt-in/out,
# as the words the bot's reminders_on / reminders_off intents are trained on.
REMIND_TEXTS: dict[str, dict[str, str]] = {
    "on": {"en": "turn on deadline reminders", "ms": "hidupkan peringatan tarikh akhir"},
    "off": {"en": "turn off deadline reminders", "ms": "matikan peringatan tarikh akhir"},
}
REMIND_ARGUMENTS = {
    "on": "on",
    "hidup": "on",
    "ya": "on",
    "off": "off",
    "mati": "off",
    "stop": "off",
}

GATEWAY_TEXTS: dict[str, tuple[str, str]] = {
    "unavailable": (
        "The assistant is temporarily unavailable. Nothing you typed is lost — "
        "please try again in a moment.",
        "Pembantu tidak dapat dihubungi buat sementara waktu. Tiada apa yang anda taip hilang — "
        "sila cuba sebentar lagi.",
    ),
    "expired": (
        "That button has expired — please type your answer.",
        "Butang itu telah luput — sila taip jawapan anda.",
    ),
    "text_only": (
        "I can read text messages, PDF, JPEG or PNG files, and .txt, .csv or .xlsx payroll "
        "files. Please type your message.",
        "Saya boleh membaca mesej teks, fail PDF, JPEG atau PNG, dan fail gaji .txt, .csv atau "
        ".xlsx. Sila taip mesej anda.",
    ),
    "file_too_large": (
        "That file is too large: I can receive files of up to 20 MB. "
        "Please send a smaller scan or photo (PDF, JPEG or PNG).",
        "Fail itu terlalu besar: saya boleh menerima fail sehingga 20 MB. "
        "Sila hantar imbasan atau foto yang lebih kecil (PDF, JPEG atau PNG).",
    ),
    "file_wrong_type": (
        "I can only accept PDF, JPEG or PNG files for documents, or a .txt, .csv or .xlsx "
        "payroll file for contributions. Please send the file in one of these.",
        "Saya hanya boleh menerima fail PDF, JPEG atau PNG untuk dokumen, atau fail gaji .txt, "
        ".csv atau .xlsx untuk caruman. Sila hantar fail dalam salah satu format ini.",
    ),
    "file_failed": (
        "I couldn't fetch that file from Telegram. Please send it again.",
        "Saya tidak dapat mengambil fail itu daripada Telegram. Sila hantar semula.",
    ),
    "choose": ("Please choose:", "Sila pilih:"),
    "remind_usage": (
        "Contribution deadline reminders: /remind on — a message three days before the 15th "
        "when a month's contributions are not submitted yet; /remind off — no more reminders.",
        "Peringatan tarikh akhir caruman: /remind on — mesej tiga hari sebelum 15hb jika caruman "
        "sebulan belum dihantar; /remind off — tiada lagi peringatan.",
    ),
    "document_failed": (
        "I couldn't attach the document; you can download it here:",
        "Saya tidak dapat melampirkan dokumen; anda boleh memuat turunnya di sini:",
    ),
}


def language_of(code: str | None) -> str | None:
    """Telegram's IETF language_code ('ms', 'ms-MY', 'en-GB') → 'ms' | 'en' | None."""
    primary = (code or "").lower().replace("_", "-").split("-")[0]
    return primary if primary in ("en", "ms") else None


def gateway_text(kind: str, language: str | None) -> str:
    english, malay = GATEWAY_TEXTS[kind]
    if language == "ms":
        return malay
    if language == "en":
        return english
    return f"{english}\n\n{malay}"


def command_text(command: str, language: str | None) -> str:
    texts = COMMAND_TEXTS[command]
    return texts["ms"] if language == "ms" else texts["en"]


def remind_text(argument: str, language: str | None) -> str | None:
    """``/remind on|off`` → the words for the hub; ``None`` for a missing or unknown argument."""
    choice = REMIND_ARGUMENTS.get(argument.strip().lower())
    if choice is None:
        return None
    return REMIND_TEXTS[choice]["ms" if language == "ms" else "en"]


# --- splitting long text ---------------------------------------------------------------------


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at paragraphs, then lines, then words."""
    text = text.strip()
    if not text:
        return []
    pieces: list[str] = []
    while len(text) > limit:
        window = text[: limit + 1]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            cut = window.rfind(separator, 0, limit + 1)
            if cut > 0:
                break
        if cut <= 0:
            cut = limit  # one unbroken run: hard cut
        head, text = text[:cut].rstrip(), text[cut:].lstrip()
        if head:
            pieces.append(head)
    if text:
        pieces.append(text)
    return pieces


# --- callback_data: payloads ≤ 64 bytes go as they are, longer ones as a short key -----------


class CallbackStore:
    """Maps button payloads to callback_data that fits 64 bytes (in memory, bounded).

    The key is the same function of the payload as the backend's
    (``backend/routers/telegram_callbacks.py``), which keeps the map across restarts: the
    :class:`Gateway` writes every new key there before its keyboard is sent and reads a key it
    does not know from there.
    """

    def __init__(self, max_entries: int = 50_000) -> None:
        self._payloads: OrderedDict[str, str] = OrderedDict()
        self._max = max_entries

    def encode(self, payload: str) -> str:
        if not self.needs_key(payload):
            return payload
        key = KEY_PREFIX + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]
        self._payloads[key] = payload
        self._payloads.move_to_end(key)
        while len(self._payloads) > self._max:
            self._payloads.popitem(last=False)
        return key

    def decode(self, data: str | None) -> str | None:
        if not data:
            return None
        if data.startswith(KEY_PREFIX):
            return self._payloads.get(data)
        return data

    def remember(self, key: str, payload: str) -> None:
        """A key found in the backend's map (a keyboard sent before a restart)."""
        self._payloads[key] = payload
        while len(self._payloads) > self._max:
            self._payloads.popitem(last=False)

    @staticmethod
    def needs_key(payload: str) -> bool:
        return len(payload.encode("utf-8")) > CALLBACK_DATA_LIMIT or payload.startswith(KEY_PREFIX)


def build_keyboard(message: dict[str, Any], store: CallbackStore) -> InlineKeyboardMarkup | None:
    """Buttons as callback buttons (two short ones per row), a link as a URL button."""
    rows: list[list[InlineKeyboardButton]] = []
    row: list[InlineKeyboardButton] = []
    for button in message.get("buttons") or []:
        title = str(button.get("title") or button.get("payload"))[:64]
        key = InlineKeyboardButton(title, callback_data=store.encode(str(button["payload"])))
        if len(title) > 20:
            if row:
                rows.append(row)
                row = []
            rows.append([key])
        else:
            row.append(key)
            if len(row) == 2:
                rows.append(row)
                row = []
    if row:
        rows.append(row)
    link = message.get("link")
    if link and link.get("url"):
        rows.append(
            [InlineKeyboardButton(str(link.get("title") or link["url"])[:64], url=link["url"])]
        )
    return InlineKeyboardMarkup(rows) if rows else None


# --- Telegram's flood control and the typing indicator ------------------------------------


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def with_flood_control(call: Callable[..., Awaitable[Any]], /, **kwargs: Any) -> Any:
    """``call(**kwargs)``, waiting out ``RetryAfter`` up to :data:`FLOOD_RETRIES` times.

    A wait longer than :data:`FLOOD_MAX_WAIT_SECONDS` is not waited for: the error goes up.
    """
    for attempt in range(FLOOD_RETRIES + 1):
        try:
            return await call(**kwargs)
        except RetryAfter as exc:
            with warnings.catch_warnings():  # int today, timedelta in a later major version
                warnings.simplefilter("ignore", PTBDeprecationWarning)
                wait = _seconds(exc.retry_after)
            metrics.ERRORS.labels("retry_after").inc()
            if attempt == FLOOD_RETRIES or wait > FLOOD_MAX_WAIT_SECONDS:
                raise
            logger.warning(
                "telegram flood control",
                extra={"event": "telegram_retry_after", "seconds": wait, "attempt": attempt + 1},
            )
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


@contextlib.asynccontextmanager
async def typing(bot: Any, chat_id: int) -> AsyncIterator[None]:
    """Show "typing…" in the chat (renewed every few seconds) while the body runs."""

    async def show() -> None:
        try:
            await bot.send_chat_action(chat_id=chat_id, action=ChatAction.TYPING)
        except TelegramError as exc:  # cosmetic: never fail a turn over it
            logger.debug("chat action not sent: %s", exc)

    async def keep_typing() -> None:
        while True:
            await asyncio.sleep(TYPING_EVERY_SECONDS)
            await show()

    await show()  # at once, before the hub is asked
    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # noqa: BLE001 - the indicator must never fail a turn
            logger.debug("typing indicator stopped: %s", exc)


# --- files from the user -------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingFile:
    file_id: str
    filename: str
    media_type: str
    size: int | None


def incoming_file(message: Any) -> IncomingFile | None:
    """The photo (largest size) or document of a message, with a file name and media type."""
    if message.photo:
        photo = message.photo[-1]
        return IncomingFile(
            photo.file_id, f"photo-{message.message_id}.jpg", "image/jpeg", photo.file_size
        )
    document = message.document
    if document is None:
        return None
    name = document.file_name or ""
    media_type = (document.mime_type or mimetypes.guess_type(name)[0] or "").lower()
    if not name:
        name = f"document-{message.message_id}{ACCEPTED_TYPES.get(media_type, '')}"
    return IncomingFile(document.file_id, name, media_type, document.file_size)


def accepted(file: IncomingFile) -> bool:
    """A supporting document (PDF, JPEG, PNG by type) or a payroll file (by its name)."""
    return file.media_type in ACCEPTED_TYPES or file.filename.lower().endswith(PAYROLL_EXTENSIONS)


# --- the gateway --------------------------------------------------------------------------------


@dataclass
class Gateway:
    hub_url: str
    service_token: str
    http: httpx.AsyncClient
    store: CallbackStore = field(default_factory=CallbackStore)
    # Keep long button payloads in the backend (survives a restart; off in unit tests).
    persistent_keys: bool = False
    _persisted: set[str] = field(default_factory=set)

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.service_token}"}

    async def _hub(self, sender_id: str, language: str | None, **request: Any) -> dict[str, Any]:
        """POST to the hub; its reply, or a local 'unavailable' message when it cannot answer."""
        started = time.perf_counter()
        try:
            response = await self.http.post(headers=self._headers, **request)
            response.raise_for_status()
            reply = response.json()
            if not isinstance(reply, dict) or not isinstance(reply.get("messages"), list):
                raise ValueError("reply without messages")
            return reply
        except (httpx.HTTPError, ValueError) as exc:
            metrics.ERRORS.labels("hub_unavailable").inc()
            logger.warning(
                "hub unreachable",
                extra={"event": "hub_unreachable", "sender": sender_id, "error": str(exc)},
            )
            return {
                "messages": [{"text": gateway_text("unavailable", language)}],
                "error": "unavailable",
            }
        finally:
            metrics.HUB_LATENCY.observe(time.perf_counter() - started)

    async def ask_hub(self, sender_id: str, text: str, language: str | None) -> dict[str, Any]:
        return await self._hub(
            sender_id,
            language_of(language),
            url=f"{self.hub_url.rstrip('/')}/internal/v1/hub/messages",
            json={
                "sender_id": sender_id,
                "text": text,
                "channel": "telegram",
                "language_hint": language,
            },
        )

    async def send_file_to_hub(
        self,
        sender_id: str,
        file: IncomingFile,
        data: bytes,
        caption: str | None,
        language: str | None,
    ) -> dict[str, Any]:
        return await self._hub(
            sender_id,
            language,
            url=f"{self.hub_url.rstrip('/')}/internal/v1/hub/files",
            data={
                "sender_id": sender_id,
                "caption": caption or "",
                "language_hint": language or "",
            },
            files={"file": (file.filename, data, file.media_type or "application/octet-stream")},
        )

    @property
    def _callbacks_url(self) -> str:
        return f"{self.hub_url.rstrip('/')}/internal/v1/telegram/callbacks"

    async def persist_keys(self, message: dict[str, Any]) -> None:
        """Write this message's long button payloads to the backend before they are shown.

        A failure is logged, not raised: the button still works until the gateway restarts.
        """
        if not self.persistent_keys:
            return
        for button in message.get("buttons") or []:
            payload = str(button.get("payload") or "")
            if not CallbackStore.needs_key(payload):
                continue
            key = self.store.encode(payload)
            if key in self._persisted:
                continue
            try:
                response = await self.http.post(
                    self._callbacks_url, json={"payload": payload}, headers=self._headers
                )
                response.raise_for_status()
                if response.json().get("key") != key:
                    raise ValueError("the backend derived another key")
                self._persisted.add(key)
            except (httpx.HTTPError, ValueError) as exc:
                logger.warning(
                    "button key not persisted",
                    extra={"event": "callback_key_not_persisted", "error": str(exc)},
                )

    async def payload_of(self, data: str | None) -> str | None:
        """The payload a pressed button stands for: in memory, else from the backend's map."""
        payload = self.store.decode(data)
        if payload is not None or not data or not self.persistent_keys:
            return payload
        try:
            response = await self.http.get(
                f"{self._callbacks_url}/{quote(data, safe='')}", headers=self._headers
            )
            if response.status_code == 404:
                return None
            response.raise_for_status()
            payload = str(response.json()["payload"])
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            logger.warning(
                "button key not looked up",
                extra={"event": "callback_key_lookup", "error": str(exc)},
            )
            return None
        self.store.remember(data, payload)
        self._persisted.add(data)
        return payload

    async def deliver(self, bot: Any, chat_id: int, reply: dict[str, Any], language: str | None):
        """Send the hub's messages to one chat, in order, as plain text (no parse_mode)."""
        for message in reply.get("messages") or []:
            await self.persist_keys(message)
            keyboard = build_keyboard(message, self.store)
            pieces = split_text(message.get("text") or "")
            if keyboard is not None and not pieces:
                pieces = [gateway_text("choose", language)]
            for index, piece in enumerate(pieces):
                last = index == len(pieces) - 1
                await with_flood_control(
                    bot.send_message,
                    chat_id=chat_id,
                    text=piece,
                    reply_markup=keyboard if last else None,
                )
                metrics.REPLIES.labels("text").inc()
            document = message.get("document")
            if document and document.get("url"):
                await self.send_document(bot, chat_id, document, language)

    async def send_document(
        self, bot: Any, chat_id: int, document: dict[str, Any], language: str | None
    ) -> None:
        filename = str(document.get("filename") or "document.pdf")
        try:
            response = await self.http.get(document["url"], follow_redirects=True)
            response.raise_for_status()
            if len(response.content) > DOCUMENT_MAX_BYTES:
                raise ValueError("document too large for Telegram")
            with contextlib.suppress(TelegramError):  # "sending a file…", cosmetic
                await bot.send_chat_action(chat_id=chat_id, action=ChatAction.UPLOAD_DOCUMENT)
            await with_flood_control(
                bot.send_document,
                chat_id=chat_id,
                document=InputFile(response.content, filename=filename),
            )
            metrics.REPLIES.labels("document").inc()
        except (httpx.HTTPError, ValueError, TelegramError) as exc:
            metrics.ERRORS.labels("document").inc()
            logger.warning(
                "document not sent", extra={"event": "document_failed", "error": str(exc)}
            )
            await with_flood_control(
                bot.send_message,
                chat_id=chat_id,
                text=gateway_text("document_failed", language),
                reply_markup=InlineKeyboardMarkup(
                    [[InlineKeyboardButton(filename[:64], url=document["url"])]]
                ),
            )
            metrics.REPLIES.labels("link").inc()

    async def say(self, bot: Any, chat_id: int, kind: str, language: str | None) -> None:
        await with_flood_control(
            bot.send_message, chat_id=chat_id, text=gateway_text(kind, language)
        )
        metrics.REPLIES.labels("text").inc()

    async def turn(self, bot: Any, chat_id: int, user: Any, text: str) -> None:
        language = language_of(getattr(user, "language_code", None))
        sender_id = f"tg-{user.id}"
        logger.info(
            "telegram message",
            extra={"event": "telegram_in", "sender": sender_id, "text": mask_identifiers(text)},
        )
        async with typing(bot, chat_id):
            reply = await self.ask_hub(sender_id, text, getattr(user, "language_code", None))
        await self.deliver(bot, chat_id, reply, language)

    # --- python-telegram-bot handlers ---

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None or not message.text:
            return
        await self.turn(context.bot, message.chat_id, user, message.text)

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None or not message.text:
            return
        words = message.text.split()
        command = words[0].lstrip("/").split("@")[0].lower()
        language = language_of(user.language_code)
        if command == "remind":
            text = remind_text(words[1] if len(words) > 1 else "", language)
            if text is None:
                await self.say(context.bot, message.chat_id, "remind_usage", language)
                return
        elif command in COMMAND_TEXTS:
            text = command_text(command, language)
        else:
            return
        await self.turn(context.bot, message.chat_id, user, text)

    async def on_file(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo or document: checked here (size, type), fetched, and handed to the hub."""
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None:
            return
        language = language_of(user.language_code)
        bot, chat_id, sender_id = context.bot, message.chat_id, f"tg-{user.id}"
        file = incoming_file(message)
        if file is None:
            return
        if file.size is not None and file.size > FILE_FETCH_MAX_BYTES:
            await self.say(bot, chat_id, "file_too_large", language)
            return
        if not accepted(file):
            await self.say(bot, chat_id, "file_wrong_type", language)
            return
        logger.info(
            "telegram file",
            extra={
                "event": "telegram_file_in",
                "sender": sender_id,
                "media_type": file.media_type,
                "bytes": file.size,
            },
        )
        async with typing(bot, chat_id):
            try:
                telegram_file = await with_flood_control(bot.get_file, file_id=file.file_id)
                data = bytes(await telegram_file.download_as_bytearray())
            except TelegramError as exc:
                logger.warning(
                    "file not fetched", extra={"event": "file_failed", "error": str(exc)}
                )
                metrics.ERRORS.labels("file_fetch").inc()
                data = None
            if data is not None and len(data) <= FILE_FETCH_MAX_BYTES:
                reply = await self.send_file_to_hub(
                    sender_id, file, data, message.caption, user.language_code
                )
        if data is None:
            await self.say(bot, chat_id, "file_failed", language)
        elif len(data) > FILE_FETCH_MAX_BYTES:
            await self.say(bot, chat_id, "file_too_large", language)
        else:
            await self.deliver(bot, chat_id, reply, language)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        user = update.effective_user
        if message is None:
            return
        language = language_of(getattr(user, "language_code", None))
        await self.say(context.bot, message.chat_id, "text_only", language)

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        user = query.from_user
        language = language_of(user.language_code)
        payload = await self.payload_of(query.data)
        # Stop the spinner first, then take the keyboard away so it cannot be pressed twice.
        await with_flood_control(
            context.bot.answer_callback_query,
            callback_query_id=query.id,
            text=None if payload else gateway_text("expired", language),
        )
        message = query.message
        chat_id = message.chat.id if message is not None else user.id
        if message is not None:
            try:
                await context.bot.edit_message_reply_markup(
                    chat_id=chat_id, message_id=message.message_id, reply_markup=None
                )
            except TelegramError as exc:  # e.g. "message is not modified", too old to edit
                logger.info(
                    "keyboard not removed",
                    extra={"event": "keyboard_not_removed", "error": str(exc)},
                )
        if payload is None:
            await self.say(context.bot, chat_id, "expired", language)
            return
        await self.turn(context.bot, chat_id, user, payload)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One log line per failed update (python-telegram-bot would print a traceback)."""
    logger.error(
        "update failed",
        extra={"event": "telegram_update_failed", "error": repr(context.error)[:500]},
    )


MENU: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("start", "Start or start again"),
        ("help", "What I can help with"),
        ("language", "Bahasa Melayu / English"),
        ("cancel", "Stop what we are doing"),
        ("remind", "Deadline reminders: /remind on or /remind off"),
    ],
    "ms": [
        ("start", "Mula atau mula semula"),
        ("help", "Apa yang boleh saya bantu"),
        ("language", "Bahasa Melayu / English"),
        ("cancel", "Hentikan apa yang sedang dibuat"),
        ("remind", "Peringatan tarikh akhir: /remind on atau /remind off"),
    ],
}


async def publish_commands(bot: Any) -> None:
    """The chat's command menu, in English and (for Malay users) Malay; best effort."""
    try:
        await bot.set_my_commands(MENU["en"])
        await bot.set_my_commands(MENU["ms"], language_code="ms")
    except TelegramError as exc:
        logger.warning("command menu not set: %s", exc)


def register(application: Application, gateway: Gateway) -> None:
    measured = metrics.measured
    application.add_handler(
        CommandHandler([*COMMAND_TEXTS, "remind"], measured("command", gateway.on_command))
    )
    application.add_handler(CallbackQueryHandler(measured("callback", gateway.on_callback)))
    # Other "/..." texts go to the hub like any text: it accepts them only when the bot offered
    # them as buttons and otherwise answers with a polite refusal.
    application.add_handler(MessageHandler(filters.TEXT, measured("text", gateway.on_text)))
    application.add_handler(
        MessageHandler(filters.PHOTO | filters.Document.ALL, measured("file", gateway.on_file))
    )
    application.add_handler(
        MessageHandler(
            ~filters.TEXT & ~filters.StatusUpdate.ALL, measured("other", gateway.on_other)
        )
    )
    application.add_error_handler(on_error)


def hub_url_from_env() -> str:
    settings = get_settings()
    return (
        os.environ.get("ASSIST_BACKEND_URL")
        or f"http://{settings.assist_host}:{settings.assist_port}"
    )


def build_application(token: str, base_url: str = "") -> tuple[Application, Gateway]:
    settings = get_settings()
    builder = Application.builder().token(token)
    if base_url:
        builder = builder.base_url(base_url)
        if base_url.rstrip("/").endswith("/bot"):
            builder = builder.base_file_url(base_url.rstrip("/")[: -len("/bot")] + "/file/bot")
    http = httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=5.0))
    gateway = Gateway(hub_url_from_env(), settings.assist_service_token, http, persistent_keys=True)

    async def close_http(_app: Application) -> None:
        await http.aclose()

    async def on_start(app: Application) -> None:  # run_polling's hook
        await publish_commands(app.bot)

    application = builder.post_init(on_start).post_shutdown(close_http).build()
    register(application, gateway)
    return application, gateway


# --- webhook mode ------------------------------------------------------------------------------


class ConfigError(ValueError):
    """The webhook settings cannot work; the message says what to set."""


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    secret: str
    listen: str = "127.0.0.1"
    port: int = 8443

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"


def webhook_config(env: Mapping[str, str]) -> WebhookConfig | None:
    """``None`` for long polling; the webhook settings otherwise (or :class:`ConfigError`)."""
    url = env.get("TELEGRAM_WEBHOOK_URL", "").strip()
    if not url:
        return None
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise ConfigError(f"TELEGRAM_WEBHOOK_URL must be an https:// URL, not {url!r}.")
    secret = env.get("TELEGRAM_WEBHOOK_SECRET", "").strip()
    if not secret:
        raise ConfigError(
            "TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_WEBHOOK_URL is set: Telegram "
            "sends it with every update and the gateway refuses updates without it "
            "(1-256 characters: A-Z, a-z, 0-9, _ and -)."
        )
    if not _SECRET_SHAPE.match(secret):
        raise ConfigError(
            "TELEGRAM_WEBHOOK_SECRET may only hold 1-256 characters A-Z, a-z, 0-9, _ and -."
        )
    port_text = env.get("TELEGRAM_WEBHOOK_PORT", "8443").strip() or "8443"
    if not port_text.isdigit() or not 0 <= int(port_text) < 65536:
        raise ConfigError(f"TELEGRAM_WEBHOOK_PORT must be a port number, not {port_text!r}.")
    listen = env.get("TELEGRAM_WEBHOOK_LISTEN", "").strip() or "127.0.0.1"
    return WebhookConfig(url, secret, listen, int(port_text))


_TG_SENDER = re.compile(r"^tg-(\d{1,20})$")
OUTBOUND_PATH = "/internal/v1/telegram/messages"
TYPING_PATH = "/internal/v1/telegram/typing"


def outbound_routes(bot: Callable[[], Any], gateway: Gateway) -> list[Any]:
    """``POST /internal/v1/telegram/messages`` (service token): the backend speaks first.

    Body ``{sender_id: "tg-<user id>", messages: [{text?, buttons?, link?, document?}],
    language?}``; a private chat's id is the user's id. 200 ``{ok, sent}``; 401 without the
    token; 422 for another sender; 502 when Telegram refuses (e.g. the user blocked the bot).
    """
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    def refused(request: Request) -> Response | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if not gateway.service_token:
            return JSONResponse({"ok": False, "error": "not_configured"}, status_code=503)
        if scheme.lower() != "bearer" or not secrets.compare_digest(
            token.strip().encode(), gateway.service_token.encode()
        ):
            return JSONResponse({"ok": False, "error": "unauthorized"}, status_code=401)
        return None

    async def send(request: Request) -> Response:
        if (refusal := refused(request)) is not None:
            return refusal
        try:
            body = await request.json()
            match = _TG_SENDER.match(str(body.get("sender_id", "")))
            messages = body.get("messages")
            if match is None or not isinstance(messages, list) or not messages:
                raise ValueError("sender_id tg-<user id> and a list of messages are required")
        except (ValueError, AttributeError) as exc:
            return JSONResponse({"ok": False, "error": str(exc)[:200]}, status_code=422)
        language = language_of(body.get("language"))
        try:
            await gateway.deliver(bot(), int(match.group(1)), {"messages": messages}, language)
        except TelegramError as exc:
            metrics.ERRORS.labels("proactive").inc()
            logger.warning(
                "proactive message not sent",
                extra={"event": "proactive_failed", "sender": match.group(0), "error": str(exc)},
            )
            return JSONResponse({"ok": False, "error": str(exc)[:200]}, status_code=502)
        metrics.REPLIES.labels("proactive").inc(len(messages))
        logger.info(
            "proactive message sent",
            extra={"event": "proactive_sent", "sender": match.group(0), "count": len(messages)},
        )
        return JSONResponse({"ok": True, "sent": len(messages)})

    async def typing_action(request: Request) -> Response:
        """A helpline agent is typing in the console: Telegram's "typing…" (about 5 s)."""
        if (refusal := refused(request)) is not None:
            return refusal
        try:
            body = await request.json()
            match = _TG_SENDER.match(str(body.get("sender_id", "")))
            if match is None:
                raise ValueError("sender_id tg-<user id> is required")
        except (ValueError, AttributeError) as exc:
            return JSONResponse({"ok": False, "error": str(exc)[:200]}, status_code=422)
        try:
            await bot().send_chat_action(chat_id=int(match.group(1)), action=ChatAction.TYPING)
        except TelegramError as exc:
            return JSONResponse({"ok": False, "error": str(exc)[:200]}, status_code=502)
        return JSONResponse({"ok": True})

    return [
        Route(OUTBOUND_PATH, send, methods=["POST"]),
        Route(TYPING_PATH, typing_action, methods=["POST"]),
    ]


def outbound_app(bot: Callable[[], Any], gateway: Gateway) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            *outbound_routes(bot, gateway),
            Route("/healthz", health, methods=["GET"]),
            metrics.metrics_route(get_settings().metrics_token),
        ]
    )


def webhook_app(
    application: Application, config: WebhookConfig, gateway: Gateway | None = None
) -> Any:
    """The ASGI app Telegram posts updates to; without the secret header → 403."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    expected = config.secret.encode()

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secrets.compare_digest(given, expected):
            logger.warning("webhook update refused", extra={"event": "webhook_refused"})
            metrics.ERRORS.labels("webhook_refused").inc()
            return JSONResponse({"ok": False, "error": "forbidden"}, status_code=403)
        try:
            data = await request.json()
            update = Update.de_json(data, application.bot)
        except (ValueError, TypeError, KeyError):
            return JSONResponse({"ok": False, "error": "bad update"}, status_code=400)
        await application.update_queue.put(update)
        return JSONResponse({"ok": True})

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    extra = outbound_routes(lambda: application.bot, gateway) if gateway is not None else []
    return Starlette(
        routes=[
            Route(config.path, receive, methods=["POST"]),
            Route("/healthz", health, methods=["GET"]),
            metrics.metrics_route(get_settings().metrics_token),
            *extra,
        ]
    )


def _server(app: Any, host: str, port: int) -> Any:
    """A uvicorn server that leaves SIGINT/SIGTERM to :func:`_stop_on_signals`.

    (uvicorn's own handling re-raises the signal once it has stopped, which would end the
    process before python-telegram-bot is stopped.)
    """
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Any:
            yield

    return Server(
        uvicorn.Config(
            app, host=host, port=port, log_level="warning", access_log=False, lifespan="off"
        )
    )


def _stop_on_signals(*servers: Any) -> None:
    """SIGINT / SIGTERM → every server stops serving (then the caller shuts down cleanly)."""
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for server in servers:
            server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop)


async def run_webhook(
    application: Application,
    gateway: Gateway,
    config: WebhookConfig,
    outbound: tuple[str, int] | None = None,
) -> None:
    """The webhook server (which also takes proactive messages) and, when ``outbound`` names
    another address (``TELEGRAM_GATEWAY_PORT``), the same proactive endpoint there too."""
    server = _server(webhook_app(application, config, gateway), config.listen, config.port)
    side = None
    if outbound is not None and outbound[1] != config.port:
        side = _server(outbound_app(lambda: application.bot, gateway), *outbound)
    try:
        async with application:  # initialize (getMe) … shutdown
            await application.bot.set_webhook(
                url=config.url, secret_token=config.secret, allowed_updates=ALLOWED_UPDATES
            )
            await publish_commands(application.bot)
            await application.start()
            logger.info(
                "Telegram gateway: webhook %s on %s:%s; hub at %s",
                config.path,
                config.listen,
                config.port,
                gateway.hub_url,
            )
            _stop_on_signals(server, *([side] if side is not None else []))
            side_task = asyncio.create_task(side.serve()) if side is not None else None
            try:
                await server.serve()  # until SIGINT / SIGTERM
            finally:
                if side is not None and side_task is not None:
                    side.should_exit = True
                    await side_task
                await application.stop()
    finally:
        await gateway.http.aclose()


def outbound_address(env: Mapping[str, str]) -> tuple[str, int] | None:
    port = env.get("TELEGRAM_GATEWAY_PORT", "").strip()
    if not port:
        return None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"TELEGRAM_GATEWAY_PORT must be a port number, not {port!r}.")
    return env.get("TELEGRAM_GATEWAY_LISTEN", "").strip() or "127.0.0.1", int(port)


async def run_polling_with_outbound(
    application: Application, gateway: Gateway, address: tuple[str, int]
) -> None:
    """Long polling plus the loopback endpoint for proactive messages, on one event loop."""
    server = _server(outbound_app(lambda: application.bot, gateway), *address)
    try:
        async with application:
            assert application.updater is not None
            await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
            await application.start()
            await publish_commands(application.bot)
            _stop_on_signals(server)
            logger.info(
                "Telegram gateway: long polling; proactive messages on %s:%s; hub at %s",
                *address,
                gateway.hub_url,
            )
            try:
                await server.serve()  # until SIGINT / SIGTERM
            finally:
                await application.updater.stop()
                await application.stop()
    finally:
        await gateway.http.aclose()


def _run(settings: Any, token: str, webhook: WebhookConfig | None, outbound: Any) -> int:
    """One start of the gateway; an exit code (0 after a clean stop)."""
    application, gateway = build_application(token, settings.telegram_api_base_url.strip())
    try:
        if webhook is not None:
            asyncio.run(run_webhook(application, gateway, webhook, outbound))
        elif outbound is not None:
            asyncio.run(run_polling_with_outbound(application, gateway, outbound))
        else:
            logger.info("Telegram gateway: long polling; hub at %s", gateway.hub_url)
            asyncio.set_event_loop(asyncio.new_event_loop())  # run_polling closes its loop
            application.run_polling(allowed_updates=ALLOWED_UPDATES)
    except InvalidToken as exc:
        print(
            f"Telegram rejected TELEGRAM_BOT_TOKEN ({exc}). Check the token from @BotFather"
            + (
                f" and TELEGRAM_API_BASE_URL={settings.telegram_api_base_url}"
                if settings.telegram_api_base_url
                else ""
            )
            + ".",
            file=sys.stderr,
            flush=True,
        )
        return EXIT_TOKEN_REJECTED
    except NetworkError as exc:  # only at start-up: once running, PTB retries by itself
        where = settings.telegram_api_base_url or "https://api.telegram.org"
        print(f"Cannot reach the Telegram Bot API at {where}: {exc}", file=sys.stderr, flush=True)
        return EXIT_TELEGRAM_UNREACHABLE
    return 0


def _wait_for_stop(seconds: float | None) -> bool:
    """Sleep ``seconds`` (``None``: for ever) unless SIGINT/SIGTERM comes; True when stopped."""
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    return stopped.wait(seconds)


def main(argv: list[str] | None = None) -> int:
    """Start the gateway; a clear message and an exit code when it cannot start.

    With ``TELEGRAM_STAY_UP_ON_ERROR=1`` (the run command sets it: its process manager stops
    every process when one exits) a start-up failure does not end the process, so the backend,
    the web chat and Rasa keep running: an unreachable Telegram is tried again every
    ``TELEGRAM_RETRY_SECONDS`` (60), a rejected token waits, idle, for the process to be stopped.
    """
    settings = get_settings()
    configure_logging(settings.assist_log_level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its lines carry the bot token
    token = settings.telegram_bot_token.strip()
    if not token:
        print(
            "TELEGRAM_BOT_TOKEN is not set: the Telegram gateway has nothing to run.",
            file=sys.stderr,
        )
        return EXIT_NO_TOKEN
    try:
        webhook = webhook_config(os.environ)
        outbound = outbound_address(os.environ)
    except ConfigError as exc:
        print(f"Telegram gateway not started: {exc}", file=sys.stderr)
        return EXIT_BAD_WEBHOOK_CONFIG
    stay_up = os.environ.get("TELEGRAM_STAY_UP_ON_ERROR", "").strip().lower() in ("1", "true")
    retry = float(os.environ.get("TELEGRAM_RETRY_SECONDS", "60") or 60)
    while True:
        code = _run(settings, token, webhook, outbound)
        if code == 0 or not stay_up:
            return code
        if code == EXIT_TOKEN_REJECTED:
            print(
                "The Telegram gateway is not running; the rest of ASSIST Assistant keeps "
                "running. Set a valid TELEGRAM_BOT_TOKEN and start again.",
                file=sys.stderr,
                flush=True,
            )
            _wait_for_stop(None)
            return code
        print(
            f"The rest of ASSIST Assistant keeps running; Telegram is tried again in "
            f"{retry:.0f} s.",
            file=sys.stderr,
            flush=True,
        )
        if _wait_for_stop(retry):
            return code


if __name__ == "__main__":
    sys.exit(main())
