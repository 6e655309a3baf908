"""QRG 4 documents: uploads judged by content, the signed upload page, generated forms."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader

from backend.services import registration_documents as documents
from tests.backend.helpers import install_clock
from tests.backend.registration_helpers import (
    BASE,
    LOCAL_EMPLOYEE,
    create_company,
    headers,
    login_chat,
    small_jpeg,
    small_pdf,
    small_png,
    upload,
)


@pytest.fixture
def setup(client, backend_app, backend_settings, service_headers):  # type: ignore[no-untyped-def]
    clock = install_clock(backend_app)
    login_chat(backend_settings)
    hdrs = headers(service_headers)
    reg = create_company(client, hdrs)
    return hdrs, reg["id"], clock


def _get(client, url: str):  # type: ignore[no-untyped-def]
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}" if parts.query else parts.path)


def test_real_pdf_png_jpeg_accepted(client, setup, backend_settings) -> None:  # type: ignore[no-untyped-def]
    hdrs, rid, _ = setup
    res = upload(client, hdrs, rid, "ssm_extract", small_pdf(), "extract.PDF")
    assert res.status_code == 201, res.text
    doc = res.json()
    assert doc["media_type"] == "application/pdf" and doc["description"] == "ssm_extract copy"
    assert doc["remarks"] == "signed" and doc["filename"] == "extract.PDF"
    # The file is in the documents folder under the registration's reference.
    stored = list(backend_settings.documents_dir.glob("registrations/CRN*/uploads/*.pdf"))
    assert len(stored) == 1 and stored[0].read_bytes().startswith(b"%PDF-")
    # The owner's signed link serves it back.
    assert _get(client, doc["url"]).content == stored[0].read_bytes()

    # Content decides, not the name: a PNG called .pdf is a PNG.
    res = upload(client, hdrs, rid, "others", small_png(), "photo.pdf")
    assert res.status_code == 201 and res.json()["media_type"] == "image/png"
    res = upload(client, hdrs, rid, "others", small_jpeg(), "scan.jpg")
    assert res.status_code == 201 and res.json()["media_type"] == "image/jpeg"

    listing = client.get(f"{BASE}/{rid}/documents", headers=hdrs).json()
    assert [d["doc_type"] for d in listing["documents"]] == ["ssm_extract", "others", "others"]
    ssm = next(i for i in listing["checklist"] if i["doc_type"] == "ssm_extract")
    assert ssm["uploaded"] == 1 and ssm["mandatory"]
    reg = client.get(f"{BASE}/{rid}", headers=hdrs).json()
    assert "ssm_extract" not in reg["missing_documents"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"just some text pretending to be a PDF", "type_not_allowed"),
        (b"%PDF-1.7\nthis is not really a pdf at all\n%%EOF", "pdf_broken"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "png_broken"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "jpeg_broken"),
        (b"MZ\x90\x00 executable", "type_not_allowed"),
        (b"", "empty"),
    ],
)
def test_wrong_content_415(client, setup, data: bytes, reason: str) -> None:  # type: ignore[no-untyped-def]
    hdrs, rid, _ = setup
    res = upload(client, hdrs, rid, "ssm_extract", data, "extract.pdf")
    assert res.status_code == 415, res.text
    detail = res.json()["detail"]
    assert detail["code"] == "unsupported_file" and detail["reason"] == reason
    assert detail["message"]


def test_too_large_413(client, setup) -> None:  # type: ignore[no-untyped-def]
    hdrs, rid, _ = setup
    pdf = small_pdf()
    too_big = pdf + b"\n%" + b"x" * (documents.MAX_UPLOAD_BYTES + 1 - len(pdf) - 2)
    assert len(too_big) == 10 * 1024 * 1024 + 1
    res = upload(client, hdrs, rid, "ssm_extract", too_big)
    assert res.status_code == 413
    assert res.json()["detail"]["code"] == "file_too_large"
    assert "10 MB" in res.json()["detail"]["message"]


def test_unknown_doc_type_and_remove(client, setup) -> None:  # type: ignore[no-untyped-def]
    hdrs, rid, _ = setup
    res = upload(client, hdrs, rid, "owner_id", small_pdf())  # a domestic-only document
    assert res.status_code == 422 and res.json()["detail"]["code"] == "invalid_doc_type"
    doc = upload(client, hdrs, rid, "others", small_pdf()).json()
    assert client.delete(f"{BASE}/{rid}/documents/{doc['id']}", headers=hdrs).status_code == 204
    assert client.get(f"{BASE}/{rid}/documents", headers=hdrs).json()["documents"] == []


def test_generated_forms(client, setup) -> None:  # type: ignore[no-untyped-def]
    hdrs, rid, _ = setup
    forms = client.get(f"{BASE}/{rid}/forms", headers=hdrs).json()["forms"]
    assert [f["kind"] for f in forms] == ["borang_1", "borang_sip_1"]  # no employees yet
    client.post(f"{BASE}/{rid}/employees", json=LOCAL_EMPLOYEE, headers=hdrs)
    forms = client.get(f"{BASE}/{rid}/forms", headers=hdrs).json()["forms"]
    assert [f["kind"] for f in forms] == ["borang_1", "borang_2", "borang_sip_1"]
    texts = {}
    for form in forms:
        res = _get(client, form["url"])
        assert res.status_code == 200 and res.headers["content-type"] == "application/pdf"
        reader = PdfReader(io.BytesIO(res.content))
        texts[form["kind"]] = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "BORANG 1" in texts["borang_1"] and "Tan Hardware Sdn Bhd" in texts["borang_1"]
    assert "201901012345" in texts["borang_1"]
    assert "SITI BINTI AHMAD" in texts["borang_2"] and "900101-14-5678" in texts["borang_2"]
    assert "BORANG SIP 1" in texts["borang_sip_1"]


def test_domestic_forms(client, setup) -> None:  # type: ignore[no-untyped-def]
    hdrs, _, _ = setup
    res = client.post(
        BASE,
        json={
            "registration_type": "domestic",
            "nationality": "malaysian",
            "registration_no": "850315105123",
            "employer_name": "Tan Ah Kow",
        },
        headers=hdrs,
    )
    rid = res.json()["id"]
    forms = client.get(f"{BASE}/{rid}/forms", headers=hdrs).json()["forms"]
    assert [f["kind"] for f in forms] == ["borang_ds"]
    text = PdfReader(io.BytesIO(_get(client, forms[0]["url"]).content)).pages[0].extract_text()
    assert "BORANG PENDAFTARAN DS" in text and "850315-10-5123" in text


def test_upload_page(client, setup, backend_settings) -> None:  # type: ignore[no-untyped-def]
    hdrs, rid, clock = setup
    res = client.post(f"{BASE}/{rid}/upload-link", headers=hdrs)
    assert res.status_code == 200
    link = res.json()
    assert link["expires_in_seconds"] == 24 * 3600
    path = urlsplit(link["url"]).path
    assert re.fullmatch(r"/upload/[\w\-.]+", path)

    page = client.get(path)
    assert page.status_code == 200
    html = page.text
    assert '<label for="file">' in html and 'enctype="multipart/form-data"' in html
    assert 'name="doc_type"' in html and "ssm_extract" in html
    assert page.headers["cache-control"] == "no-store"
    malay = client.get(path + "?lang=ms")
    assert "Muat naik dokumen sokongan" in malay.text

    res = client.post(
        path,
        data={"doc_type": "ssm_extract", "description": "Extract", "remarks": ""},
        files={"file": ("extract.pdf", small_pdf(), "application/pdf")},
    )
    assert res.status_code == 200 and "extract.pdf" in res.text
    assert 'role="status"' in res.text
    res = client.post(
        path,
        data={"doc_type": "ssm_extract"},
        files={"file": ("fake.pdf", b"plain text", "application/pdf")},
    )
    assert res.status_code == 415 and 'role="alert"' in res.text
    docs = client.get(f"{BASE}/{rid}/documents", headers=hdrs).json()["documents"]
    assert [d["filename"] for d in docs] == ["extract.pdf"]

    # Forged, for another purpose, or expired: refused.
    assert client.get("/upload/forged-token").status_code == 403
    other_token = documents.files.file_token(backend_settings, "registration-pdf", rid)
    assert client.get(f"/upload/{other_token}").status_code == 403


def test_upload_link_expires(client, setup, backend_settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    hdrs, rid, _ = setup
    path = urlsplit(client.post(f"{BASE}/{rid}/upload-link", headers=hdrs).json()["url"]).path
    monkeypatch.setattr(documents, "UPLOAD_LINK_MAX_AGE_SECONDS", -1)
    res = client.get(path)
    assert res.status_code == 403 and "expired" in res.text


def test_upload_page_refusal_in_malay(client, setup) -> None:  # type: ignore[no-untyped-def]
    hdrs, rid, _ = setup
    path = urlsplit(client.post(f"{BASE}/{rid}/upload-link", headers=hdrs).json()["url"]).path
    res = client.post(
        path + "?lang=ms",
        data={"doc_type": "ssm_extract"},
        files={"file": ("nota.pdf", b"bukan pdf", "application/pdf")},
    )
    assert res.status_code == 415
    assert "Hanya fail PDF, JPEG dan PNG diterima" in res.text
    res = client.post(path + "?lang=ms", data={"doc_type": "ssm_extract"})
    assert res.status_code == 422 and "Pilih fail untuk dimuat naik." in res.text
