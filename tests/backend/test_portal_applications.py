"""QRG 1 through the service API: validation, PDF, account, activation email, download link."""

from __future__ import annotations

import io
import logging
import re
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from backend.db import get_sessionmaker
from backend.models import OutboxEmail, PortalAccount, PortalApplication

URL = "/api/v1/portal-applications"
GOOD = {
    "sender_id": "web-abc",
    "full_name": "Siti Nurhaliza binti Ahmad",
    "mykad": "900101-14-5678",
    "email": "Siti@Example.com",
    "mobile": "012-345 6789",
    "company_name": "Kedai Runcit Siti & Anak Sdn Bhd",
    "company_role": "Director",
    "language": "en",
}


def apply(client, headers, **overrides):  # type: ignore[no-untyped-def]
    return client.post(URL, json={**GOOD, **overrides}, headers=headers)


def db_session(backend_settings):  # type: ignore[no-untyped-def]
    return get_sessionmaker(backend_settings.database_url)()


def test_requires_service_token(client) -> None:  # type: ignore[no-untyped-def]
    assert client.post(URL, json=GOOD).status_code == 401
    bad = {"Authorization": "Bearer nope"}
    res = client.post(URL, json=GOOD, headers=bad)
    assert res.status_code == 401
    assert res.json()["detail"]["code"] == "unauthorized"


def test_application_end_to_end(client, service_headers, backend_settings, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    res = apply(client, service_headers)
    assert res.status_code == 201, res.text
    body = res.json()
    assert re.fullmatch(r"PID\d+", body["reference"])
    assert body["email"] == "siti@example.com"
    assert body["email_sent"] is True
    assert set(body) == {"id", "reference", "form_pdf_url", "email", "email_sent"}

    # The signed link serves the PDF with a proper filename.
    parts = urlsplit(body["form_pdf_url"])
    assert parts.netloc == "testserver"
    pdf = client.get(f"{parts.path}?{parts.query}")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert body["reference"] in pdf.headers["content-disposition"]
    pages = PdfReader(io.BytesIO(pdf.content)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert "Siti Nurhaliza binti Ahmad" in text
    assert "900101-14-5678" in text
    assert "Kedai Runcit Siti & Anak Sdn Bhd" in text
    assert "BORANG PERMOHONAN ENROLMENT PENGGUNAAN PORTAL ASSIST" in text
    assert body["reference"] in text

    # A tampered or foreign token is refused.
    assert client.get(f"{parts.path}?t=forged").status_code == 403
    other = parts.path.rsplit("/", 1)[0] + "/999"
    assert client.get(f"{other}?{parts.query}").status_code == 403

    with db_session(backend_settings) as db:
        account = db.scalar(select(PortalAccount))
        assert account.email == "siti@example.com"
        assert account.mykad == "900101145678"
        assert account.mobile == "+60123456789"
        assert account.must_change_password and account.password_hash is None
        application = db.scalar(select(PortalApplication))
        assert application.account_id == account.id and application.sender_id == "web-abc"
        email = db.scalar(select(OutboxEmail))
        assert email.to == "siti@example.com"
        match = re.search(r"Temporary password: (\S+)", email.body)
        assert match
        password = match.group(1)
        assert "siti@example.com" in email.body and "http://testserver/login" in email.body
        assert "spam" in email.body
        assert email.attachments and email.attachments[0].endswith(".pdf")

    eml_files = list(backend_settings.outbox_dir.glob("*.eml"))
    assert len(eml_files) == 1
    assert b"application/pdf" in eml_files[0].read_bytes()
    # The temporary password is never in the API answer nor the logs.
    assert password not in res.text
    assert password not in caplog.text
    assert "900101145678" not in caplog.text and "900101-14-5678" not in caplog.text


def test_duplicate_email_409(client, service_headers) -> None:  # type: ignore[no-untyped-def]
    assert apply(client, service_headers).status_code == 201
    res = apply(client, service_headers, email="siti@example.com ")
    assert res.status_code == 409
    assert res.json()["detail"]["code"] == "account_exists"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mykad", "900101-00-5678"),
        ("mykad", "12345"),
        ("mykad", "901301-14-5678"),
        ("email", "not-an-email"),
        ("mobile", "0312345678"),
        ("full_name", ""),
        ("full_name", "Ali 123"),
        ("company_name", " "),
        ("company_role", ""),
        ("language", "fr"),
    ],
)
def test_invalid_fields_422(client, service_headers, field: str, value: str) -> None:  # type: ignore[no-untyped-def]
    res = apply(client, service_headers, **{field: value})
    assert res.status_code == 422
    detail = res.json()["detail"]
    assert detail["code"] == f"invalid_{field}"
    assert detail["message"].startswith(f"{field}:")


def test_missing_field_uses_contract_shape(client, service_headers) -> None:  # type: ignore[no-untyped-def]
    body = {k: v for k, v in GOOD.items() if k != "mobile"}
    res = client.post(URL, json=body, headers=service_headers)
    assert res.status_code == 422
    assert res.json()["detail"]["code"] == "invalid_mobile"


def test_malay_activation_email(client, service_headers, backend_settings) -> None:  # type: ignore[no-untyped-def]
    assert apply(client, service_headers, language="ms").status_code == 201
    with db_session(backend_settings) as db:
        email = db.scalar(select(OutboxEmail))
        assert "Kata laluan sementara" in email.body and "spam" in email.body
