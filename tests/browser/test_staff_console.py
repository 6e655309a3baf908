"""The helpline staff console in a real browser (issue 6), against the full stack.

Sign-in and lock-out, look-up and an audited IC reveal, the audit log (supervisors only), a
handoff from a web user answered live and handed back to the bot (the form resumes), assisted
mode with the emailed code, the dashboard's funnel for seeded events, and a chat user who cannot
open any console page.

ASSIST_TEST_MODEL=model.tar.gz .venv/bin/python -m pytest tests/browser/test_staff_console.py
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from backend.analytics.ingest import ingest_rasa_events
from backend.db import get_sessionmaker
from backend.models import OutboxEmail, PortalAccount, StaffAudit, StaffUser
from backend.services import conversations
from backend.services.staff_auth import create_staff
from tests.backend.contribution_helpers import seed as seed_employer
from tests.backend.test_analytics_ingest import (
    START,
    portal_id_cancelled_at_mykad,
    portal_id_completed,
)

pytestmark = [pytest.mark.browser, pytest.mark.fullstack]

TURN_MS = 90_000
PASSWORD = "A long console password"


def _db(stack):  # type: ignore[no-untyped-def]
    return get_sessionmaker(stack.env["DATABASE_URL"])()


def make_staff(stack, role: str = "agent") -> str:  # type: ignore[no-untyped-def]
    address = f"{role}-{secrets.token_hex(4)}@perkeso.example"
    with _db(stack) as db:
        create_staff(db, address, f"{role.capitalize()} {address[:4]}", PASSWORD, role)
        db.commit()
    return address


def sign_in(page, stack, address: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{stack.base_url}/staff/login")
    page.get_by_label("Email address").fill(address)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def chat_say(page, text: str) -> dict:  # type: ignore[no-untyped-def]
    box = page.locator("#assist-chat #text-input")
    box.wait_for(state="visible", timeout=30_000)
    with page.expect_response(
        lambda r: r.url.endswith("/api/v1/chat/messages") and r.request.method == "POST",
        timeout=TURN_MS,
    ) as answer:
        box.click()
        page.keyboard.type(text)
        page.keyboard.press("Enter")
    return answer.value.json()


def widget_shows(page, text: str, timeout: int = 30_000) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        "t => [...document.querySelector('#assist-chat').shadowRoot"
        ".querySelectorAll('.ai-message-text')].some(e => e.innerText.includes(t))",
        arg=text,
        timeout=timeout,
    )


@pytest.fixture
def second_page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    yield page
    context.close()


def test_sign_in_look_up_reveal_and_audit(page, second_page, web_stack) -> None:  # type: ignore[no-untyped-def]
    agent = make_staff(web_stack, "agent")
    code = f"E11{secrets.randbelow(10**8):08d}Z"
    tag = secrets.token_hex(3)
    seed_employer(  # a registered employer with employees (MyKad numbers)
        SimpleNamespace(database_url=web_stack.env["DATABASE_URL"]),
        email=f"boss-{tag}@example.com",
        sender_id=f"web-boss-{tag}",
        code=code,
    )
    sign_in(page, web_stack, agent)
    page.wait_for_url(re.compile(r"/staff/lookup$"))
    page.get_by_label(re.compile("Employer code, SSM number")).fill(str(code))
    page.get_by_role("button", name="Search").click()
    page.locator("table a").first.click()
    page.get_by_text("900101-**-***8").wait_for()
    assert "900101145678" not in page.content()
    page.get_by_role("button", name="Reveal the ID of Siti Nurhaliza binti Ahmad (audited)").click()
    page.get_by_text("900101145678").wait_for()

    # An agent cannot read the audit log; a supervisor sees the reveal, attributed to the agent.
    page.goto(f"{web_stack.base_url}/staff/audit")
    assert page.get_by_role("heading", name="Not allowed").is_visible()
    supervisor = make_staff(web_stack, "supervisor")
    sign_in(second_page, web_stack, supervisor)
    second_page.goto(f"{web_stack.base_url}/staff/audit")
    row = second_page.locator("tr", has_text="reveal_id").filter(has_text=agent).first
    row.wait_for()
    assert "900101145678" not in row.inner_text()  # the audit keeps the ID masked


def test_lock_out_after_five_wrong_passwords(page, web_stack) -> None:  # type: ignore[no-untyped-def]
    address = make_staff(web_stack, "agent")
    for _ in range(5):
        sign_in(page, web_stack, address, "wrong password")
    sign_in(page, web_stack, address)  # the right one is refused while locked
    assert page.get_by_role("alert").inner_text().startswith("Too many failed sign-ins")
    assert "/staff/login" in page.url


def test_handoff_reply_and_hand_back(page, second_page, web_stack) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{web_stack.base_url}/", wait_until="domcontentloaded")
    chat_say(page, "I want to apply for a portal ID")
    chat_say(page, "Aminah binti Abdullah")
    body = chat_say(page, "talk to an agent")
    assert "helpline" in " ".join(m.get("text", "") for m in body["messages"]), body

    agent = make_staff(web_stack, "agent")
    sign_in(second_page, web_stack, agent)
    second_page.goto(f"{web_stack.base_url}/staff/handoffs")
    second_page.locator("#queue-rows a").last.click()
    transcript = second_page.locator("#transcript")
    transcript.get_by_text("talk to an agent").wait_for()
    assert "portal_id_form" in second_page.content() and "Aminah" in second_page.content()

    second_page.get_by_label("Your reply").fill("Hello, I can help with your MyKad number.")
    second_page.get_by_role("button", name="Send reply").click()
    widget_shows(page, "Hello, I can help with your MyKad number.")

    body = chat_say(page, "do I type the dashes?")
    assert body["messages"] == [] and body["handoff"] == "agent"
    transcript.get_by_text("do I type the dashes?").wait_for(timeout=15_000)

    second_page.get_by_role("button", name="Hand back to the bot").click()
    widget_shows(page, "back with the ASSIST Assistant", timeout=TURN_MS)
    widget_shows(page, "MyKad")  # the form asks its question again
    body = chat_say(page, "900101-14-5678")
    texts = " ".join(m.get("text", "") for m in body["messages"])
    assert "email" in texts.lower(), body  # the form went on to the next question


def test_assisted_mode_with_the_emailed_code(page, web_stack) -> None:  # type: ignore[no-untyped-def]
    address = f"caller-{secrets.token_hex(3)}@example.com"
    with _db(web_stack) as db:
        account = PortalAccount(
            email=address,
            full_name="Caller Tan",
            mykad="850315105123",
            mobile="+60123456789",
            company_name="Tan Hardware",
            company_role="Owner",
            must_change_password=False,
        )
        db.add(account)
        account.terms_accepted_at = datetime(2026, 1, 1)
        db.commit()
    agent = make_staff(web_stack, "agent")
    sign_in(page, web_stack, agent)
    page.goto(f"{web_stack.base_url}/staff/assist")
    page.get_by_label("The caller's portal account email").fill(address)
    page.get_by_role("button", name="Send the code").click()
    page.get_by_label("Code the caller read out").wait_for()
    with _db(web_stack) as db:
        mail = db.scalars(
            select(OutboxEmail).where(OutboxEmail.to == address).order_by(OutboxEmail.id.desc())
        ).first()
    code = re.search(r"them: (\d{6})", mail.body).group(1)
    assert code not in page.content()
    page.get_by_label("Code the caller read out").fill(code)
    page.get_by_role("button", name="Verify").click()
    page.locator("#assist-bound").wait_for()
    page.get_by_label("Message to the assistant (as the caller)").fill("hello")
    page.get_by_role("button", name="Send", exact=True).click()
    page.locator("#transcript li.msg-bot").first.wait_for(timeout=TURN_MS)
    with _db(web_stack) as db:
        staff_id = db.scalars(select(StaffUser.id).where(StaffUser.email == agent)).one()
        rows = list(db.scalars(select(StaffAudit).where(StaffAudit.staff_id == staff_id)))
        bound = conversations.logged_in_account(db, _assisted_sender(db, staff_id))
    assert bound is not None and bound.email == address
    assert any(r.action == "assist_verified" and "for account" in r.subject for r in rows)
    assert any(r.action == "assist_message" for r in rows)


def _assisted_sender(db, staff_id: int) -> str:  # type: ignore[no-untyped-def]
    from backend.models import AssistedSession

    return db.scalars(
        select(AssistedSession.sender_id)
        .where(AssistedSession.staff_id == staff_id)
        .order_by(AssistedSession.id.desc())
    ).first()


def test_dashboard_shows_a_funnel_for_seeded_conversations(page, web_stack) -> None:  # type: ignore[no-untyped-def]
    with _db(web_stack) as db:
        events = portal_id_completed(f"web-{secrets.token_hex(4)}", START).events
        events += portal_id_cancelled_at_mykad(f"tg-{secrets.randbelow(10**6)}", START).events
        ingest_rasa_events(db, events)
        db.commit()
    supervisor = make_staff(web_stack, "supervisor")
    sign_in(page, web_stack, supervisor)
    day = START.date()
    page.goto(f"{web_stack.base_url}/staff/dashboard?from={day - timedelta(days=1)}&to={day}")
    row = page.locator('#funnel-table tr[data-flow="portal_id_form"]')
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "Portal ID application" and int(cells[1]) >= 2 and int(cells[2]) >= 1
    assert "mykad" in cells[5]
    page.wait_for_function("window.assistCharts && window.assistCharts.length >= 4")
    drawn = page.evaluate("window.assistCharts.map(c => [c.config.type, c.data.datasets.length])")
    assert ["bar", 3] in drawn  # the funnel chart: started, completed, cancelled
    # Malay
    page.get_by_role("link", name="Bahasa Melayu").click()
    page.get_by_role("heading", name="Papan pemuka").wait_for()
    assert page.locator('html[lang="ms"]').count() == 1
    assert page.get_by_role("button", name="Tunjuk").is_visible()


def test_a_chat_user_cannot_reach_the_console(page, web_stack) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{web_stack.base_url}/", wait_until="domcontentloaded")
    page.locator("#assist-chat #text-input").wait_for(state="visible", timeout=30_000)
    for path in (
        "/staff/lookup",
        "/staff/handoffs",
        "/staff/dashboard",
        "/staff/audit",
        "/staff/assist",
        "/staff/employers/1",
    ):
        page.goto(f"{web_stack.base_url}{path}")
        assert page.url.endswith("/staff/login"), path
    for path in ("/staff/api/handoffs", "/staff/api/dashboard", "/staff/api/callbacks"):
        res = page.request.get(f"{web_stack.base_url}{path}")
        assert res.status == 401, path
