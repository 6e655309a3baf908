"""The staff console in Malay: every t("…") in the staff templates has a Malay line."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from backend.services.staff_strings import MALAY
from tests.backend.test_staff import AGENT, SUPERVISOR, sign_in, staff_accounts  # noqa: F401

TEMPLATES = Path(__file__).resolve().parents[2] / "backend" / "templates" / "staff"


def test_every_console_phrase_has_malay() -> None:
    used: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bt\("((?:[^"\\]|\\.)+)"\)""", text))
        used |= set(re.findall(r"""\bt\('((?:[^'\\]|\\.)+)'\)""", text))
    assert len(used) > 100
    missing = sorted(p for p in used if p not in MALAY)
    assert missing == []


def test_switching_to_malay(client: TestClient, staff_accounts) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = client.get("/staff/login")
    assert '<html lang="en">' in page.text and "Staff sign-in" in page.text
    res = client.get(
        "/staff/language?to=ms",
        headers={"referer": "http://testserver/staff/login"},
        follow_redirects=False,
    )
    assert res.status_code == 303 and res.headers["location"] == "/staff/login"
    page = client.get("/staff/login")
    assert '<html lang="ms">' in page.text and "Log masuk kakitangan" in page.text
    wrong = client.post(
        "/staff/login",
        data={"email": AGENT[0], "password": "nope", "csrf_token": _csrf(page.text)},
    )
    assert "Alamat e-mel atau kata laluan tidak betul." in wrong.text
    sign_in(client, *SUPERVISOR)
    lookup = client.get("/staff/lookup")
    assert "Carian" in lookup.text and "Papan pemuka" in lookup.text
    assert "Tiada sesiapa yang menunggu." in client.get("/staff/handoffs").text
    assert "Perbualan sehari mengikut saluran" in client.get("/staff/dashboard").text
    client.get("/staff/language?to=en")
    assert "Look-up" in client.get("/staff/lookup").text


def test_language_switch_never_redirects_off_site(client: TestClient) -> None:
    res = client.get(
        "/staff/language?to=ms",
        headers={"referer": "https://evil.example/x"},
        follow_redirects=False,
    )
    assert res.headers["location"] == "/staff/lookup"
    res = client.get("/staff/language?to=xx", follow_redirects=False)
    assert "assist_staff_lang=en" in res.headers["set-cookie"]


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
