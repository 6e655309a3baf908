"""QRG 4 SUBMIT: completeness, employer code, the four letters, email and status."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader

from backend.domain import registration as rules
from tests.backend.helpers import emails, install_clock
from tests.backend.registration_helpers import (
    BASE,
    FOREIGN_EMPLOYEE,
    LOCAL_EMPLOYEE,
    create_company,
    headers,
    login_chat,
    small_pdf,
    small_png,
    upload,
)


@pytest.fixture
def hdrs(client, backend_app, backend_settings, service_headers):  # type: ignore[no-untyped-def]
    install_clock(backend_app)
    login_chat(backend_settings)
    return headers(service_headers)


def _pdf_text(client, url: str) -> str:  # type: ignore[no-untyped-def]
    parts = urlsplit(url)
    res = client.get(f"{parts.path}?{parts.query}")
    assert res.status_code == 200 and res.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(res.content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_submit_incomplete_422(client, hdrs) -> None:  # type: ignore[no-untyped-def]
    res = client.post(BASE, json={"registration_type": "employer"}, headers=hdrs)
    rid = res.json()["id"]
    res = client.post(f"{BASE}/{rid}/submit", headers=hdrs)
    assert res.status_code == 422
    detail = res.json()["detail"]
    assert detail["code"] == "incomplete"
    assert "business_entity" in detail["missing_fields"]
    assert detail["needs_employee"] is True
    assert "at least one employee" in detail["message"]

    reg = create_company(client, hdrs, registration_no="202001099999")
    rid = reg["id"]
    upload(client, hdrs, rid, "ssm_extract", small_pdf())
    client.post(f"{BASE}/{rid}/employees", json=LOCAL_EMPLOYEE, headers=hdrs)
    detail = client.post(f"{BASE}/{rid}/submit", headers=hdrs).json()["detail"]
    assert detail["missing_fields"] == [] and detail["needs_employee"] is False
    assert detail["missing_documents"] == ["borang_1", "borang_2", "borang_sip_1"]
    assert client.get(f"{BASE}/{rid}", headers=hdrs).json()["status"] == "draft"


def test_submit_complete(client, hdrs, backend_settings, service_headers) -> None:  # type: ignore[no-untyped-def]
    reg = create_company(client, hdrs)
    rid = reg["id"]
    assert (
        client.post(f"{BASE}/{rid}/employees", json=LOCAL_EMPLOYEE, headers=hdrs).status_code == 201
    )
    assert (
        client.post(f"{BASE}/{rid}/employees", json=FOREIGN_EMPLOYEE, headers=hdrs).status_code
        == 201
    )
    for doc_type in ("ssm_extract", "borang_1", "borang_2"):
        assert upload(client, hdrs, rid, doc_type, small_pdf()).status_code == 201
    assert upload(client, hdrs, rid, "borang_sip_1", small_png(), "sip1.png").status_code == 201

    res = client.post(f"{BASE}/{rid}/submit", headers=hdrs)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["message"] == "Registration is successful" and body["status"] == "submitted"
    code = body["employer_code"]
    assert rules.is_employer_code_shape(code) and rules.has_valid_check_letter(code)
    assert code.startswith("E14")  # employer, Kuala Lumpur (state 14)
    assert body["employer_name"] == "Tan Hardware Sdn Bhd"
    kinds = [letter["kind"] for letter in body["letters"]]
    assert kinds == ["acknowledgement", "induction", "success", "eis_rejection"]
    assert body["email"] == "hr@tanhardware.example.com" and body["email_sent"] is True

    texts = {letter["kind"]: _pdf_text(client, letter["url"]) for letter in body["letters"]}
    for text in texts.values():
        assert code in text and "Tan Hardware Sdn Bhd" in text
    assert "Registration is successful" in texts["success"]
    assert "PERKESO Wilayah Persekutuan Kuala Lumpur" in texts["induction"]
    assert reg["reference"] in texts["acknowledgement"]
    assert "BUDI SANTOSO" in texts["eis_rejection"]
    assert "SITI BINTI AHMAD" not in texts["eis_rejection"]  # EIS covers her

    mail = emails(backend_settings)[-1]
    assert mail.to == "hr@tanhardware.example.com" and code in mail.subject
    assert code in mail.body and len(mail.attachments) == 4

    status = client.get(f"{BASE}/{rid}", headers=hdrs).json()
    assert status["status"] == "submitted" and status["employer_code"] == code
    assert [letter["kind"] for letter in status["letters"]] == kinds
    staff = client.get(f"{BASE}/{rid}/employees", headers=hdrs).json()["employees"]
    assert {e["status"] for e in staff} == {"registered"}
    foreign = next(e for e in staff if e["residency"] == "foreign")
    assert foreign["ssfw_no"] and len(foreign["ssfw_no"]) == 12

    again = client.post(f"{BASE}/{rid}/submit", headers=hdrs)
    assert again.status_code == 409 and again.json()["detail"]["employer_code"] == code
    res = client.post(f"{BASE}/{rid}/employees", json=LOCAL_EMPLOYEE, headers=hdrs)
    assert res.status_code == 409
    # A registered employee is now found in existing records by another registration.
    other = create_company(client, hdrs, registration_no="202101000777")
    found = client.get(
        f"{BASE}/{other['id']}/employees/search",
        params={"id_type": "mykad", "id_no": "900101145678"},
        headers=hdrs,
    ).json()
    assert found["found"] and found["source"] == "existing_records"
    assert found["employee"]["name"] == "SITI BINTI AHMAD"

    # Another account learns only that the person is insured: no name, nothing beyond the MyKad.
    login_chat(backend_settings, sender="web-someone-else", email="else@example.com")
    stranger = headers(service_headers, "web-someone-else")
    theirs = create_company(client, stranger, registration_no="202101000888")
    seen = client.get(
        f"{BASE}/{theirs['id']}/employees/search",
        params={"id_type": "mykad", "id_no": "900101145678"},
        headers=stranger,
    ).json()
    assert seen["found"] and seen["source"] == "existing_records_other_employer"
    assert "SITI" not in str(seen) and "name" not in seen["employee"]
    assert seen["prefill"] == {"date_of_birth": "1990-01-01", "gender": "female"}


def test_no_eis_rejection_when_all_covered_and_no_email(client, hdrs, backend_settings) -> None:  # type: ignore[no-untyped-def]
    res = client.post(
        BASE,
        json={
            "registration_type": "domestic",
            "nationality": "malaysian",
            "registration_no": "850315-10-5123",
            "employer_name": "Tan Ah Kow",
            "domestic_worker_type": "housemaid",
            "domestic_worker_residency": "local",
            "address_line1": "5 Jalan Mawar",
            "postcode": "80000",
            "city": "Johor Bahru",
            "phone": "07-123 4567",
            "induction_office": "johor_bahru",
        },
        headers=hdrs,
    )
    assert res.status_code == 201, res.text
    reg = res.json()
    assert reg["missing_fields"] == []
    rid = reg["id"]
    client.post(f"{BASE}/{rid}/employees", json=LOCAL_EMPLOYEE, headers=hdrs)
    upload(client, hdrs, rid, "owner_id", small_png(), "ic.png")
    upload(client, hdrs, rid, "borang_ds", small_pdf())
    before = len(emails(backend_settings))
    res = client.post(f"{BASE}/{rid}/submit", headers=hdrs)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["employer_code"].startswith("D01")  # domestic employer, Johor (state 01)
    assert [letter["kind"] for letter in body["letters"]] == [
        "acknowledgement",
        "induction",
        "success",
    ]
    assert body["email"] is None and body["email_sent"] is False
    assert len(emails(backend_settings)) == before  # no address: links only
