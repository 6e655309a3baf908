"""Telegram gateway: python-telegram-bot (long polling) ⇄ the conversation hub.

Each text message goes to the hub's ``POST /internal/v1/hub/messages`` with sender id
``tg-<telegram user id>``; the hub answers ``{messages: [{text?, buttons?, link?, document?}]}``
which become Telegram messages: text split under 4,096 characters, buttons as an inline keyboard
(callback_data ≤ 64 bytes; longer payloads travel as a short key), links as URL buttons and
documents downloaded from their signed URL and sent as documents with their file name.

Run: ``python -m gateway.telegram`` (needs ``TELEGRAM_BOT_TOKEN``; ``TELEGRAM_API_BASE_URL``
points python-telegram-bot at an emulator, e.g. ``http://127.0.0.1:8081/bot``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import httpx
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import MessageLimit
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from backend.domain.identifiers import mask_identifiers
from backend.logging_setup import configure_logging
from backend.settings import get_settings

logger = logging.getLogger("assist.gateway.telegram")

TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH  # 4096
CALLBACK_DATA_LIMIT = 64  # bytes, Telegram's limit for callback_data
KEY_PREFIX = "k:"
DOCUMENT_MAX_BYTES = 50 * 1024 * 1024  # what a bot may upload

EXIT_NO_TOKEN = 2
EXIT_TOKEN_REJECTED = 3
EXIT_TELEGRAM_UNREACHABLE = 4

# Commands become ordinary messages the bot understands (typed "/intent" texts are refused by
# the hub unless the bot offered them, so commands are mapped to words, in the user's language).
COMMAND_TEXTS: dict[str, dict[str, str]] = {
    "start": {"en": "hello", "ms": "hai"},
    "help": {"en": "help", "ms": "bantuan"},
    "cancel": {"en": "cancel", "ms": "batal"},
    "language": {"en": "change language", "ms": "tukar bahasa"},
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
        "For now I can only read text messages. Please type your message.",
        "Buat masa ini saya hanya boleh membaca mesej teks. Sila taip mesej anda.",
    ),
    "choose": ("Please choose:", "Sila pilih:"),
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
    """Maps button payloads to callback_data that fits 64 bytes (in memory, bounded)."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self._payloads: OrderedDict[str, str] = OrderedDict()
        self._max = max_entries

    def encode(self, payload: str) -> str:
        if len(payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT and not payload.startswith(
            KEY_PREFIX
        ):
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


# --- the gateway --------------------------------------------------------------------------------


@dataclass
class Gateway:
    hub_url: str
    service_token: str
    http: httpx.AsyncClient
    store: CallbackStore = field(default_factory=CallbackStore)

    async def ask_hub(self, sender_id: str, text: str, language: str | None) -> dict[str, Any]:
        """The hub's reply, or a local 'unavailable' message when the hub cannot be reached."""
        try:
            response = await self.http.post(
                f"{self.hub_url.rstrip('/')}/internal/v1/hub/messages",
                json={
                    "sender_id": sender_id,
                    "text": text,
                    "channel": "telegram",
                    "language_hint": language,
                },
                headers={"Authorization": f"Bearer {self.service_token}"},
            )
            response.raise_for_status()
            reply = response.json()
            if not isinstance(reply, dict) or not isinstance(reply.get("messages"), list):
                raise ValueError("reply without messages")
            return reply
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning(
                "hub unreachable",
                extra={"event": "hub_unreachable", "sender": sender_id, "error": str(exc)},
            )
            return {
                "messages": [{"text": gateway_text("unavailable", language)}],
                "error": "unavailable",
            }

    async def deliver(self, bot: Any, chat_id: int, reply: dict[str, Any], language: str | None):
        """Send the hub's messages to one chat, in order."""
        for message in reply.get("messages") or []:
            keyboard = build_keyboard(message, self.store)
            pieces = split_text(message.get("text") or "")
            if keyboard is not None and not pieces:
                pieces = [gateway_text("choose", language)]
            for index, piece in enumerate(pieces):
                last = index == len(pieces) - 1
                await bot.send_message(
                    chat_id=chat_id, text=piece, reply_markup=keyboard if last else None
                )
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
            await bot.send_document(
                chat_id=chat_id, document=InputFile(response.content, filename=filename)
            )
        except (httpx.HTTPError, ValueError, TelegramError) as exc:
            logger.warning(
                "document not sent", extra={"event": "document_failed", "error": str(exc)}
            )
            await bot.send_message(
                chat_id=chat_id,
                text=gateway_text("document_failed", language),
                reply_markup=InlineKeyboardMarkup(
                    [[InlineKeyboardButton(filename[:64], url=document["url"])]]
                ),
            )

    async def turn(self, bot: Any, chat_id: int, user: Any, text: str) -> None:
        language = language_of(getattr(user, "language_code", None))
        sender_id = f"tg-{user.id}"
        logger.info(
            "telegram message",
            extra={"event": "telegram_in", "sender": sender_id, "text": mask_identifiers(text)},
        )
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
        command = message.text.split()[0].lstrip("/").split("@")[0].lower()
        if command not in COMMAND_TEXTS:
            return
        text = command_text(command, language_of(user.language_code))
        await self.turn(context.bot, message.chat_id, user, text)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        user = update.effective_user
        if message is None:
            return
        language = language_of(getattr(user, "language_code", None))
        await context.bot.send_message(
            chat_id=message.chat_id, text=gateway_text("text_only", language)
        )

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        user = query.from_user
        language = language_of(user.language_code)
        payload = self.store.decode(query.data)
        # Stop the spinner first, then take the keyboard away so it cannot be pressed twice.
        await context.bot.answer_callback_query(
            query.id, text=None if payload else gateway_text("expired", language)
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
            await context.bot.send_message(chat_id=chat_id, text=gateway_text("expired", language))
            return
        await self.turn(context.bot, chat_id, user, payload)


def register(application: Application, gateway: Gateway) -> None:
    application.add_handler(CommandHandler(list(COMMAND_TEXTS), gateway.on_command))
    application.add_handler(CallbackQueryHandler(gateway.on_callback))
    # Other "/..." texts go to the hub like any text: it accepts them only when the bot offered
    # them as buttons and otherwise answers with a polite refusal.
    application.add_handler(MessageHandler(filters.TEXT, gateway.on_text))
    application.add_handler(
        MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, gateway.on_other)
    )


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
    gateway = Gateway(hub_url_from_env(), settings.assist_service_token, http)

    async def close_http(_app: Application) -> None:
        await http.aclose()

    application = builder.post_shutdown(close_http).build()
    register(application, gateway)
    return application, gateway


def main(argv: list[str] | None = None) -> int:
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
    application, gateway = build_application(token, settings.telegram_api_base_url.strip())
    logger.info("Telegram gateway: long polling; hub at %s", gateway.hub_url)
    try:
        application.run_polling(allowed_updates=["message", "callback_query"])
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
        )
        return EXIT_TOKEN_REJECTED
    except NetworkError as exc:  # only at start-up: once polling, PTB retries by itself
        where = settings.telegram_api_base_url or "https://api.telegram.org"
        print(f"Cannot reach the Telegram Bot API at {where}: {exc}", file=sys.stderr)
        return EXIT_TELEGRAM_UNREACHABLE
    return 0


if __name__ == "__main__":
    sys.exit(main())
