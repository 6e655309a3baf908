"""QRG 1 end to end: apply for a portal ID and log in from the chat, through the hub over HTTP.

Every process is real (``stack`` fixture): hub → Rasa → action server → backend → database,
outbox and PDF. Runs once on SQLite and once on PostgreSQL when ``TEST_DATABASE_URL`` is set.

    .venv/bin/python -m pytest tests/fullstack -m fullstack
"""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import text

from backend.security.pii import decrypt, load_keys
from backend.settings import Settings
from tests.fullstack.chat import (
    ChatError,
    all_text,
    asked_field,
    button_payload,
    documents,
    drive_portal_form,
    email_text,
    emails_to,
    new_client,
    newest_email_to,
    send,
    sender_id,
    six_digit_code,
)

pytestmark = pytest.mark.fullstack


@dataclass
class Applicant:
    name: str
    mykad: str  # as typed, with dashes
    email: str
    mobile: str
    company: str
    role: str

    def answers(self) -> dict[str, str]:
        return {
            "name": self.name,
            "mykad": self.mykad,
            "email": self.email,
            "mobile": self.mobile,
            "company": self.company,
            "role": self.role,
        }

    @property
    def mykad_digits(self) -> str:
        return re.sub(r"\D", "", self.mykad)


def make_applicant(language: str) -> Applicant:
    tag = secrets.token_hex(4)
    day = secrets.randbelow(28) + 1
    serial = f"{secrets.randbelow(9000) + 1000}"
    if language == "ms":
        return Applicant(
            name="Siti Nurhaliza binti Ahmad",
            mykad=f"8805{day:02d}-10-{serial}",
            email=f"siti.{tag}@contoh.com.my",
            mobile="012-345 6789",
            company="Kedai Runcit Maju Jaya Sdn Bhd",
            role="Pengarah",
        )
    return Applicant(
        name="Aminah binti Abdullah",
        mykad=f"9001{day:02d}-14-{serial}",
        email=f"aminah.{tag}@example.com",
        mobile="012-345 6789",
        company="Syarikat Maju Jaya Sdn Bhd",
        role="Director",
    )


class Transcript(list):
    def __str__(self) -> str:
        return "\n".join(f"> {user}\n< {bot}" for user, bot in self)


def say(client: httpx.Client, transcript: Transcript, message: str) -> list[dict]:
    try:
        replies = send(client, message)
    except ChatError as exc:
        raise AssertionError(f"{exc}\ntranscript so far:\n{transcript}") from None
    transcript.append((message, all_text(replies).replace("\n", " | ")))
    return replies


_TEMP_PASSWORD_CUES = ("temporary password", "kata laluan sementara", "password", "kata laluan")


def temporary_password(body: str) -> str:
    """The first token after a 'temporary password' cue that looks like a generated password."""
    lowered = body.lower()
    for cue in _TEMP_PASSWORD_CUES:
        at = lowered.find(cue)
        while at != -1:
            after = body[at + len(cue) : at + len(cue) + 200]
            for token in re.split(r"[\s:：]+", after):
                token = token.strip(".,;\"'()<>")
                if (
                    len(token) >= 8
                    and re.search(r"[A-Za-z]", token)
                    and re.search(r"\d", token)
                    and "/" not in token
                    and "@" not in token
                ):
                    return token
            at = lowered.find(cue, at + 1)
    raise AssertionError(f"no temporary password in the email:\n{body[:1500]}")


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def apply_and_check(stack, db, language: str, opener: str, session_language: str | None):
    applicant = make_applicant(language)
    transcript = Transcript()
    with new_client(stack.base_url, session_language) as client:
        first = say(client, transcript, opener)
        first_text = all_text(first).lower()
        if language == "ms":
            assert "nama" in first_text, f"the bot did not answer in Malay:\n{transcript}"
            assert "what is your" not in first_text, f"English in a Malay reply:\n{transcript}"
        else:
            assert "name" in first_text, f"the bot did not ask for the name:\n{transcript}"
        # The opener was sent already; continue from the question it produced.
        summary = _continue_form(client, applicant, first, transcript)
        summary_text = all_text(summary)
        assert applicant.email in summary_text, f"summary lacks the email:\n{transcript}"
        assert applicant.company in summary_text, f"summary lacks the company:\n{transcript}"
        # Every field can be corrected from the summary.
        assert any("change" in b["payload"] for m in summary for b in m.get("buttons") or []), (
            f"no change buttons on the summary:\n{transcript}"
        )
        final = say(client, transcript, button_payload(summary, "/affirm"))
        final_text = all_text(final).lower()
        cue = "kata laluan" if language == "ms" else "password"
        assert cue in final_text, f"no mention of the emailed password:\n{transcript}"
        docs = documents(final)
        assert docs, f"no document in the confirmation:\n{transcript}"
        pdf = httpx.get(docs[0]["url"], timeout=60)
        sender = sender_id(client, stack.secret_key)

    assert pdf.status_code == 200, f"GET {docs[0]['url']} → {pdf.status_code} {pdf.text[:300]}"
    assert pdf.content.startswith(b"%PDF"), pdf.headers.get("content-type")
    text_in_pdf = pdf_text(pdf.content)
    digits_in_pdf = re.sub(r"\D", "", text_in_pdf)
    assert applicant.name.lower() in text_in_pdf.lower(), text_in_pdf[:2000]
    assert applicant.mykad in text_in_pdf or applicant.mykad_digits in digits_in_pdf, text_in_pdf
    assert applicant.company.lower() in text_in_pdf.lower(), text_in_pdf[:2000]

    with db.connect() as conn:
        account = (
            conn.execute(
                text("SELECT * FROM portal_accounts WHERE email = :e"),
                {"e": applicant.email.lower()},
            )
            .mappings()
            .one_or_none()
        )
        assert account is not None, f"no portal_accounts row for {applicant.email}"
        application = (
            conn.execute(
                text("SELECT * FROM portal_applications WHERE account_id = :a"),
                {"a": account["id"]},
            )
            .mappings()
            .one_or_none()
        )
    assert account["full_name"] == applicant.name
    # MyKad numbers are encrypted at rest: the raw column never holds the number itself
    assert applicant.mykad_digits not in account["mykad"]
    assert stored_plain(account["mykad"]) == applicant.mykad_digits
    assert account["company_name"] == applicant.company
    assert account["company_role"] == applicant.role
    assert "123456789" in re.sub(r"\D", "", account["mobile"])
    assert account["temp_password_hash"], "no temporary password hash stored"
    assert account["must_change_password"] in (True, 1)
    assert application is not None, "no portal_applications row for the account"
    assert application["full_name"] == applicant.name
    assert applicant.mykad_digits not in application["mykad"]
    assert stored_plain(application["mykad"]) == applicant.mykad_digits
    assert application["email"] == applicant.email.lower()
    assert application["company_name"] == applicant.company
    assert application["company_role"] == applicant.role
    assert application["language"] == language
    assert application["sender_id"] == sender
    assert re.fullmatch(r"PID\d+", application["reference"]), application["reference"]

    mails = emails_to(stack.outbox_dir, applicant.email)
    assert mails, f"no .eml to {applicant.email} in {stack.outbox_dir}"
    body = email_text(mails[-1][1])
    assert "/login" in body, body[:1500]
    cue = "kata laluan sementara" if language == "ms" else "temporary password"
    assert cue in body.lower(), f"the email is not in the applicant's language:\n{body[:1500]}"
    password = temporary_password(body)
    from argon2 import PasswordHasher

    assert PasswordHasher().verify(account["temp_password_hash"], password)
    assert password not in all_text(final), "the temporary password must not be shown in the chat"
    return applicant


def stored_plain(stored: str) -> str:
    """An encrypted column's value, read with the keys the stack's backend uses.

    The stack and this test share the checkout's keys (ASSIST_DATA_KEY from the environment, else
    var/secrets.env); they are loaded afresh, not from the process cache other tests may have set.
    """
    return decrypt(stored, load_keys(Settings()).by_id())


def _continue_form(client, applicant, first_replies, transcript) -> list[dict]:
    try:
        return drive_portal_form(
            first_replies, applicant.answers(), lambda message: say(client, transcript, message)
        )
    except ChatError as exc:
        raise AssertionError(f"{exc}\n{transcript}") from None


def test_apply_for_portal_id_in_english(stack, db):
    apply_and_check(stack, db, "en", "I want to apply for a portal ID", None)


def test_apply_for_portal_id_in_malay(stack, db):
    apply_and_check(stack, db, "ms", "saya nak mohon ID portal", None)


def test_invalid_mykad_gets_a_specific_reply_and_the_form_continues(stack):
    applicant = make_applicant("en")
    transcript = Transcript()
    with new_client(stack.base_url) as client:
        replies = say(client, transcript, "I want to apply for a portal ID")
        for _ in range(3):
            if asked_field(replies) == "mykad":
                break
            assert asked_field(replies) == "name", f"unexpected question:\n{transcript}"
            replies = say(client, transcript, applicant.name)
        assert asked_field(replies) == "mykad", f"MyKad was not asked for:\n{transcript}"
        bad = say(client, transcript, "12345")
        bad_text = all_text(bad)
        assert re.search(r"mykad|ic\b|identity", bad_text, re.I), transcript
        # A specific reply says what is wrong and shows a right example (YYMMDD-PB-####).
        assert re.search(r"12|digit", bad_text, re.I), f"not specific:\n{transcript}"
        assert re.search(r"\d{6}-\d{2}-\d{4}", bad_text), f"no example given:\n{transcript}"
        good = say(client, transcript, applicant.mykad)
        assert asked_field(good) == "email", f"the form did not move on:\n{transcript}"


def create_account(service: httpx.Client, applicant: Applicant, language: str) -> dict:
    response = service.post(
        "/api/v1/portal-applications",
        json={
            "sender_id": f"web-fixture-{secrets.token_hex(6)}",
            "full_name": applicant.name,
            "mykad": applicant.mykad_digits,
            "email": applicant.email,
            "mobile": applicant.mobile,
            "company_name": applicant.company,
            "company_role": applicant.role,
            "language": language,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize(
    ("language", "opener", "agree"),
    [
        ("en", "login", ["I Agree", "agree", "/affirm"]),
        ("ms", "log masuk", ["Saya Setuju", "setuju", "agree", "/affirm"]),
    ],
)
def test_login_from_the_chat(stack, db, service, language, opener, agree):
    applicant = make_applicant(language)
    create_account(service, applicant, language)
    before = len(emails_to(stack.outbox_dir, applicant.email))
    transcript = Transcript()
    with new_client(stack.base_url) as client:
        replies = say(client, transcript, opener)
        assert asked_field(replies) == "email", f"the bot did not ask for the email:\n{transcript}"
        if language == "ms":
            assert "e-mel" in all_text(replies).lower() or "emel" in all_text(replies).lower()
        replies = say(client, transcript, applicant.email)
        mail = newest_email_to(stack.outbox_dir, applicant.email, after=before)
        code = six_digit_code(email_text(mail))
        replies = say(client, transcript, code)
        payload = button_payload(replies, agree)
        replies = say(client, transcript, payload)
        sender = sender_id(client, stack.secret_key)

    with db.connect() as conn:
        row = (
            conn.execute(
                text(
                    "SELECT c.account_id, a.email, a.terms_accepted_at FROM conversations c "
                    "LEFT JOIN portal_accounts a ON a.id = c.account_id WHERE c.sender_id = :s"
                ),
                {"s": sender},
            )
            .mappings()
            .one_or_none()
        )
    assert row is not None, f"no conversations row for {sender}"
    assert row["account_id"] is not None, f"conversation not logged in:\n{transcript}"
    assert row["email"] == applicant.email.lower()
    assert row["terms_accepted_at"] is not None, f"terms not recorded:\n{transcript}"


def test_a_field_can_be_changed_from_the_summary(stack, db):
    applicant = make_applicant("en")
    new_email = f"corrected.{secrets.token_hex(4)}@example.com"
    transcript = Transcript()
    with new_client(stack.base_url) as client:
        first = say(client, transcript, "I want to apply for a portal ID")
        summary = _continue_form(client, applicant, first, transcript)
        replies = say(client, transcript, button_payload(summary, '"email"'))
        assert asked_field(replies) == "email", f"the email was not asked again:\n{transcript}"
        summary = say(client, transcript, new_email)
        assert new_email in all_text(summary), f"the summary lacks the new email:\n{transcript}"
        assert applicant.email not in all_text(summary), transcript
        final = say(client, transcript, button_payload(summary, "/affirm"))
        assert documents(final), f"no document after the correction:\n{transcript}"

    with db.connect() as conn:
        emails = (
            conn.execute(
                text("SELECT email FROM portal_accounts WHERE email IN (:a, :b)"),
                {"a": applicant.email.lower(), "b": new_email},
            )
            .scalars()
            .all()
        )
    assert emails == [new_email], emails
    assert emails_to(stack.outbox_dir, new_email), "no email to the corrected address"
