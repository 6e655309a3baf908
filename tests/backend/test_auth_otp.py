"""Chat login by emailed one-time code, terms, and the conversation's account binding."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.db import get_sessionmaker
from backend.models import LoginCode
from tests.backend.helpers import create_account, emails, install_clock, last_email_match

SENDER = "web-session-1"
EMAIL = "tan@example.com"


@pytest.fixture
def clock(backend_app):  # type: ignore[no-untyped-def]
    return install_clock(backend_app)


@pytest.fixture
def account(client, service_headers, backend_settings) -> str:  # type: ignore[no-untyped-def]
    return create_account(client, service_headers, backend_settings)


def send(client, headers, sender: str = SENDER, email: str = EMAIL):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/auth/otp",
        json={"sender_id": sender, "email": email, "language": "en"},
        headers=headers,
    )


def verify(client, headers, code: str, sender: str = SENDER, email: str = EMAIL):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/auth/otp/verify",
        json={"sender_id": sender, "email": email, "code": code},
        headers=headers,
    )


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_service_token_required(client) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/api/v1/auth/otp", json={}).status_code == 401
    assert client.post("/api/v1/auth/otp/verify", json={}).status_code == 401
    assert client.post("/api/v1/auth/terms", json={"sender_id": "x"}).status_code == 401
    assert client.get("/api/v1/conversations/x/account").status_code == 401
    assert client.post("/api/v1/conversations/x/logout").status_code == 401


def test_no_account(client, service_headers) -> None:  # type: ignore[no-untyped-def]
    res = send(client, service_headers, email="nobody@example.com")
    assert res.status_code == 404 and res.json()["detail"]["code"] == "no_account"


def test_full_lifecycle(client, service_headers, backend_settings, account, clock) -> None:  # type: ignore[no-untyped-def]
    res = client.get(f"/api/v1/conversations/{SENDER}/account", headers=service_headers)
    assert res.status_code == 404 and res.json()["detail"]["code"] == "not_logged_in"
    res = client.post("/api/v1/auth/terms", json={"sender_id": SENDER}, headers=service_headers)
    assert res.status_code == 401 and res.json()["detail"]["code"] == "not_logged_in"

    res = send(client, service_headers, email="  TAN@example.com ")
    assert res.status_code == 200
    assert res.json() == {"status": "sent", "expires_in_seconds": 600}
    code = last_email_match(backend_settings, r"login code is (\d{6})")
    assert emails(backend_settings)[-1].to == EMAIL

    res = verify(client, service_headers, wrong(code))
    assert res.status_code == 400
    assert res.json()["detail"]["code"] == "wrong_code"
    assert res.json()["detail"]["tries_left"] == 4

    res = verify(client, service_headers, code)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["status"] == "verified"
    assert body["account"]["email"] == EMAIL
    assert body["account"]["full_name"] == "Tan Ah Kow"
    assert body["account"]["terms_accepted"] is False

    res = client.get(f"/api/v1/conversations/{SENDER}/account", headers=service_headers)
    assert res.status_code == 200 and res.json()["email"] == EMAIL
    res = client.post("/api/v1/auth/terms", json={"sender_id": SENDER}, headers=service_headers)
    assert res.json() == {"terms_accepted": True}
    account_view = client.get(f"/api/v1/conversations/{SENDER}/account", headers=service_headers)
    assert account_view.json()["terms_accepted"] is True

    # The code is single-use.
    res = verify(client, service_headers, code)
    assert res.status_code == 404 and res.json()["detail"]["code"] == "no_pending_code"

    res = client.post(f"/api/v1/conversations/{SENDER}/logout", headers=service_headers)
    assert res.status_code == 204
    res = client.get(f"/api/v1/conversations/{SENDER}/account", headers=service_headers)
    assert res.status_code == 404


def test_five_wrong_codes_lock(client, service_headers, backend_settings, account, clock) -> None:  # type: ignore[no-untyped-def]
    send(client, service_headers)
    code = last_email_match(backend_settings, r"login code is (\d{6})")
    for left in (4, 3, 2, 1):
        res = verify(client, service_headers, wrong(code))
        assert res.json()["detail"]["tries_left"] == left
    res = verify(client, service_headers, wrong(code))
    assert res.status_code == 423
    assert res.json()["detail"]["code"] == "locked"
    assert res.json()["detail"]["retry_after_seconds"] == 900
    # Even the right code and a new request are refused while locked.
    assert verify(client, service_headers, code).status_code == 423
    clock.advance(minutes=5)
    res = send(client, service_headers)
    assert res.status_code == 423
    assert res.json()["detail"]["retry_after_seconds"] == 600
    clock.advance(minutes=10, seconds=1)
    assert send(client, service_headers).status_code == 200
    fresh = last_email_match(backend_settings, r"login code is (\d{6})")
    assert verify(client, service_headers, fresh).status_code == 200


def test_expiry(client, service_headers, backend_settings, account, clock) -> None:  # type: ignore[no-untyped-def]
    send(client, service_headers)
    code = last_email_match(backend_settings, r"login code is (\d{6})")
    clock.advance(minutes=9, seconds=59)
    assert verify(client, service_headers, code).status_code == 200  # still valid at 9:59
    send(client, service_headers)
    code = last_email_match(backend_settings, r"login code is (\d{6})")
    clock.advance(minutes=10)
    res = verify(client, service_headers, code)
    assert res.status_code == 410 and res.json()["detail"]["code"] == "expired"
    # An expired code is gone: the next try has nothing pending.
    res = verify(client, service_headers, code)
    assert res.status_code == 404 and res.json()["detail"]["code"] == "no_pending_code"


def test_new_code_voids_old(client, service_headers, backend_settings, account, clock) -> None:  # type: ignore[no-untyped-def]
    send(client, service_headers)
    send(client, service_headers)
    with get_sessionmaker(backend_settings.database_url)() as db:
        codes = list(db.scalars(select(LoginCode).order_by(LoginCode.id)))
        assert codes[0].used_at is not None and codes[1].used_at is None
        assert all(c.code_hash.startswith("$argon2") for c in codes)


def test_new_code_does_not_reset_tries(
    client, service_headers, backend_settings, account, clock
) -> None:  # type: ignore[no-untyped-def]
    send(client, service_headers)
    code = last_email_match(backend_settings, r"login code is (\d{6})")
    for _ in range(3):
        verify(client, service_headers, wrong(code))
    send(client, service_headers)
    code = last_email_match(backend_settings, r"login code is (\d{6})")
    assert verify(client, service_headers, wrong(code)).json()["detail"]["tries_left"] == 1
    assert verify(client, service_headers, wrong(code)).status_code == 423


def test_code_bound_to_sender(client, service_headers, backend_settings, account, clock) -> None:  # type: ignore[no-untyped-def]
    send(client, service_headers)
    code = last_email_match(backend_settings, r"login code is (\d{6})")
    res = verify(client, service_headers, code, sender="tg-999")
    assert res.status_code == 404
    res = verify(client, service_headers, code)
    assert res.status_code == 200
    res = client.get("/api/v1/conversations/tg-999/account", headers=service_headers)
    assert res.status_code == 404


def test_malay_code_email(client, service_headers, backend_settings, account) -> None:  # type: ignore[no-untyped-def]
    res = client.post(
        "/api/v1/auth/otp",
        json={"sender_id": SENDER, "email": EMAIL, "language": "ms"},
        headers=service_headers,
    )
    assert res.status_code == 200
    assert last_email_match(backend_settings, r"Kod log masuk anda ialah (\d{6})")


def test_success_creates_conversation_row(
    client, service_headers, backend_settings, account
) -> None:  # type: ignore[no-untyped-def]
    from backend.models import Conversation

    send(client, service_headers, sender="tg-4242")
    code = last_email_match(backend_settings, r"login code is (\d{6})")
    assert verify(client, service_headers, code, sender="tg-4242").status_code == 200
    with get_sessionmaker(backend_settings.database_url)() as db:
        row = db.get(Conversation, "tg-4242")
        assert row is not None and row.channel == "telegram" and row.account_id is not None


def test_code_requests_are_capped(client, service_headers, account, clock) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        assert send(client, service_headers).status_code == 200
        clock.advance(minutes=1)
    res = send(client, service_headers)
    assert res.status_code == 423
    assert res.json()["detail"]["code"] == "locked"
    assert res.json()["detail"]["retry_after_seconds"] == 10 * 60
    clock.advance(minutes=10, seconds=1)
    assert send(client, service_headers).status_code == 200
