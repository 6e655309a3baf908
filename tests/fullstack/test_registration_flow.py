"""QRG 2–4 end to end through the hub: register an employer, its employees, documents, submit.

Every process is real (``stack`` fixture): hub → Rasa → action server → backend → database,
documents folder, outbox and PDFs. The user logs in from the chat, then types what an employer
types; the assertions are what they would see (the bot's replies, the letters they download,
the email they get) plus what PERKESO's records then hold.

    ASSIST_TEST_MODEL=<model> .venv/bin/python -m pytest tests/fullstack/test_registration_flow.py
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from backend.domain import registration as rules
from tests.backend.registration_helpers import small_jpeg, small_pdf, small_png
from tests.fullstack.chat import (
    all_text,
    button_payload,
    documents,
    email_text,
    emails_to,
    new_client,
    newest_email_to,
    sender_id,
    six_digit_code,
)
from tests.fullstack.test_portal_id import Transcript, create_account, make_applicant, pdf_text

pytestmark = pytest.mark.fullstack

TODAY = date.today()


def talk(client: httpx.Client, transcript: Transcript, message: str) -> list[dict[str, Any]]:
    """One message through the hub, waiting out the per-sender rate limit (not forwarded)."""
    for _ in range(40):
        response = client.post("/api/v1/chat/messages", json={"text": message})
        assert response.status_code == 200, f"{message!r} → {response.status_code}\n{transcript}"
        body = response.json()
        if body.get("refused") == "rate_limited":
            time.sleep(3.5)
            continue
        assert not body.get("error") and not body.get("refused"), f"{body}\n{transcript}"
        replies = body["messages"]
        transcript.append((message, all_text(replies).replace("\n", " | ")))
        return replies
    raise AssertionError(f"still rate limited after 140 s\n{transcript}")


def expect(replies: list[dict[str, Any]], transcript: Transcript, *cues: str) -> str:
    """The reply's text; fails unless it contains one of the cues (case-insensitive)."""
    said = all_text(replies)
    assert any(cue.lower() in said.lower() for cue in cues), (
        f"expected one of {cues!r} in the reply:\n{said}\n--- transcript ---\n{transcript}"
    )
    return said


def login(stack, service, language: str, transcript: Transcript):  # type: ignore[no-untyped-def]
    """A new chat logged in to a new portal account (OTP from the outbox, terms accepted)."""
    applicant = make_applicant(language)
    create_account(service, applicant, language)
    before = len(emails_to(stack.outbox_dir, applicant.email))
    client = new_client(stack.base_url, language)
    expect(talk(client, transcript, "log masuk" if language == "ms" else "login"), transcript, "e")
    talk(client, transcript, applicant.email)
    code = six_digit_code(email_text(newest_email_to(stack.outbox_dir, applicant.email, before)))
    replies = talk(client, transcript, code)
    # The portal's terms of use ("I Agree" / "Saya Setuju") before anything else.
    expect(replies, transcript, "terms", "terma")
    replies = talk(client, transcript, button_payload(replies, "/affirm"))
    return client, applicant


def mykad_for(born: date) -> str:
    serial = secrets.randbelow(900) * 2 + 1001  # odd: male
    return f"{born:%y%m%d}-10-{serial:04d}"


def add_local_employee(client, transcript, name: str, mykad: str, start: date, wage: str) -> str:  # type: ignore[no-untyped-def]
    replies = talk(client, transcript, "add an employee")
    expect(replies, transcript, "which identification")
    replies = talk(client, transcript, button_payload(replies, "mykad"))
    expect(replies, transcript, "identification number")
    replies = talk(client, transcript, mykad)
    expect(replies, transcript, "full name")
    replies = talk(client, transcript, name)
    expect(replies, transcript, "is that right")
    replies = talk(client, transcript, "yes")
    expect(replies, transcript, "start work")
    replies = talk(client, transcript, f"{start:%d/%m/%Y}")
    expect(replies, transcript, "monthly wage")
    replies = talk(client, transcript, wage)
    return expect(replies, transcript, "saved")


def upload(client, transcript, data: bytes, filename: str, caption: str) -> str:  # type: ignore[no-untyped-def]
    """Attach a file in the widget (POST /api/v1/chat/files with the chat cookie)."""
    for _ in range(40):
        response = client.post(
            "/api/v1/chat/files",
            files={"file": (filename, data, "application/octet-stream")},
            data={"caption": caption},
        )
        body = response.json()
        if body.get("refused") == "rate_limited":
            time.sleep(3.5)
            continue
        said = all_text(body.get("messages") or [])
        transcript.append((f"[attach {filename} '{caption}']", said.replace("\n", " | ")))
        assert response.status_code == 200 and not body.get("refused"), f"{body}\n{transcript}"
        return said
    raise AssertionError("upload still rate limited")


def submit(client, transcript) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    replies = talk(client, transcript, "submit my registration")
    expect(replies, transcript, "proceed for submission", "teruskan")
    replies = talk(client, transcript, "yes")
    expect(replies, transcript, "registration is successful", "pendaftaran berjaya")
    return replies


def download_letters(replies, transcript) -> dict[str, str]:  # type: ignore[no-untyped-def]
    letters = documents(replies)
    assert letters, f"no letters offered in the chat:\n{transcript}"
    texts = {}
    for doc in letters:
        pdf = httpx.get(doc["url"], timeout=60)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), doc
        texts[doc["filename"]] = pdf_text(pdf.content)
    return texts


def test_sdn_bhd_with_two_local_and_one_foreign_employee(stack, service, db):
    transcript = Transcript()
    client, applicant = login(stack, service, "en", transcript)
    with client:
        # QRG 2: the employer.
        replies = talk(client, transcript, "I want to register my company as an employer")
        expect(replies, transcript, "business entity")
        replies = talk(client, transcript, "Sdn Bhd")
        expect(replies, transcript, "sub-business entity")
        replies = talk(client, transcript, button_payload(replies, "local_company"))
        if "which of these" in all_text(replies).lower():
            replies = talk(client, transcript, button_payload(replies, "/inform"))
        expect(replies, transcript, "registration number")
        # A number that is not SSM's format is refused with an example; then a right one.
        replies = talk(client, transcript, "ABC-123")
        expect(replies, transcript, "e.g.", "for example", "202")
        brn = f"2019 01 {secrets.randbelow(900000) + 100000:06d}"
        replies = talk(client, transcript, brn)
        expect(replies, transcript, "registered name")
        company = f"Maju Hardware {secrets.token_hex(2).upper()} Sdn Bhd"
        replies = talk(client, transcript, company)
        expect(replies, transcript, "what does the business do")
        replies = talk(client, transcript, "hardware retail shop")
        if "several industries" in all_text(replies).lower():
            replies = talk(client, transcript, button_payload(replies, '"G"'))
        expect(replies, transcript, "business address")
        replies = talk(client, transcript, "12 Jalan Ampang")
        replies = talk(client, transcript, "50450")
        expect(replies, transcript, "town or city")
        replies = talk(client, transcript, "Kuala Lumpur")
        employer_email = f"hr.{secrets.token_hex(4)}@example.com"
        replies = talk(client, transcript, employer_email)
        expect(replies, transcript, "phone")
        replies = talk(client, transcript, "03-2345 6789")
        expect(replies, transcript, "induction")
        replies = talk(client, transcript, button_payload(replies, "kuala_lumpur"))
        summary = expect(replies, transcript, "please check")
        assert company in summary and employer_email in summary, transcript
        replies = talk(client, transcript, button_payload(replies, "/affirm"))
        saved = expect(replies, transcript, "saved")
        reference = re.search(r"CRN\d+", saved).group(0)

        # QRG 3(i): two local employees; one aged 64 (second category, no EIS).
        young = mykad_for(date(1994, 3, 14))
        said = add_local_employee(
            client, transcript, "Siti binti Ahmad", young, TODAY - timedelta(days=5), "2,950"
        )
        assert "category 1" in said and "EIS (SIP) applies" in said, transcript
        old = mykad_for(date(1962, 5, 5))
        said = add_local_employee(
            client, transcript, "Lim Ah Seng", old, TODAY - timedelta(days=3), "1800"
        )
        assert "category 2" in said and "does not apply" in said, transcript

        # QRG 3(ii): a foreign employee, SSFW search first.
        replies = talk(client, transcript, "register a foreign worker")
        expect(replies, transcript, "ssfw")
        replies = talk(client, transcript, button_payload(replies, "/deny"))
        expect(replies, transcript, "full name, as in the passport")
        for answer, cue in [
            ("Budi Santoso", "date of birth"),
            ("15/06/1995", "male or female"),
            ("male", "nationality"),
            ("Indonesian", "passport number"),
            ("A1234567", "issued"),
            ("01/03/2014", "expire"),
        ]:
            expect(talk(client, transcript, answer), transcript, cue)
        # An expired passport is refused with the date; a valid one is accepted.
        expired = talk(client, transcript, "28/02/2024")
        expect(expired, transcript, "expired on 28/02/2024")
        for answer, cue in [
            (f"{TODAY.replace(year=TODAY.year + 8):%d/%m/%Y}", "permit number"),
            ("PLKS1234567", "pass / permit start"),
            (f"{TODAY - timedelta(days=20):%d/%m/%Y}", "pass / permit end"),
            (f"{TODAY.replace(year=TODAY.year + 1):%d/%m/%Y}", "next of kin"),
            ("Sri Wahyuni", "phone number"),
            ("+62 812 3456 7890", "related"),
            ("wife", "start work"),
            (f"{TODAY - timedelta(days=2):%d/%m/%Y}", "monthly wage"),
            ("RM1,700", "passport and pass / permit pages now"),
        ]:
            replies = talk(client, transcript, answer)
            expect(replies, transcript, cue)
        # The passport and permit pages inside the form: the link opens the upload page on that
        # item (no chat cookie); "Sent" is only taken once the page really holds them.
        link = next((m["link"]["url"] for m in replies if m.get("link")), None)
        assert link and link.endswith("?doc=foreign_worker_passport"), transcript
        early = talk(client, transcript, button_payload(replies, "/affirm"))
        expect(early, transcript, "don't see new passport")
        page = httpx.get(link, timeout=60)
        assert page.status_code == 200, page.text[:500]
        assert '<option value="foreign_worker_passport" selected>' in page.text
        done = httpx.post(
            link,
            data={"doc_type": "foreign_worker_passport", "description": "Budi passport"},
            files={"file": ("passport.jpg", small_jpeg(), "image/jpeg")},
            timeout=60,
        )
        assert done.status_code == 200 and "passport.jpg" in done.text, done.text[:500]
        refused = httpx.post(
            link,
            data={"doc_type": "foreign_worker_passport"},
            files={"file": ("passport.pdf", b"not really a pdf", "application/pdf")},
            timeout=60,
        )
        assert refused.status_code == 415, refused.status_code
        replies = talk(client, transcript, button_payload(early, "/affirm"))
        said = expect(replies, transcript, "check the foreign employee")
        assert "Passport and permit pages: uploaded" in said, transcript
        replies = talk(client, transcript, button_payload(replies, "/affirm"))
        said = expect(replies, transcript, "saved")
        assert "BUDI SANTOSO" in said and "category 1" in said, transcript
        assert "EIS does not cover foreign workers" in said, transcript
        assert "still to upload" not in said, transcript

        listing = expect(talk(client, transcript, "list my employees"), transcript, "(3)")
        assert "BUDI SANTOSO" in listing and re.sub(r"\D", "", young) not in listing

        # QRG 4: checklist, the generated forms, uploads, submit.
        replies = talk(client, transcript, "upload documents")
        expect(replies, transcript, "supporting documents")
        forms = documents(replies)
        assert {"borang_1.pdf", "borang_2.pdf", "borang_sip_1.pdf"} <= {
            f["filename"] for f in forms
        }, transcript
        borang_2_url = next(f["url"] for f in forms if f["filename"] == "borang_2.pdf")
        borang_2 = pdf_text(httpx.get(borang_2_url, timeout=60).content)
        assert "BUDI SANTOSO" in borang_2 and "LIM AH SENG" in borang_2, borang_2[:800]
        talk(client, transcript, "not yet")
        for doc_type in ("ssm_extract", "borang_1", "borang_2"):
            upload(client, transcript, small_pdf(doc_type), f"{doc_type}.pdf", doc_type)
        upload(client, transcript, small_png(), "sip1.png", "borang_sip_1")
        status = expect(
            talk(client, transcript, "what is the status of my registration?"),
            transcript,
            "ready to submit",
            "draft",
        )
        assert reference in status, transcript
        replies = submit(client, transcript)
        said = all_text(replies)
        code = re.search(r"\b[A-Z]\d{10}[A-Z]\b", said).group(0)
        assert rules.has_valid_check_letter(code) and code.startswith("E14"), code
        assert company in said, transcript
        letters = download_letters(replies, transcript)
        assert len(letters) == 4, transcript  # acknowledgement, induction, success, EIS rejection
        assert all(code in body for body in letters.values()), letters
        rejection = next(body for name, body in letters.items() if "eis" in name.lower())
        assert "BUDI SANTOSO" in rejection and "LIM AH SENG" in rejection, rejection[:800]
        assert "SITI BINTI AHMAD" not in rejection
        status = talk(client, transcript, "what is the status of my registration?")
        expect(status, transcript, code)
        sender = sender_id(client, stack.secret_key)

    mail = newest_email_to(stack.outbox_dir, employer_email)
    assert code in email_text(mail)
    assert len([p for p in mail.iter_attachments()]) == 4
    with db.connect() as conn:
        rows = (
            conn.execute(
                text(
                    "SELECT e.name, e.residency, e.category, e.eis_eligible, e.status, "
                    "r.employer_code, r.sender_id FROM employees e "
                    "JOIN employers r ON r.id = e.employer_id WHERE r.reference = :ref "
                    "ORDER BY e.id"
                ),
                {"ref": reference},
            )
            .mappings()
            .all()
        )
    assert [(r["name"], r["category"], bool(r["eis_eligible"])) for r in rows] == [
        ("SITI BINTI AHMAD", 1, True),
        ("LIM AH SENG", 2, False),
        ("BUDI SANTOSO", 1, False),
    ]
    assert {r["status"] for r in rows} == {"registered"}
    assert rows[0]["employer_code"] == code and rows[0]["sender_id"] == sender


def test_domestic_employer_with_a_foreign_maid_in_malay(stack, service, db):
    transcript = Transcript()
    client, applicant = login(stack, service, "ms", transcript)
    with client:
        replies = talk(client, transcript, "saya nak daftar sebagai majikan pembantu rumah")
        expect(replies, transcript, "individu untuk pekerja domestik")
        # A business entity is refused with the reason.
        replies = talk(client, transcript, "Sdn Bhd")
        expect(replies, transcript, "mesti seorang individu")
        replies = talk(client, transcript, button_payload(replies, "/affirm"))
        expect(replies, transcript, "kewarganegaraan")
        replies = talk(client, transcript, button_payload(replies, "malaysian"))
        expect(replies, transcript, "mykad")
        replies = talk(client, transcript, mykad_for(date(1980, 7, 7)))
        expect(replies, transcript, "nama penuh")
        name = f"Tan Mei Ling {secrets.token_hex(2).upper()}"
        replies = talk(client, transcript, name)
        expect(replies, transcript, "kerja")
        replies = talk(client, transcript, "pembantu rumah")
        expect(replies, transcript, "warga asing")
        replies = talk(client, transcript, button_payload(replies, "foreign"))
        expect(replies, transcript, "alamat rumah")
        talk(client, transcript, "12 Jalan SS2/24")
        expect(talk(client, transcript, "47300"), transcript, "bandar")
        talk(client, transcript, "Petaling Jaya")
        employer_email = f"mei.{secrets.token_hex(4)}@example.com"
        expect(talk(client, transcript, employer_email), transcript, "telefon")
        replies = talk(client, transcript, "012-345 6789")
        expect(replies, transcript, "induksi")
        replies = talk(client, transcript, button_payload(replies, "petaling_jaya"))
        summary = expect(replies, transcript, "sila semak")
        assert "Individu untuk Pekerja Domestik" in summary and name in summary
        replies = talk(client, transcript, button_payload(replies, "/affirm"))
        said = expect(replies, transcript, "disimpan")
        reference = re.search(r"CRN\d+", said).group(0)

        # The foreign domestic worker (offered as the next step).
        replies = talk(client, transcript, button_payload(replies, "register_foreign_employee"))
        expect(replies, transcript, "ssfw")
        replies = talk(client, transcript, "tiada")
        for answer, cue in [
            ("Rina Marlina", "tarikh lahir"),
            ("02/02/1998", "lelaki atau perempuan"),
            ("perempuan", "kewarganegaraan"),
            ("Filipina", "nombor pasport"),
            ("P7654321A", "dikeluarkan"),
            ("10/01/2025", "tamat tempoh"),
            ("09/01/2035", "permit"),
            ("PLKS7654321", "bermula"),
            (f"{TODAY - timedelta(days=10):%d/%m/%Y}", "tamat"),
            (f"{TODAY.replace(year=TODAY.year + 2):%d/%m/%Y}", "waris"),
            ("Maria Santos", "telefon"),
            ("+63 917 123 4567", "hubungan"),
            ("ibu", "mula bekerja"),
            (f"{TODAY - timedelta(days=4):%d/%m/%Y}", "gaji"),
            ("1500", "muat naik halaman pasport"),
        ]:
            replies = talk(client, transcript, answer)
            expect(replies, transcript, cue)
        replies = talk(client, transcript, button_payload(replies, "/deny"))  # Kemudian
        expect(replies, transcript, "sila semak pekerja asing")
        replies = talk(client, transcript, button_payload(replies, "/affirm"))
        said = expect(replies, transcript, "disimpan")
        assert "RINA MARLINA" in said and "SIP tidak meliputi pekerja asing" in said

        replies = talk(client, transcript, "muat naik dokumen")
        forms = {f["filename"] for f in documents(replies)}
        assert "borang_ds.pdf" in forms, transcript
        talk(client, transcript, "belum")
        upload(client, transcript, small_pdf("MyKad copy"), "ic.pdf", "owner_id")
        upload(client, transcript, small_pdf("Borang DS"), "ds.pdf", "borang_ds")
        replies = submit(client, transcript)
        said = all_text(replies)
        code = re.search(r"\b[A-Z]\d{10}[A-Z]\b", said).group(0)
        assert code.startswith("D") and rules.has_valid_check_letter(code), code
        letters = download_letters(replies, transcript)
        assert all(code in body for body in letters.values())
        assert any("RINA MARLINA" in body for body in letters.values())

    mail = newest_email_to(stack.outbox_dir, employer_email)
    assert code in email_text(mail)
    with db.connect() as conn:
        row = (
            conn.execute(
                text(
                    "SELECT r.registration_type, r.business_entity, r.nationality, "
                    "r.domestic_worker_residency, e.worker_type, e.category, e.eis_eligible "
                    "FROM employers r JOIN employees e ON e.employer_id = r.id "
                    "WHERE r.reference = :ref"
                ),
                {"ref": reference},
            )
            .mappings()
            .one()
        )
    assert row["registration_type"] == "domestic"
    assert row["business_entity"] == "domestic_individual" and row["nationality"] == "malaysian"
    assert row["worker_type"] == "domestic" and row["category"] == 1
    assert not row["eis_eligible"]


def test_continue_and_discard_a_draft(stack, service, db):
    transcript = Transcript()
    client, _ = login(stack, service, "en", transcript)
    with client:
        replies = talk(client, transcript, "register employer")
        replies = talk(client, transcript, "Sdn Bhd")
        replies = talk(client, transcript, button_payload(replies, "local_company"))
        if "which of these" in all_text(replies).lower():
            replies = talk(client, transcript, button_payload(replies, "/inform"))
        brn = f"2020 01 {secrets.randbelow(900000) + 100000:06d}"
        expect(talk(client, transcript, brn), transcript, "registered name")
        said = expect(talk(client, transcript, "bye"), transcript, "kept", "later", "bye")
        assert said
        # 'continue' goes back to the draft and asks only what is missing.
        replies = talk(client, transcript, "continue")
        said = expect(replies, transcript, "registration in progress")
        assert "registered name" in said.lower(), transcript
        talk(client, transcript, "cancel")
        replies = talk(client, transcript, "discard my draft")
        expect(replies, transcript, "can't be undone")
        replies = talk(client, transcript, button_payload(replies, "/affirm"))
        expect(replies, transcript, "discarded")
        expect(talk(client, transcript, "continue"), transcript, "nothing", "no ")
        sender = sender_id(client, stack.secret_key)
    with db.connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FROM employers WHERE sender_id = :s"), {"s": sender}
        ).scalar()
    assert left == 0
