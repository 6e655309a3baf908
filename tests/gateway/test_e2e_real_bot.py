"""The real bot over Telegram: emulator ⇄ gateway ⇄ hub ⇄ Rasa ⇄ action server ⇄ backend.

The full-stack suite's shared SQLite stack (``start_or_skip``: a trained model, Rasa, the action
server and the backend) plus one gateway process pointed at the npm ``telegram-test-api``
emulator. The flows are driven as a Telegram user would: typing, and tapping the inline
keyboard's buttons (so every payload travels as callback_data).

    .venv/bin/python -m pytest tests/gateway/test_e2e_real_bot.py -m fullstack
"""

from __future__ import annotations

import re
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace
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


# --- registration and contributions over Telegram (issue 5: "every flow") -----------------------


def expect(chat: TelegramChat, replies: list[dict[str, Any]], *cues: str) -> str:
    """The reply's text; fails (with the transcript) unless it holds one of the cues."""
    said = all_text(replies)
    assert any(cue.lower() in said.lower() for cue in cues), f"expected {cues!r}:\n{chat}"
    return said


def tap_payload(chat: TelegramChat, *fragments: str) -> list[dict[str, Any]]:
    """Tap the newest offered button whose callback_data holds a fragment (a payload longer than
    64 bytes travels as a key, so the title is tried too)."""
    for fragment in fragments:
        for message in reversed(chat.last):
            for button in keyboard_of(message):
                data = button.get("callback_data") or ""
                if fragment.lower() in data.lower() or fragment.lower() in button["text"].lower():
                    return chat.tap(data)
    raise AssertionError(f"no button {fragments!r}:\n{chat}")


def documents_after(chat: TelegramChat, replies: list[dict[str, Any]], at_least: int) -> list:
    """The documents of a reply, waiting for later bursts until ``at_least`` have arrived."""
    found = [m["document"] for m in replies if m.get("document")]
    deadline = time.monotonic() + 90
    while len(found) < at_least and time.monotonic() < deadline:
        try:
            more = chat._reply(timeout=max(1.0, deadline - time.monotonic()))
        except AssertionError:
            break
        found += [m["document"] for m in more if m.get("document")]
    assert len(found) >= at_least, f"{len(found)} documents, wanted {at_least}:\n{chat}"
    return found


def telegram_login(chat: TelegramChat, stack: Stack, language: str = "en"):  # type: ignore[no-untyped-def]
    """OTP login from the Telegram chat to a new portal account, terms accepted."""
    import httpx

    from tests.fullstack.test_portal_id import create_account, make_applicant

    applicant = make_applicant(language)
    with httpx.Client(
        base_url=stack.base_url,
        headers={"Authorization": f"Bearer {stack.service_token}"},
        timeout=30,
    ) as service:
        create_account(service, applicant, language)
    before = len(emails_to(stack.outbox_dir, applicant.email))
    chat.say("login")
    chat.say(applicant.email)
    code = six_digit_code(
        email_text(newest_email_to(stack.outbox_dir, applicant.email, after=before))
    )
    expect(chat, chat.say(code), "terms", "terma")
    chat.tap_title("agree", "setuju")
    return applicant


def send_file(
    chat: TelegramChat, data: bytes, name: str, mime: str, caption: str, photo: bool = False
) -> list[dict[str, Any]]:
    """A document (or a photo) with a caption, as a Telegram user attaches it."""
    upload = chat.emulator.put_file(data, name, mime)
    chat.transcript.append(f"> [{'photo' if photo else 'document'} {name} '{caption}']")
    if photo:
        sizes = [
            {
                "file_id": upload["file_id"],
                "file_unique_id": f"p{upload['file_id']}",
                "width": 2,
                "height": 2,
                "file_size": upload["file_size"],
            }
        ]
        chat.emulator.user_says(chat.me, photo=sizes, caption=caption, token=TOKEN)
    else:
        document = {
            "file_id": upload["file_id"],
            "file_unique_id": f"d{upload['file_id']}",
            "file_name": name,
            "mime_type": mime,
            "file_size": upload["file_size"],
        }
        chat.emulator.user_says(chat.me, document=document, caption=caption, token=TOKEN)
    return chat._reply()


def test_employer_registration_with_buttons_and_uploads_over_telegram(
    emulator: Emulator,  # noqa: F811
    real_stack: Stack,
    gateway: None,
) -> None:
    """QRG 2-4 on Telegram: an Sdn Bhd with one employee, buttons tapped (inline keyboards),
    the generated forms received as documents, the signed copies sent back as Telegram documents
    and a photo, submission, and the letters (with the new employer code) as PDF documents."""
    from backend.domain import registration as rules
    from tests.backend.registration_helpers import small_pdf, small_png
    from tests.fullstack.test_portal_id import pdf_text

    chat = TelegramChat(emulator, user(3003, "en"))
    telegram_login(chat, real_stack)
    replies = chat.say("I want to register my company as an employer")
    expect(chat, replies, "business entity")
    expect(chat, chat.say("Sdn Bhd"), "sub-business entity")
    replies = tap_payload(chat, "local_company", "local company")
    if "which of these" in all_text(replies).lower():
        replies = tap_payload(chat, "/inform")
    expect(chat, replies, "registration number")
    brn = f"2019 01 {secrets.randbelow(900000) + 100000:06d}"
    expect(chat, chat.say(brn), "registered name")
    company = f"Kedai Telegram {secrets.token_hex(2).upper()} Sdn Bhd"
    expect(chat, chat.say(company), "what does the business do")
    replies = chat.say("hardware retail shop")
    if "several industries" in all_text(replies).lower():
        replies = tap_payload(chat, '"G"')
    expect(chat, replies, "business address")
    chat.say("12 Jalan Ampang")
    expect(chat, chat.say("50450"), "town or city")
    chat.say("Kuala Lumpur")
    employer_email = f"tg.{secrets.token_hex(4)}@example.com"
    expect(chat, chat.say(employer_email), "phone")
    expect(chat, chat.say("03-2345 6789"), "induction")
    summary = expect(chat, tap_payload(chat, "kuala_lumpur", "kuala lumpur"), "please check")
    assert company in summary, chat
    saved = expect(chat, chat.tap("/affirm"), "saved")
    reference = re.search(r"CRN\d+", saved).group(0)

    # One local employee (QRG 3(i)), the ID type by button.
    expect(chat, chat.say("add an employee"), "which identification")
    expect(chat, tap_payload(chat, "mykad"), "identification number")
    serial = secrets.randbelow(900) * 2 + 1001
    expect(chat, chat.say(f"940314-10-{serial:04d}"), "full name")
    expect(chat, chat.say("Siti binti Ahmad"), "is that right")
    expect(chat, chat.answer("yes"), "start work")
    start = date.today() - timedelta(days=5)
    expect(chat, chat.say(f"{start:%d/%m/%Y}"), "monthly wage")
    expect(chat, chat.say("2,950"), "saved")

    # QRG 4: the forms to sign arrive as documents; the signed copies go back as files.
    replies = chat.say("upload documents")
    expect(chat, replies, "supporting documents")
    forms = documents_after(chat, replies, 3)
    names = {f["file_name"] for f in forms}
    assert {"borang_1.pdf", "borang_2.pdf", "borang_sip_1.pdf"} <= names, names
    assert emulator.file_bytes(forms[0]["file_id"]).startswith(b"%PDF")
    chat.say("not yet")
    for doc_type in ("ssm_extract", "borang_1", "borang_2"):
        said = all_text(
            send_file(chat, small_pdf(doc_type), f"{doc_type}.pdf", "application/pdf", doc_type)
        )
        assert "I saved" in said and reference in said, chat
    said = all_text(send_file(chat, small_png(), "sip.png", "image/png", "borang_sip_1", True))
    assert "I saved" in said and "SIP 1" in said, chat
    # A file of the wrong kind gets a clear answer, without reaching the registration.
    refused = all_text(send_file(chat, b"GIF89a....", "scan.gif", "image/gif", "borang_1")).lower()
    assert "pdf, jpeg or png" in refused, chat

    replies = chat.say("submit my registration")
    expect(chat, replies, "proceed for submission")
    replies = (
        chat.answer("/affirm")
        if any(b.get("callback_data") == "/affirm" for m in chat.last for b in keyboard_of(m))
        else chat.say("yes")
    )
    said = expect(chat, replies, "registration is successful")
    code = re.search(r"\b[A-Z]\d{10}[A-Z]\b", said).group(0)
    assert code.startswith("E14") and rules.has_valid_check_letter(code), code
    letters = documents_after(chat, replies, 3)
    for letter in letters:
        assert letter["file_name"].endswith(".pdf"), letter
        body = emulator.file_bytes(letter["file_id"])
        assert body.startswith(b"%PDF") and code in pdf_text(body), letter["file_name"]
    mail = newest_email_to(real_stack.outbox_dir, employer_email, timeout=30)
    assert code in email_text(mail)


def test_contribution_submission_with_the_acr_slip_and_a_payment_button_over_telegram(
    emulator: Emulator,  # noqa: F811
    real_stack: Stack,
    gateway: None,
) -> None:
    """QRG 5-8 on Telegram: a seeded employer submits last month (buttons tapped), gets the
    ACR/ECR acknowledgement, the bank-counter slip for the ACR as a PDF document, and the FPX
    payment link as a URL button."""
    from tests.backend.contribution_helpers import seed
    from tests.fullstack.test_contribution_flow import MONTHS_EN, last_month
    from tests.fullstack.test_portal_id import pdf_text

    year, month = last_month()
    month_label = f"{MONTHS_EN[month - 1]} {year}"
    seed(
        SimpleNamespace(database_url=real_stack.database_url),
        email=f"tg.boss.{secrets.token_hex(4)}@example.com",
        sender_id="tg-3004",
        code=f"E{secrets.randbelow(10**10):010d}Q",
    )
    chat = TelegramChat(emulator, user(3004, "en"))
    replies = chat.say("I want to submit my contribution")
    expect(chat, replies, "Employer Contribution Pending List")
    expect(chat, tap_payload(chat, '"both"'), "contribution month")
    chat.say(month_label)
    expect(chat, tap_payload(chat, '"Monthly"'), "Employee 1 of 3")
    expect(chat, tap_payload(chat, '"same"'), "Employee 2 of 3")
    chat.say("3000")
    expect(chat, tap_payload(chat, '"same"'), "Summary")
    expect(chat, tap_payload(chat, '"submit"'), "Proceed for submission?")
    replies = chat.tap("/affirm")
    ack = expect(chat, replies, "Contribution received")
    acr = re.search(r"ACR\w{12}", ack).group(0)
    if not any(b.get("callback_data") == "/pay_at_bank" for m in chat.last for b in keyboard_of(m)):
        replies = chat._reply()  # "Would you like to pay now?" may come in a second burst

    # The bank-counter slip: which reference (buttons), then the PDF as a document.
    replies = chat.tap("/pay_at_bank")
    if not any(m.get("document") for m in replies):
        replies = tap_payload(chat, acr)
    [slip] = documents_after(chat, replies, 1)
    assert slip["file_name"] == f"{acr}.pdf", slip
    body = emulator.file_bytes(slip["file_id"])
    assert body.startswith(b"%PDF") and acr in pdf_text(body)

    # Paying online: the FPX link arrives as a URL button.
    replies = chat.say("I want to pay my contribution")
    assert acr in all_text(replies), chat
    replies = tap_payload(chat, '"all"')
    if not any(m.get("link") for m in replies):
        replies = tap_payload(chat, '"B2C"')
    [link] = [m["link"] for m in replies if m.get("link")]
    assert "/pay/" in link["url"] and link["url"].startswith("http"), link
