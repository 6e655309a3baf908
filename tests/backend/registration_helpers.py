"""Helpers for the registration tests: logged-in chats, a complete draft, small real files."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime

from reportlab.pdfgen import canvas

from backend.db import get_sessionmaker
from backend.models import PortalAccount
from backend.services import conversations
from tests.backend.helpers import APPLICANT

BASE = "/api/v1/registrations"
SENDER = "web-employer-1"
OTHER_SENDER = "web-employer-2"

COMPANY = {
    "business_entity": "sdn_bhd",
    "sub_entity": "local_company",
    "sub_entity_item": "limited_by_shares",
    "registration_no": "2019 01 012345",
    "employer_name": "Tan Hardware Sdn Bhd",
    "industry_code": "G",
    "address_line1": "12 Jalan Ampang",
    "postcode": "50450",
    "city": "Kuala Lumpur",
    "email": "hr@tanhardware.example.com",
    "phone": "03-2345 6789",
    "induction_office": "kuala_lumpur",
}
LOCAL_EMPLOYEE = {
    "residency": "local",
    "id_type": "mykad",
    "id_no": "900101-14-5678",
    "name": "Siti binti Ahmad",
    "start_date": "2025-12-15",
    "monthly_wage": "2,950.00",
}
FOREIGN_EMPLOYEE = {
    "residency": "foreign",
    "name": "Budi Santoso",
    "date_of_birth": "1992-04-02",
    "gender": "male",
    "nationality": "Indonesian",
    "passport_no": "B1234567",
    "passport_start": "2022-01-10",
    "passport_end": "2032-01-09",
    "permit_no": "PLKS123456",
    "permit_start": "2025-12-01",
    "permit_end": "2026-11-30",
    "kin_name": "Sri Wahyuni",
    "kin_phone": "+62 812 3456 7890",
    "kin_relationship": "spouse",
    "start_date": "2025-12-20",
    "monthly_wage": "1700",
}


def login_chat(
    settings, sender: str = SENDER, email: str = APPLICANT["email"], terms: bool = True
) -> int:  # type: ignore[no-untyped-def]
    """Make a portal account (if needed) and bind the chat to it, as the OTP login does."""
    now = datetime(2026, 1, 5, 9, 0)
    with get_sessionmaker(settings.database_url)() as db:
        account = db.query(PortalAccount).filter_by(email=email).one_or_none()
        if account is None:
            account = PortalAccount(
                email=email,
                full_name="Tan Ah Kow",
                mykad="850315105123",
                mobile="+60123456789",
                company_name="Tan Hardware Sdn Bhd",
                company_role="Owner",
                must_change_password=False,
                terms_accepted_at=now if terms else None,
            )
            db.add(account)
            db.flush()
        conversations.bind_account(db, sender, account.id, now)
        db.commit()
        return account.id


def headers(service_headers: dict[str, str], sender: str = SENDER) -> dict[str, str]:
    return {**service_headers, "X-Sender-Id": sender}


def small_pdf(text: str = "SSM company extract") -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def small_png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def small_jpeg() -> bytes:
    """SOI, a baseline SOF0 frame header (8x8, 1 component), EOI: enough for the header check."""
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 8, 8, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + sof + b"\xff\xd9"


def create_company(client, hdrs, **overrides):  # type: ignore[no-untyped-def]
    body = {"registration_type": "employer", **COMPANY, **overrides}
    res = client.post(BASE, json=body, headers=hdrs)
    assert res.status_code == 201, res.text
    return res.json()


def upload(client, hdrs, reg_id: int, doc_type: str, data: bytes, name: str = "doc.pdf"):  # type: ignore[no-untyped-def]
    return client.post(
        f"{BASE}/{reg_id}/documents",
        headers=hdrs,
        data={"doc_type": doc_type, "description": f"{doc_type} copy", "remarks": "signed"},
        files={"file": (name, data, "application/octet-stream")},
    )
