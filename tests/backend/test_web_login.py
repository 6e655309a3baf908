"""Web sign-in (QRG 1 steps 5–7): temporary password once, forced change + terms, account page."""

from __future__ import annotations

import re

import pytest

from tests.backend.helpers import create_account, install_clock

EMAIL = "tan@example.com"
NEW_PASSWORD = "a-much-better-secret"


@pytest.fixture
def temp_password(client, service_headers, backend_settings) -> str:  # type: ignore[no-untyped-def]
    return create_account(client, service_headers, backend_settings)


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def login(client, password: str, email: str = EMAIL):  # type: ignore[no-untyped-def]
    page = client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )


def change(client, new: str, confirm: str, agree: bool = True):  # type: ignore[no-untyped-def]
    page = client.get("/login/new-password")
    data = {"new_password": new, "confirm_password": confirm, "csrf_token": csrf(page.text)}
    if agree:
        data["agree"] = "yes"
    return client.post("/login/new-password", data=data, follow_redirects=False)


def test_login_page_is_plain_html(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login")
    assert page.status_code == 200
    assert '<label for="email">' in page.text and 'type="password"' in page.text
    assert "http" not in page.text.split("<body>")[0].replace("http-equiv", "")  # no CDN
    assert "assist_csrf" in page.headers["set-cookie"].lower()
    assert "httponly" in page.headers["set-cookie"].lower()


def test_full_first_login(client, temp_password) -> None:  # type: ignore[no-untyped-def]
    # Account page needs a session.
    assert client.get("/account", follow_redirects=False).headers["location"] == "/login"

    res = login(client, temp_password, email=" TAN@Example.com")
    assert res.status_code == 303
    assert res.headers["location"] == "/login/new-password"
    cookie = res.headers["set-cookie"].lower()
    assert "assist_web=" in cookie and "httponly" in cookie
    # Until the password is changed the account page sends the user back.
    assert client.get("/account", follow_redirects=False).headers["location"] == (
        "/login/new-password"
    )

    page = client.get("/login/new-password")
    assert "I Agree" in page.text and "Terms of use" in page.text

    res = change(client, "short", "short")
    assert res.status_code == 422 and "at least 10 characters" in res.text
    res = change(client, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert res.status_code == 422 and "not the same" in res.text
    res = change(client, NEW_PASSWORD, NEW_PASSWORD, agree=False)
    assert res.status_code == 422 and "I Agree" in res.text
    res = change(client, NEW_PASSWORD, NEW_PASSWORD)
    assert res.status_code == 303 and res.headers["location"].startswith("/account")

    page = client.get("/account")
    assert page.status_code == 200
    assert "Tan Ah Kow" in page.text and EMAIL in page.text
    assert "850315-**-***3" in page.text and "850315105123" not in page.text
    assert "Tan Hardware Sdn Bhd" in page.text
    assert re.search(r"PID\d+", page.text)
    assert "Nothing yet." in page.text
    link = re.search(r'href="(http://testserver/files/portal-form/\d+\?t=[^"]+)"', page.text)
    assert link
    pdf = client.get(link.group(1).replace("http://testserver", "").replace("&amp;", "&"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # Log out (CSRF protected), then the temporary password no longer works; the new one does.
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    res = client.post("/logout", data={"csrf_token": csrf(page.text)}, follow_redirects=False)
    assert res.status_code == 303
    client.cookies.delete("assist_web")
    res = login(client, temp_password)
    assert res.status_code == 401 and "not correct" in res.text
    res = login(client, NEW_PASSWORD)
    assert res.status_code == 303 and res.headers["location"] == "/account"


def test_wrong_password_and_lockout(client, backend_app, temp_password) -> None:  # type: ignore[no-untyped-def]
    clock = install_clock(backend_app)
    res = login(client, "wrong-password")
    assert res.status_code == 401
    assert "The email or password is not correct. You have 4 tries left." in res.text
    for _ in range(3):
        login(client, "wrong-password")
    res = login(client, "wrong-password")
    assert res.status_code == 423
    assert "Try again in 15 minutes" in res.text
    # Locked: even the right password is refused.
    assert login(client, temp_password).status_code == 423
    clock.advance(minutes=15, seconds=1)
    assert login(client, temp_password).status_code == 303


def test_unknown_email_same_message(client) -> None:  # type: ignore[no-untyped-def]
    res = login(client, "whatever-password", email="nobody@example.com")
    assert res.status_code == 401 and "The email or password is not correct." in res.text


def test_csrf_required(client, temp_password) -> None:  # type: ignore[no-untyped-def]
    client.get("/login")
    res = client.post("/login", data={"email": EMAIL, "password": temp_password})
    assert res.status_code == 400


def test_forged_session_cookie_ignored(client) -> None:  # type: ignore[no-untyped-def]
    client.cookies.set("assist_web", "eyJhIjoxfQ.forged.sig")
    assert client.get("/account", follow_redirects=False).headers["location"] == "/login"


def test_malay_pages(client, temp_password) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login?lang=ms")
    assert '<html lang="ms">' in page.text and "Log masuk ke ASSIST" in page.text
    assert "assist_lang=ms" in page.headers["set-cookie"]
    res = login(client, "wrong-password")  # the language cookie is remembered
    assert "E-mel atau kata laluan tidak betul. Anda ada 4 cubaan lagi." in res.text
    res = login(client, temp_password)
    page = client.get("/login/new-password")
    assert "Terma penggunaan" in page.text and "Saya Setuju" in page.text
    res = change(client, "short", "short")
    assert "sekurang-kurangnya 10 aksara" in res.text
    assert change(client, NEW_PASSWORD, NEW_PASSWORD).status_code == 303
    page = client.get("/account")
    assert "Akaun saya" in page.text and "Tiada lagi." in page.text
    assert "Muat turun borang (PDF)" in page.text
    assert "Accept" not in page.text  # no English leaking into the Malay page
    assert '<html lang="en">' in client.get("/account?lang=en").text


def test_browser_language_preference(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login", headers={"Accept-Language": "ms-MY,ms;q=0.9,en;q=0.8"})
    assert "Log masuk ke ASSIST" in page.text
