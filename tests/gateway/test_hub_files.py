"""``POST /internal/v1/hub/files``: a file sent on Telegram → the chat's draft registration."""

from __future__ import annotations

from tests.backend.helpers import install_clock
from tests.backend.registration_helpers import (
    BASE,
    create_company,
    headers,
    login_chat,
    small_pdf,
    small_png,
)

URL = "/internal/v1/hub/files"
SENDER = "tg-4242"


def _send(client, service_headers, data: bytes, filename: str, **form: str):  # type: ignore[no-untyped-def]
    return client.post(
        URL,
        headers=service_headers,
        data={"sender_id": SENDER, **form},
        files={"file": (filename, data, "application/octet-stream")},
    )


def test_needs_the_service_token(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        URL, data={"sender_id": SENDER}, files={"file": ("a.pdf", small_pdf(), "application/pdf")}
    )
    assert response.status_code == 401


def test_rejects_a_web_sender(client, service_headers) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        URL,
        headers=service_headers,
        data={"sender_id": "web-abc"},
        files={"file": ("a.pdf", small_pdf(), "application/pdf")},
    )
    assert response.status_code == 422


def test_without_a_registration_says_when_uploads_are_accepted(client, service_headers) -> None:  # type: ignore[no-untyped-def]
    reply = _send(client, service_headers, small_pdf(), "ssm.pdf", language_hint="ms").json()
    assert reply["refused"] == "no_registration"
    assert "langkah dokumen sokongan" in reply["messages"][0]["text"]
    both = _send(client, service_headers, small_pdf(), "ssm.pdf").json()
    assert "supporting-documents step" in both["messages"][0]["text"]
    assert "dokumen sokongan" in both["messages"][0]["text"]


def test_file_is_stored_in_the_draft_registration(  # type: ignore[no-untyped-def]
    client, backend_app, backend_settings, service_headers
) -> None:
    install_clock(backend_app)
    login_chat(backend_settings, sender=SENDER)
    hdrs = headers(service_headers, SENDER)
    registration = create_company(client, hdrs)
    checklist = client.get(f"{BASE}/{registration['id']}/documents", headers=hdrs).json()
    first_mandatory = next(i["doc_type"] for i in checklist["checklist"] if i["mandatory"])
    reply = _send(client, service_headers, small_pdf(), "SSM cert.pdf", language_hint="en").json()
    assert "refused" not in reply, reply
    assert reply["document"]["registration_id"] == registration["id"]
    assert reply["document"]["doc_type"] == first_mandatory
    assert "SSM cert.pdf" in reply["messages"][0]["text"]
    assert registration["reference"] in reply["messages"][0]["text"]

    # a caption naming a checklist item picks it
    reply = _send(client, service_headers, small_png(), "photo.png", caption="borang_1").json()
    assert reply["document"]["doc_type"] == "borang_1"
    assert reply["document"]["media_type"] == "image/png"

    listed = client.get(f"{BASE}/{registration['id']}/documents", headers=hdrs).json()
    assert sorted(d["filename"] for d in listed["documents"]) == ["SSM cert.pdf", "photo.png"]

    # the content decides, not the name
    bad = _send(client, service_headers, b"MZ\x90\x00 not a pdf", "virus.pdf").json()
    assert bad["refused"] == "unsupported_file"
    assert "virus.pdf" in bad["messages"][0]["text"]
    assert "checked by its content" in bad["messages"][0]["text"]  # both languages: no hint
    assert "disemak melalui kandungannya" in bad["messages"][0]["text"]

    history = client.get(f"{BASE}/{registration['id']}/documents", headers=hdrs).json()
    assert len(history["documents"]) == 2


def test_over_ten_megabytes_is_refused_with_the_reason(  # type: ignore[no-untyped-def]
    client, backend_app, backend_settings, service_headers
) -> None:
    install_clock(backend_app)
    login_chat(backend_settings, sender=SENDER)
    create_company(client, headers(service_headers, SENDER))
    big = small_pdf() + b"0" * (10 * 1024 * 1024)
    reply = _send(client, service_headers, big, "huge.pdf", language_hint="ms").json()
    assert reply["refused"] == "file_too_large"
    assert reply["messages"][0]["text"].startswith("Saya tidak dapat menerima huge.pdf: saiznya")
    assert "melebihi 10 MB" in reply["messages"][0]["text"]


def test_transcript_masks_identifiers_in_file_names(
    client, backend_settings, service_headers
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from backend.db import get_sessionmaker
    from backend.models import ConversationMessage

    _send(client, service_headers, small_pdf(), "IC 900101-14-5678.pdf", caption="IC 900101145678")
    with get_sessionmaker(backend_settings.database_url)() as db:
        rows = db.scalars(
            select(ConversationMessage).where(ConversationMessage.sender_id == SENDER)
        ).all()
    dumped = repr([(row.text, row.data) for row in rows])
    assert "file" in dumped and "IC " in dumped
    assert "900101-14-5678" not in dumped and "900101145678" not in dumped
