"""``POST /api/v1/chat/files``: a document attached in the web widget → the chat's draft
registration, through the same code as Telegram's files (backend/hub/files.py)."""

from __future__ import annotations

from backend.hub import sessions
from tests.backend.helpers import install_clock
from tests.backend.registration_helpers import (
    BASE,
    create_company,
    headers,
    login_chat,
    small_pdf,
)

URL = "/api/v1/chat/files"


def _web_sender(client, language: str = "en") -> str:  # type: ignore[no-untyped-def]
    assert client.post("/api/v1/chat/session", json={"language": language}).status_code == 200
    session = sessions.decode(
        client.cookies.get("assist_chat"), client.app.state.settings.assist_secret_key
    )
    assert session is not None
    return session.sender_id


def _attach(client, data: bytes, filename: str, **form: str):  # type: ignore[no-untyped-def]
    response = client.post(
        URL, data=form, files={"file": (filename, data, "application/octet-stream")}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_needs_a_chat_session(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post(URL, files={"file": ("a.pdf", small_pdf(), "application/pdf")})
    assert response.status_code == 401


def test_outside_a_registration_says_when_uploads_are_accepted(client) -> None:  # type: ignore[no-untyped-def]
    _web_sender(client, "ms")
    reply = _attach(client, small_pdf(), "ssm.pdf")
    assert reply["refused"] == "no_registration"
    assert "langkah dokumen sokongan" in reply["messages"][0]["text"]
    history = client.get("/api/v1/chat/history").json()["messages"]
    assert history[-1]["role"] == "bot" and "dokumen sokongan" in history[-1]["text"]


def test_web_upload_stored_wrong_type_and_too_big_refused(  # type: ignore[no-untyped-def]
    client, backend_app, backend_settings, service_headers
) -> None:
    install_clock(backend_app)
    sender = _web_sender(client, "en")
    login_chat(backend_settings, sender=sender)
    hdrs = headers(service_headers, sender)
    registration = create_company(client, hdrs)

    stored = _attach(client, small_pdf(), "SSM cert.pdf")
    assert "refused" not in stored, stored
    assert stored["document"]["registration_id"] == registration["id"]
    assert "SSM cert.pdf" in stored["messages"][0]["text"]
    assert registration["reference"] in stored["messages"][0]["text"]

    wrong = _attach(client, b"MZ\x90\x00 not a pdf", "virus.pdf")
    assert wrong["refused"] == "unsupported_file"
    assert wrong["messages"][0]["text"].startswith("I couldn't accept virus.pdf")
    assert "PDF, JPEG or PNG" in wrong["messages"][0]["text"]

    big = _attach(client, small_pdf() + b"0" * (10 * 1024 * 1024), "huge.pdf")
    assert big["refused"] == "file_too_large"
    assert "larger than 10 MB" in big["messages"][0]["text"]

    listed = client.get(f"{BASE}/{registration['id']}/documents", headers=hdrs).json()
    assert [d["filename"] for d in listed["documents"]] == ["SSM cert.pdf"]
