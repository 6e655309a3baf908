"""QRG 5-8 end to end through the hub over HTTP (hub → Rasa → action server → backend → DB).

A seeded employer with three employees submits last month for both acts in chat; the ACR/ECR
amounts are checked to the sen against the PERKESO CSV tables; the user pays through the payment
page and the FPX simulator (a failure first: the chat gets the reason and a fresh link; then
success: the receipt PDF arrives in the chat by the backend's proactive path); the payment is
recorded once; a bank-counter slip PDF downloads.

    ASSIST_TEST_MODEL=/path/assist.tar.gz .venv/bin/python -m pytest \
        tests/fullstack/test_contribution_flow.py
"""

from __future__ import annotations

import csv
import io
import secrets
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import text

from tests.backend.contribution_helpers import seed
from tests.fullstack.chat import (
    all_text,
    button_payload,
    documents,
    new_client,
    send,
    sender_id,
)

pytestmark = pytest.mark.fullstack
TABLES = Path(__file__).resolve().parents[2] / "backend" / "data" / "rates"
MONTHS_EN = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]  # fmt: skip


def band(name: str, wage: Decimal) -> dict[str, str]:
    with (TABLES / name).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    return next(r for r in rows if Decimal(r["wage_from"]) <= wage <= Decimal(r["wage_to"]))


def last_month() -> tuple[int, int]:
    today = date.today()
    return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)


def links(messages: list[dict[str, Any]]) -> list[str]:
    return [m["link"]["url"] for m in messages if m.get("link")]


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def pay_on_page(web: httpx.Client, url: str, code: str) -> None:
    """What the payer does in the browser: the payment page, PROCEED with a bank, the bank."""
    page = web.get(local(url))
    assert page.status_code == 200 and "PROCEED" in page.text
    res = web.post(
        local(url), data={"email": "boss@example.com", "bank_code": "TEST0021"}
    )  # follows the 303 to the simulator bank page
    assert res.status_code == 200 and 'name="code"' in res.text, res.text[:300]
    token = urlsplit(url).path.rsplit("/", 1)[-1]
    status = web.post(f"/pay/{token}/callback", data={"code": code})
    assert status.status_code == 200


def wait_for_history(
    chat: httpx.Client, cue: str, seen: int, timeout: float = 90.0
) -> list[dict[str, Any]]:
    """The bot's proactive messages after ``seen`` history items, once one contains ``cue``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = chat.get("/api/v1/chat/history").json()["messages"][seen:]
        if any(cue in (m.get("text") or "") for m in items):
            return items
        time.sleep(1)
    raise AssertionError(f"no {cue!r} in the chat history within {timeout}s")


def test_submit_pay_and_slip(stack, service, db) -> None:  # type: ignore[no-untyped-def]
    year, month = last_month()
    month_label = f"{MONTHS_EN[month - 1]} {year}"
    chat = new_client(stack.base_url, "en")
    sender = sender_id(chat, stack.secret_key)
    code = f"E{secrets.randbelow(10**10):010d}Q"
    ids = seed(
        SimpleNamespace(database_url=stack.database_url),
        email=f"boss.{secrets.token_hex(4)}@example.com",
        sender_id=sender,
        code=code,
    )

    # --- QRG 5-6: submit last month for both acts -------------------------------------------
    started = time.perf_counter()
    reply = send(chat, "I want to submit my contribution")
    assert "Employer Contribution Pending List" in all_text(reply)
    assert month_label in all_text(reply)
    assert all_text(reply).count("Pending List") == 1 and "in digits" not in all_text(reply)
    reply = send(chat, button_payload(reply, '"both"'))
    assert "contribution month" in all_text(reply)
    reply = send(chat, month_label)
    reply = send(chat, button_payload(reply, '"Monthly"'))
    assert "Employee 1 of 3" in all_text(reply) and "1,950.00" in all_text(reply)
    reply = send(chat, "-100")  # told why, asked again
    assert "can't be negative" in all_text(reply) and "Employee 1 of 3" in all_text(reply)
    refused = chat.post("/api/v1/chat/messages", json={"text": "9" * 10_000}).json()
    assert refused.get("refused") and refused["messages"]  # too long: polite, not forwarded
    turn = time.perf_counter()
    reply = send(chat, button_payload(reply, '"same"'))
    turn = time.perf_counter() - turn
    assert "Running total" in all_text(reply) and "Employee 2 of 3" in all_text(reply)
    reply = send(chat, "tiga ribu")  # wages in words are wages: RM3,000.00
    assert "3,000.00" in all_text(reply) and "Employee 3 of 3" in all_text(reply)
    reply = send(chat, button_payload(reply, '"same"'))
    assert "Summary" in all_text(reply)
    reply = send(chat, button_payload(reply, '"submit"'))
    assert "Proceed for submission?" in all_text(reply)
    reply = send(chat, "/affirm")
    ack = all_text(reply)
    assert "Contribution received" in ack and "ACR" in ack and "ECR" in ack
    print(f"\ncontribution month submitted in chat in {time.perf_counter() - started:.1f} s; "
          f"one wage turn {turn:.2f} s")  # fmt: skip

    listing = service.get(
        "/api/v1/contributions",
        params={"sender_id": sender, "employer_id": ids["employer_id"], "status": "submitted"},
    ).json()["contributions"]
    assert len(listing) == 1
    submitted = listing[0]
    assert submitted["acr_no"] in ack and submitted["ecr_no"] in ack
    assert submitted["acr_no"].startswith("ACR") and len(submitted["acr_no"]) == 15
    # Every share from the CSV tables, to the sen.
    skbbk_applies = (year, month) >= (2026, 6)
    expected_total = Decimal("0")
    for line, wage in zip(submitted["lines"], ("1950.00", "3000.00", "1700.00"), strict=True):
        amount = Decimal(wage)
        socso = band("socso_cat1.csv", amount)
        assert Decimal(line["wage"]) == amount
        assert Decimal(line["socso_employer"]) == Decimal(socso["employer_rm"])
        assert Decimal(line["socso_employee"]) == Decimal(socso["employee_rm"])
        if line["name"] == "Rahim Uddin":  # foreign worker: no EIS
            assert line["eis_employer"] == line["eis_employee"] == "0.00"
        else:
            eis = band("eis.csv", amount)
            assert Decimal(line["eis_employer"]) == Decimal(eis["employer_rm"])
            assert Decimal(line["eis_employee"]) == Decimal(eis["employee_rm"])
            if skbbk_applies:
                skbbk = band("socso_skbbk_2026.csv", amount)
                assert Decimal(line["skbbk_employee"]) == Decimal(skbbk["skbbk_employee_cat1_rm"])
        expected_total += sum(
            Decimal(line[k])
            for k in (
                "socso_employer",
                "socso_employee",
                "skbbk_employee",
                "eis_employer",
                "eis_employee",
            )
        )
    assert Decimal(submitted["total_amount"]) == expected_total
    assert f"RM{expected_total:,.2f}" in ack

    # The same month again is refused with the existing ACR.
    reply = send(chat, "submit contribution")
    reply = send(chat, "both")
    reply = send(chat, month_label)
    reply = send(chat, "Monthly")
    assert "already submitted" in all_text(reply) and submitted["acr_no"] in all_text(reply)
    send(chat, "cancel")

    # --- QRG 7: pay online, a failure then success -----------------------------------------
    reply = send(chat, "I want to pay my contribution")
    assert submitted["acr_no"] in all_text(reply)
    reply = send(chat, button_payload(reply, '"all"'))
    reply = send(chat, button_payload(reply, '"B2C"'))
    [url] = links(reply)
    seen = len(chat.get("/api/v1/chat/history").json()["messages"])
    with httpx.Client(base_url=stack.base_url, timeout=60, follow_redirects=True) as web:
        pay_on_page(web, url, "51")
        told = wait_for_history(chat, "UNSUCCESSFUL", seen)
        assert any("insufficient funds" in (m.get("text") or "") for m in told)
        fresh = [m["link"]["url"] for m in told if m.get("link")]
        assert fresh and fresh[0] != url
        seen = len(chat.get("/api/v1/chat/history").json()["messages"])
        pay_on_page(web, fresh[0], "00")
        told = wait_for_history(chat, "SUCCESSFUL", seen)
        success = next(m["text"] for m in told if "SUCCESSFUL" in (m.get("text") or ""))
        receipt = [m["document"] for m in told if m.get("document")]
        assert receipt, told
        started = time.perf_counter()
        pdf = web.get(local(receipt[0]["url"]))
        print(f"receipt PDF downloaded in {time.perf_counter() - started:.2f} s")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        pdf_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
        receipt_no = success.split("Receipt no.: ")[1].rstrip(".")
        assert receipt_no in pdf_text and submitted["acr_no"] in pdf_text
    with db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT p.state, count(*) FROM payments p"
                " JOIN payment_items i ON i.payment_id = p.id"
                " WHERE i.reference = :ref GROUP BY p.state"
            ),
            {"ref": submitted["acr_no"]},
        ).all()
        assert dict(rows) == {"failed": 1, "successful": 1}
        receipts = conn.execute(
            text("SELECT count(*) FROM receipts WHERE receipt_no = :no"), {"no": receipt_no}
        ).scalar()
        assert receipts == 1

    # --- QRG 8: a slip for the counter (another month, the only unpaid ACR: no question) -----
    earlier = (year, month - 1) if month > 1 else (year - 1, 12)
    body = {
        "sender_id": sender,
        "employer_id": ids["employer_id"],
        "month": f"{earlier[0]:04d}-{earlier[1]:02d}",
        "act": "act4",
    }
    cid = service.post("/api/v1/contributions", json=body).json()["id"]
    service.post(f"/api/v1/contributions/{cid}/complete", json={"sender_id": sender})
    slip_acr = service.post(
        f"/api/v1/contributions/{cid}/submit", json={"sender_id": sender}
    ).json()["acr_no"]
    reply = send(chat, "bayar di kaunter bank")  # a Malay request; the chat stays in English
    slip_text = all_text(reply)
    assert "Maybank, RHB Bank (cash only) or Public Bank" in slip_text, slip_text
    assert "available at the counter from" in slip_text
    [slip] = documents(reply)
    assert slip["filename"] == f"{slip_acr}.pdf"
    with httpx.Client(base_url=stack.base_url, timeout=60) as web:
        pdf = web.get(local(slip["url"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    slip_pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert slip_acr in slip_pdf and "Shah Alam" in slip_pdf
