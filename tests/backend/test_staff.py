"""Helpline staff console (issue 6): staff sign-in, audit log, look-up, reveal and re-send."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from backend.db import get_sessionmaker
from backend.models import Contribution, Employer, RegistrationLetter, StaffAudit
from backend.services.staff_auth import create_staff
from tests.backend.contribution_helpers import EMPLOYER_CODE, seed
from tests.backend.helpers import create_account, emails, install_clock

SUPERVISOR = ("sup@perkeso.example", "A strong supervisor pass")
AGENT = ("agent@perkeso.example", "A strong agent password")


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


@pytest.fixture
def staff_accounts(backend_settings, backend_app) -> None:  # type: ignore[no-untyped-def]
    with get_sessionmaker(backend_settings.database_url)() as db:
        create_staff(db, SUPERVISOR[0], "Sue Pervisor", SUPERVISOR[1], "supervisor")
        create_staff(db, AGENT[0], "Ali Agent", AGENT[1], "agent")
        db.commit()


def sign_in(client, email: str, password: str):  # type: ignore[no-untyped-def]
    page = client.get("/staff/login")
    return client.post(
        "/staff/login",
        data={"email": email, "password": password, "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )


def audit_rows(settings) -> list[StaffAudit]:  # type: ignore[no-untyped-def]
    with get_sessionmaker(settings.database_url)() as db:
        return list(db.scalars(select(StaffAudit).order_by(StaffAudit.id)))


def test_sign_in_sets_separate_http_only_cookie(client, staff_accounts) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/staff/login")
    assert page.status_code == 200 and '<label for="email">' in page.text
    assert client.get("/staff/lookup", follow_redirects=False).headers["location"] == "/staff/login"
    res = sign_in(client, *AGENT)
    assert res.status_code == 303 and res.headers["location"] == "/staff/lookup"
    cookie = res.headers["set-cookie"].lower()
    assert "assist_staff=" in cookie and "httponly" in cookie and "path=/staff" in cookie
    assert "secure" not in cookie  # http test server
    assert client.get("/staff/lookup").status_code == 200


def test_secure_cookie_on_https(backend_settings, staff_accounts) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from backend.main import create_app

    app = create_app(backend_settings.model_copy(update={"assist_public_url": "https://x.test"}))
    with TestClient(app, base_url="https://testserver") as client:
        res = sign_in(client, *AGENT)
        assert res.status_code == 303
        assert "secure" in res.headers["set-cookie"].lower()


def test_login_needs_csrf(client, staff_accounts) -> None:  # type: ignore[no-untyped-def]
    client.get("/staff/login")
    res = client.post(
        "/staff/login", data={"email": AGENT[0], "password": AGENT[1], "csrf_token": "forged"}
    )
    assert res.status_code == 400
    assert "assist_staff" not in res.headers.get("set-cookie", "")


def test_lockout_after_five_failures(client, backend_app, staff_accounts) -> None:  # type: ignore[no-untyped-def]
    clock = install_clock(backend_app)
    for _ in range(4):
        assert sign_in(client, AGENT[0], "wrong password!").status_code == 401
    res = sign_in(client, AGENT[0], "wrong password!")
    assert res.status_code == 423 and res.headers["retry-after"] == "900"
    assert sign_in(client, *AGENT).status_code == 423  # even the right password
    clock.advance(minutes=15, seconds=1)
    assert sign_in(client, *AGENT).status_code == 303


def test_portal_and_chat_cookies_do_not_open_staff_pages(  # type: ignore[no-untyped-def]
    client, service_headers, backend_settings, staff_accounts
) -> None:
    temp = create_account(client, service_headers, backend_settings)
    page = client.get("/login")
    res = client.post(
        "/login",
        data={"email": "tan@example.com", "password": temp, "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert res.status_code == 303 and "assist_web" in client.cookies
    client.post("/api/v1/chat/session", json={"language": "en"})
    assert "assist_chat" in client.cookies
    for url in ("/staff/lookup?q=tan", "/staff/audit", "/staff/employers/1"):
        res = client.get(url, follow_redirects=False)
        assert res.status_code == 303 and res.headers["location"] == "/staff/login", url
        assert (
            client.get(url + "&format=json" if "?" in url else url + "?format=json").status_code
            == 401
        )
    # Nor does a portal session value copied into the staff cookie name.
    client.cookies.set("assist_staff", client.cookies.get("assist_web"), path="/staff")
    assert client.get("/staff/audit?format=json").status_code == 401


def test_agent_cannot_read_audit_supervisor_can(client, backend_settings, staff_accounts) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, *AGENT)
    assert client.get("/staff/audit").status_code == 403
    assert client.get("/staff/audit?format=json").status_code == 403
    client.cookies.clear()
    sign_in(client, *SUPERVISOR)
    page = client.get("/staff/audit")
    assert page.status_code == 200 and "<h1>Audit log</h1>" in page.text
    entries = client.get("/staff/audit?format=json").json()["entries"]
    actions = [e["action"] for e in entries]
    assert "sign_in" in actions and "view_audit" in actions
    assert any(e["staff_email"] == AGENT[0] for e in entries)


def test_logout(client, backend_settings, staff_accounts) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, *AGENT)
    page = client.get("/staff/lookup")
    assert client.post("/staff/logout", data={"csrf_token": "x"}).status_code == 400
    res = client.post("/staff/logout", data={"csrf_token": csrf(page.text)}, follow_redirects=False)
    assert res.headers["location"] == "/staff/login?logged_out=1"
    assert client.get("/staff/lookup", follow_redirects=False).status_code == 303
    assert [r.action for r in audit_rows(backend_settings)] == ["sign_in", "sign_out"]


@pytest.fixture
def employer(backend_settings, backend_app) -> dict:  # type: ignore[type-arg]
    ids = seed(backend_settings)
    with get_sessionmaker(backend_settings.database_url)() as db:
        row = db.get(Employer, ids["employer_id"])
        assert row is not None
        row.email = "boss@tanhardware.example"
        db.add(
            RegistrationLetter(
                employer_id=row.id, kind="registration_letter", storage_key="x/letter.pdf"
            )
        )
        db.add(
            Contribution(
                employer_id=row.id,
                month="2026-01",
                contribution_type="Monthly",
                act="both",
                status="submitted",
                acr_no="ACR000000000001",
                ecr_no="ECR000000000001",
            )
        )
        db.add(
            Contribution(
                employer_id=row.id, month="2026-02", contribution_type="Monthly", act="both"
            )
        )
        db.commit()
    return ids


def test_lookup_by_code_ssm_name_and_employee_ids(  # type: ignore[no-untyped-def]
    client, backend_settings, staff_accounts, employer
) -> None:
    sign_in(client, *AGENT)
    for q in (EMPLOYER_CODE.lower(), "201901000005", "tan hard"):
        found = client.get(f"/staff/lookup?q={q}&format=json").json()
        assert [e["id"] for e in found["employers"]] == [employer["employer_id"]], q
    for q in ("900101-14-5678", "A12345678", "123456789012"):
        found = client.get("/staff/lookup", params={"q": q, "format": "json"}).json()
        assert len(found["employees"]) == 1, q
        assert found["employees"][0]["employer_id"] == employer["employer_id"]
    page = client.get("/staff/lookup", params={"q": "900101145678"})
    results = page.text.split("</form>", 2)[-1]  # the search box echoes what was typed
    assert "900101-**-***8" in results and "900101145678" not in results
    rows = audit_rows(backend_settings)
    lookups = [r for r in rows if r.action == "lookup"]
    assert len(lookups) == 7
    assert all("900101145678" not in r.subject and "14-5678" not in r.subject for r in lookups)


def test_employer_page_masks_and_reveal_is_audited(  # type: ignore[no-untyped-def]
    client, backend_app, backend_settings, staff_accounts, employer
) -> None:
    clock = install_clock(backend_app)
    clock.now = datetime(2026, 3, 20, 2, 0)  # 20 March in Malaysia
    sign_in(client, *AGENT)
    eid = employer["employer_id"]
    page = client.get(f"/staff/employers/{eid}")
    assert page.status_code == 200
    assert "900101-**-***8" in page.text and "900101145678" not in page.text
    assert "ACR000000000001" in page.text and "2026-02" in page.text
    assert "/files/registration-pdf/" in page.text
    detail = client.get(f"/staff/employers/{eid}?format=json").json()
    assert detail["months_submitted"] == ["2026-01"]
    # The draft for February and the months nobody started (the employees joined in 2024; the
    # chat looks 12 months back), the same list the employer sees in the chat.
    due = {row["month"]: row for row in detail["months_due"]}
    assert "2026-01" not in due and "2026-02" in due and "2025-04" in due
    assert detail["months_pending"] == sorted(due)
    assert due["2026-02"]["overdue"] is True and due["2026-02"]["due_date"] == "2026-03-15"
    assert 'id="months-due"' in page.text and "2025-12: due 2026-01-15" in page.text
    # Reveal is a POST with CSRF.
    first = employer["employee_ids"][0]
    assert client.get(f"/staff/employers/{eid}/reveal").status_code == 405
    bad = client.post(
        f"/staff/employers/{eid}/reveal", data={"employee_id": first, "csrf_token": "x"}
    )
    assert bad.status_code == 400
    res = client.post(
        f"/staff/employers/{eid}/reveal",
        data={"employee_id": first, "csrf_token": csrf(page.text)},
    )
    assert res.status_code == 200 and "900101145678" in res.text
    reveal = [r for r in audit_rows(backend_settings) if r.action == "reveal_id"]
    assert len(reveal) == 1 and reveal[0].employer_id == eid
    assert reveal[0].detail == {"employee_id": first} and "145678" not in reveal[0].subject


def test_resend_letter_by_email_is_audited(  # type: ignore[no-untyped-def]
    client, backend_settings, staff_accounts, employer
) -> None:
    sign_in(client, *AGENT)
    eid = employer["employer_id"]
    page = client.get(f"/staff/employers/{eid}")
    letter_id = client.get(f"/staff/employers/{eid}?format=json").json()["letters"][0]["id"]
    res = client.post(
        f"/staff/employers/{eid}/resend",
        data={"kind": "letter", "item_id": letter_id, "csrf_token": csrf(page.text)},
    )
    assert res.status_code == 200 and "Sent the registration_letter" in res.text
    sent = emails(backend_settings)[-1]
    assert sent.to == "boss@tanhardware.example" and "/files/registration-pdf/" in sent.body
    row = [r for r in audit_rows(backend_settings) if r.action == "resend_email"][0]
    assert row.detail == {"kind": "letter", "item_id": letter_id}
    assert "boss@tanhardware.example" not in row.subject
    missing = client.post(
        f"/staff/employers/{eid}/resend",
        data={"kind": "letter", "item_id": 999, "csrf_token": csrf(page.text)},
    )
    assert missing.status_code == 404


def test_create_supervisor_command(backend_settings, backend_app, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from backend.jobs import create_supervisor

    url = backend_settings.database_url
    monkeypatch.setenv("STAFF_PASSWORD", "short")
    assert (
        create_supervisor.main(["--email", "a@b.example", "--name", "A", "--database-url", url])
        == 2
    )
    monkeypatch.setenv("STAFF_PASSWORD", "long enough password")
    args = ["--email", "Boss@PERKESO.example", "--name", "Boss", "--database-url", url]
    assert create_supervisor.main(args) == 0
    assert "created supervisor boss@perkeso.example" in capsys.readouterr().out
    assert create_supervisor.main(args) == 2  # already exists
    monkeypatch.delenv("STAFF_PASSWORD")
    answers = iter(["prompted password 1", "prompted password 1"])
    monkeypatch.setattr(create_supervisor.getpass, "getpass", lambda prompt: next(answers))
    assert (
        create_supervisor.main(
            [
                "--email",
                "ag@perkeso.example",
                "--name",
                "Ag",
                "--role",
                "agent",
                "--database-url",
                url,
            ]
        )
        == 0
    )


def test_handoff_queue_list_assign_close(client, backend_settings, staff_accounts) -> None:  # type: ignore[no-untyped-def]
    from backend.services.staff_handoff import open_ticket

    with get_sessionmaker(backend_settings.database_url)() as db:
        first = open_ticket(db, "web-abc", "ms", "employer_registration", {"reg_postcode": "43000"})
        second = open_ticket(db, "tg-42")
        db.commit()
        first_id, second_id = first.id, second.id
    assert client.get("/staff/api/handoffs").status_code == 401
    sign_in(client, *AGENT)
    token = csrf(client.get("/staff/lookup").text)
    listed = client.get("/staff/api/handoffs?status=open").json()["tickets"]
    assert [t["id"] for t in listed] == [first_id, second_id]
    assert listed[0]["slots"] == {"reg_postcode": "43000"} and listed[0]["language"] == "ms"
    assert client.get("/staff/api/handoffs?status=nope").status_code == 422
    assert client.post(f"/staff/api/handoffs/{first_id}/assign").status_code == 400  # no CSRF
    hdr = {"X-CSRF-Token": token}
    res = client.post(f"/staff/api/handoffs/{first_id}/assign", headers=hdr)
    assert res.status_code == 200 and res.json()["status"] == "assigned"
    client.cookies.clear()
    sign_in(client, *SUPERVISOR)
    token = csrf(client.get("/staff/lookup").text)
    hdr = {"X-CSRF-Token": token}
    taken = client.post(f"/staff/api/handoffs/{first_id}/assign", headers=hdr)
    assert taken.status_code == 409 and taken.json()["detail"]["code"] == "taken"
    closed = client.post(f"/staff/api/handoffs/{first_id}/close", headers=hdr)
    assert closed.status_code == 200 and closed.json()["closed_at"]
    assert client.post(f"/staff/api/handoffs/{first_id}/close", headers=hdr).status_code == 409
    assert client.post("/staff/api/handoffs/999/assign", headers=hdr).status_code == 404
    assert [t["id"] for t in client.get("/staff/api/handoffs?status=open").json()["tickets"]] == [
        second_id
    ]
    actions = [r.action for r in audit_rows(backend_settings)]
    assert actions.count("handoff_assign") == 1 and actions.count("handoff_close") == 1


# Every console route, with the form fields its POST needs (so a refusal is the guard's doing).
_OPEN_ROUTES = {"/staff/login", "/staff/language", "/staff/logout"}
_FORM_FIELDS = {
    "/staff/employers/1/reveal": {"employee_id": "1"},
    "/staff/employers/1/resend": {"kind": "letter", "item_id": "1"},
    "/staff/assist": {"email": "tan@example.com"},
    "/staff/assist/1/verify": {"code": "123456"},
}


def _console_routes() -> list[tuple[str, str]]:
    from backend.routers.staff import router

    routes = []
    for route in router.routes:
        path = getattr(route, "path", "")
        if not path.startswith("/staff") or path in _OPEN_ROUTES:
            continue
        url = re.sub(r"\{[^}]+\}", "1", path).replace("/1/{step}", "/1/assign")
        url = url.replace("/handoffs/1/1", "/handoffs/1/assign")
        for method in sorted(route.methods - {"HEAD"}):
            routes.append((method, url))
    return routes


def test_no_console_route_opens_without_a_staff_session(  # type: ignore[no-untyped-def]
    client, backend_app, backend_settings, staff_accounts
) -> None:
    routes = _console_routes()
    assert ("POST", "/staff/api/handoffs/1/assign") in routes and len(routes) > 20
    for method, url in routes:
        res = client.request(method, url, data=_FORM_FIELDS.get(url, {}), follow_redirects=False)
        if url.startswith("/staff/api/"):
            assert res.status_code == 401, (method, url)
            assert res.json()["detail"]["code"] == "not_signed_in"
        else:
            assert res.status_code == 303, (method, url)
            assert res.headers["location"] == "/staff/login", (method, url)
    assert audit_rows(backend_settings) == []


def test_every_console_change_needs_the_csrf_token(  # type: ignore[no-untyped-def]
    client, backend_app, backend_settings, staff_accounts
) -> None:
    sign_in(client, *AGENT)
    posts = [url for method, url in _console_routes() if method == "POST"]
    for url in posts:
        fields = {**_FORM_FIELDS.get(url, {}), "csrf_token": "forged"}
        res = client.post(
            url, data=fields, headers={"X-CSRF-Token": "forged"}, follow_redirects=False
        )
        assert res.status_code == 400, url
        if url.startswith("/staff/api/"):
            assert res.json()["detail"]["code"] == "csrf"
        else:
            assert "The form expired" in res.text
    # Nothing happened but the sign-in.
    assert [row.action for row in audit_rows(backend_settings)] == ["sign_in"]
