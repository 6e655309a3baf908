"""The /account page lists the account's registrations: status, employer code, letters (en/ms)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from backend.db import get_sessionmaker
from backend.models import PortalAccount
from backend.services import web_auth
from tests.backend.helpers import install_clock
from tests.backend.registration_helpers import (
    BASE,
    LOCAL_EMPLOYEE,
    create_company,
    headers,
    login_chat,
    small_pdf,
    upload,
)


@pytest.fixture
def hdrs(client, backend_app, backend_settings, service_headers):  # type: ignore[no-untyped-def]
    install_clock(backend_app)
    login_chat(backend_settings)
    return headers(service_headers)


def _sign_in(client, settings, email: str) -> None:  # type: ignore[no-untyped-def]
    with get_sessionmaker(settings.database_url)() as db:
        account = db.query(PortalAccount).filter_by(email=email).one()
        client.cookies.set(web_auth.SESSION_COOKIE, web_auth.session_value(settings, account))


def _submitted(client, hdrs) -> dict:  # type: ignore[no-untyped-def]
    reg = create_company(client, hdrs)
    rid = reg["id"]
    assert (
        client.post(f"{BASE}/{rid}/employees", json=LOCAL_EMPLOYEE, headers=hdrs).status_code == 201
    )
    for doc_type in ("ssm_extract", "borang_1", "borang_2", "borang_sip_1"):
        assert upload(client, hdrs, rid, doc_type, small_pdf()).status_code == 201
    res = client.post(f"{BASE}/{rid}/submit", headers=hdrs)
    assert res.status_code == 200, res.text
    return res.json()


def test_account_lists_registrations_with_code_and_letters(
    client, hdrs, backend_settings, service_headers
) -> None:  # type: ignore[no-untyped-def]
    done = _submitted(client, hdrs)
    draft = client.post(
        BASE, json={"registration_type": "domestic", "nationality": "Malaysian"}, headers=hdrs
    ).json()
    # Another account's registration must not appear.
    login_chat(backend_settings, sender="web-other", email="other@example.com")
    theirs = create_company(
        client, headers(service_headers, "web-other"), registration_no="202101000888"
    )

    email = client.get(
        "/api/v1/conversations/web-employer-1/account", headers=service_headers
    ).json()["email"]
    _sign_in(client, backend_settings, email)
    page = client.get("/account?lang=en").text
    assert "Employer registrations" in page
    assert done["reference"] in page and done["employer_code"] in page
    assert "Registered" in page and "Tan Hardware Sdn Bhd" in page
    assert draft["reference"] in page and "Draft (not submitted)" in page
    assert "Domestic worker employer" in page and "discard my draft" in page
    assert theirs["reference"] not in page
    for letter in done["letters"]:
        assert letter["title"] in page
    url = done["letters"][0]["url"]
    assert urlsplit(url).path in page
    parts = urlsplit(url)
    pdf = client.get(f"{parts.path}?{parts.query}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    malay = client.get("/account?lang=ms").text
    assert "Pendaftaran majikan" in malay and "Kod majikan" in malay
    assert "Berdaftar" in malay and "Draf (belum dihantar)" in malay
    assert done["letters"][0]["title_ms"] in malay


def test_account_without_registrations_says_how_to_start(
    client, hdrs, backend_settings, service_headers
) -> None:  # type: ignore[no-untyped-def]
    email = client.get(
        "/api/v1/conversations/web-employer-1/account", headers=service_headers
    ).json()["email"]
    _sign_in(client, backend_settings, email)
    assert "No registrations yet" in client.get("/account?lang=en").text
