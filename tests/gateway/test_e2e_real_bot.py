"""The real bot over Telegram: emulator ⇄ gateway ⇄ hub ⇄ Rasa ⇄ action server ⇄ backend.

The full-stack suite's shared SQLite stack (``start_or_skip``: a trained model, Rasa, the action
server and the backend) plus one gateway process pointed at the npm ``telegram-test-api``
emulator. The flows are driven as a Telegram user would: typing, and tapping the inline
keyboard's buttons (so every payload travels as callback_data).

    .venv/bin/python -m pytest tests/gateway/test_e2e_real_bot.py -m fullstack
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from scripts.processes import process_specs
from tests.fullstack.chat import (
    ChatError,
    all_text,
    drive_portal_form,
    email_text,
    emails_to,
    newest_email_to,
    six_digit_code,
)
from tests.fullstack.harness import Stack
from tests.gateway.test_e2e_emulator import Emulator, emulator, keyboard_of, user  # noqa: F401

pytestmark = pytest.mark.fullstack

TOKEN = "474747:e2e-real-flows-token"
QUIET_SECONDS = 2.5  # a reply is a burst of messages: it is complete after this much silence


@dataclass
class TelegramChat:
    """One Telegram user talking to the real bot through the emulator."""

    emulator: Emulator
    me: dict[str, Any]
    transcript: list[str] = field(default_factory=list)
    seen: int = 0
    last: list[dict[str, Any]] = field(default_factory=list)

    def _messages(self) -> list[dict[str, Any]]:
        return self.emulator.bot_messages(self.me["id"], lambda _ms: True, token=TOKEN)

    def _reply(self, timeout: float = 120.0) -> list[dict[str, Any]]:
        """The bot's new messages, once at least one came and then QUIET_SECONDS passed."""
        deadline = time.monotonic() + timeout
        count, changed = self.seen, time.monotonic()
        while True:
            messages = self._messages()
            if len(messages) != count:
                count, changed = len(messages), time.monotonic()
            if count > self.seen and time.monotonic() - changed >= QUIET_SECONDS:
                break
            if time.monotonic() > deadline:
                raise AssertionError("no reply from the bot:\n" + "\n".join(self.transcript))
            time.sleep(0.2)
        new, self.seen = messages[self.seen :], count
        self.last = new
        hub_style = [self._as_hub(m) for m in new]
        self.transcript.append("< " + all_text(hub_style).replace("\n", " | "))
        return hub_style

    @staticmethod
    def _as_hub(message: dict[str, Any]) -> dict[str, Any]:
        body = message["message"]
        out: dict[str, Any] = {}
        if body.get("text"):
            out["text"] = body["text"]
        buttons = [b for b in keyboard_of(message) if "callback_data" in b]
        if buttons:
            out["buttons"] = [{"title": b["text"], "payload": b["callback_data"]} for b in buttons]
        links = [b for b in keyboard_of(message) if "url" in b]
        if links:
            out["link"] = {"url": links[0]["url"], "title": links[0]["text"]}
        if body.get("document"):
            out["document"] = body["document"]
        return out

    def say(self, text: str) -> list[dict[str, Any]]:
        self.transcript.append(f"> {text}")
        self.emulator.user_says(self.me, text, token=TOKEN)
        return self._reply()

    def tap(self, callback_data: str) -> list[dict[str, Any]]:
        """Tap the newest button with this callback_data (from any message of the last reply)."""
        message = next(
            m
            for m in reversed(self.last)
            if any(b.get("callback_data") == callback_data for b in keyboard_of(m))
        )
        self.transcript.append(f"> [tap {callback_data}]")
        self.emulator.user_taps(self.me, message, callback_data, token=TOKEN)
        return self._reply()

    def answer(self, text: str) -> list[dict[str, Any]]:
        """Tap the button when ``text`` is one the bot just offered, else type it."""
        offered = {b.get("callback_data") for m in self.last for b in keyboard_of(m)}
        return self.tap(text) if text in offered else self.say(text)

    def tap_title(self, *cues: str) -> list[dict[str, Any]]:
        for message in reversed(self.last):
            for button in keyboard_of(message):
                if any(cue.lower() in button["text"].lower() for cue in cues) and button.get(
                    "callback_data"
                ):
                    return self.tap(button["callback_data"])
        raise AssertionError(f"no button {cues}:\n" + "\n".join(self.transcript))

    def __str__(self) -> str:
        return "\n".join(self.transcript)


@pytest.fixture(scope="module")
def real_stack(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    from tests.fullstack.support import start_or_skip

    return start_or_skip("sqlite", tmp_path_factory)


@pytest.fixture(scope="module")
def gateway(emulator: Emulator, real_stack: Stack) -> Iterator[None]:  # noqa: F811
    spec = next(
        p
        for p in process_specs(
            real_stack.ports, real_stack.env, real_stack.var_dir, with_telegram=True
        )
        if p.name == "telegram"
    )
    log = real_stack.log_dir / "telegram-real-flows.log"
    with log.open("a") as out:
        process = subprocess.Popen(
            spec.argv,
            cwd=spec.cwd,
            env={
                **spec.env,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": f"{emulator.url}/bot",
            },
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        print(log.read_text()[-3000:])


def test_portal_id_in_malay_over_telegram_ends_with_the_pdf(
    emulator: Emulator,  # noqa: F811
    real_stack: Stack,
    gateway: None,
) -> None:
    """QRG 1 in Malay: typed answers, the confirm button tapped, the form PDF as a document."""
    from tests.fullstack.test_portal_id import make_applicant

    applicant = make_applicant("ms")
    chat = TelegramChat(emulator, user(3001, "ms"))
    first = chat.say("saya nak mohon ID portal")
    try:
        summary = drive_portal_form(first, applicant.answers(), chat.answer)
    except ChatError as exc:
        raise AssertionError(f"{exc}\n{chat}") from None
    done = chat.tap("/affirm")
    document = next((m["document"] for m in done if m.get("document")), None)
    if document is None:  # the PDF may follow the confirmation in a second burst
        done = chat._reply()
        document = next((m["document"] for m in done if m.get("document")), None)
    assert document is not None, f"no PDF sent:\n{chat}"
    assert document["file_name"].endswith(".pdf"), document
    assert emulator.file_bytes(document["file_id"]).startswith(b"%PDF")
    assert applicant.email in all_text(summary), f"the summary lacks the answers:\n{chat}"
    assert emails_to(real_stack.outbox_dir, applicant.email), "no email with the temporary password"


def test_login_then_reminders_over_telegram(
    emulator: Emulator,  # noqa: F811
    real_stack: Stack,
    gateway: None,
) -> None:
    """OTP login on Telegram, the terms button, then /remind on and off with the real bot."""
    import httpx

    from tests.fullstack.test_portal_id import create_account, make_applicant

    applicant = make_applicant("en")
    with httpx.Client(
        base_url=real_stack.base_url,
        headers={"Authorization": f"Bearer {real_stack.service_token}"},
        timeout=30,
    ) as service:
        create_account(service, applicant, "en")
    chat = TelegramChat(emulator, user(3002, "en"))
    before = len(emails_to(real_stack.outbox_dir, applicant.email))
    chat.say("login")
    chat.say(applicant.email)
    code = six_digit_code(
        email_text(newest_email_to(real_stack.outbox_dir, applicant.email, after=before))
    )
    chat.say(code)
    chat.tap_title("agree", "setuju")
    with httpx.Client(base_url=real_stack.base_url, timeout=30) as client:
        account = client.get(
            "/api/v1/conversations/tg-3002/account",
            headers={"Authorization": f"Bearer {real_stack.service_token}"},
        )
    assert account.status_code == 200, f"not logged in:\n{chat}"
    on = all_text(chat.say("/remind on"))
    assert "no registered employer" in on, f"/remind on:\n{chat}"
    off = all_text(chat.say("/remind off"))
    assert "reminders are off" in off, f"/remind off:\n{chat}"
