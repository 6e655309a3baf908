"""QRG 7-8 actions against the real backend app: the cart, the FPX link paid through the payment
pages and the simulator, the result told in the chat (receipt; failure → reason + a fresh link),
the bank-counter slip."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from backend.db import get_sessionmaker
from backend.models import Payment
from bot.actions import backend_client
from bot.actions.payments import (
    ActionAskPaySelection,
    ActionBankSlip,
    ActionCreatePayment,
    ActionPaymentResult,
    ActionStartBankSlip,
    ActionStartPayment,
    ValidateBankCounterForm,
    ValidatePaymentForm,
)
from tests.actions.conftest import make_tracker, responses, run, slot_values
from tests.backend.contribution_helpers import seed
from tests.backend.helpers import install_clock
from tests.conftest import SERVICE_TOKEN

SENDER = "web-boss"


@pytest.fixture
def real_backend(backend_app, backend_settings, client):
    backend_client.configure(
        transport=httpx.ASGITransport(app=backend_app),
        base_url="http://testserver",
        token=SERVICE_TOKEN,
    )
    clock = install_clock(backend_app)
    clock.now = datetime(2026, 11, 26, 3, 0)
    notified: list[tuple[str, int]] = []
    backend_app.state.payment_notifier = lambda sender, pid: notified.append((sender, pid))
    yield backend_settings, client, notified
    backend_client.configure()


def submit_month(client, headers, employer_id: int, month: str = "2026-10") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body = {"sender_id": SENDER, "employer_id": employer_id, "month": month, "act": "both"}
    cid = client.post("/api/v1/contributions", json=body, headers=headers).json()["id"]
    client.post(
        f"/api/v1/contributions/{cid}/complete", json={"sender_id": SENDER}, headers=headers
    )
    res = client.post(
        f"/api/v1/contributions/{cid}/submit", json={"sender_id": SENDER}, headers=headers
    )
    assert res.status_code == 200, res.text
    return res.json()


def params(messages: list[dict[str, Any]], response: str) -> dict[str, Any]:
    for message in messages:
        if message.get("response") == response:
            return message
    raise AssertionError(f"{response} not in {responses(messages)}")


def pay_through_pages(client, url: str, code: str) -> None:  # type: ignore[no-untyped-def]
    """PROCEED with a bank on the payment page, then the simulator answers ``code``."""
    parts = urlsplit(url)
    res = client.post(
        parts.path,
        data={"email": "boss@example.com", "bank_code": "TEST0021"},
        follow_redirects=False,
    )
    assert res.status_code == 303, res.text
    token = parts.path.rsplit("/", 1)[-1]
    res = client.post(f"/pay/{token}/callback", data={"code": code}, follow_redirects=False)
    assert res.status_code == 303


async def form_answer(form, slots, slot, typed, domain, intent="inform"):  # type: ignore[no-untyped-def]
    entities = []
    if typed.startswith("/inform"):
        entities = [{"entity": "choice", "value": typed.split('"')[3]}]
    tracker = make_tracker(
        slots=slots,
        text=typed,
        intent=intent,
        entities=entities,
        requested_slot=slot,
        slot_events={slot: typed},
        sender_id=SENDER,
    )
    events, messages = await run(form, tracker, domain)
    slots.update(slot_values(events))
    return messages


async def result_for(domain, payment_id: int | None) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    entities = [{"entity": "payment_id", "value": str(payment_id)}] if payment_id else []
    tracker = make_tracker(
        text="/payment_result", intent="payment_result", entities=entities, sender_id=SENDER
    )
    _, messages = await run(ActionPaymentResult(), tracker, domain)
    return messages


async def test_nothing_to_pay(domain, real_backend) -> None:
    settings, _, _ = real_backend
    seed(settings, sender_id=SENDER)
    events, messages = await run(ActionStartPayment(), make_tracker(sender_id=SENDER), domain)
    assert responses(messages) == ["utter_pay_nothing_unpaid"]
    assert slot_values(events) == {"pay_ready": False}
    events, messages = await run(ActionStartBankSlip(), make_tracker(sender_id=SENDER), domain)
    assert responses(messages) == ["utter_slip_nothing"]


async def test_pay_fail_retry_then_succeed(domain, real_backend, service_headers) -> None:
    settings, client, notified = real_backend
    ids = seed(settings, sender_id=SENDER)
    sub = submit_month(client, service_headers, ids["employer_id"])
    events, messages = await run(
        ActionStartPayment(), make_tracker(text="pay online", sender_id=SENDER), domain
    )
    listed = params(messages, "utter_pay_unpaid_list")
    assert sub["acr_no"] in listed["items"] and sub["ecr_no"] in listed["items"]
    assert listed["total"] == f"{Decimal(sub['total_amount']):,.2f}"
    slots = {k: v for k, v in slot_values(events).items() if v is not None}
    asked = await run(ActionAskPaySelection(), make_tracker(slots=slots), domain)
    assert params(asked[1], "utter_ask_pay_selection")["buttons"][0]["payload"] == (
        '/inform{"choice":"all"}'
    )
    form = ValidatePaymentForm()
    messages = await form_answer(form, slots, "pay_selection", "ACR000000000000", domain)
    assert responses(messages) == ["utter_invalid_pay_selection"]
    await form_answer(form, slots, "pay_selection", '/inform{"choice":"all"}', domain)
    assert slots["pay_selection"] == f"{sub['acr_no']},{sub['ecr_no']}"
    messages = await form_answer(form, slots, "pay_model", "B2X", domain)
    assert responses(messages) == ["utter_invalid_pay_model"]
    await form_answer(form, slots, "pay_model", "personal", domain)
    assert slots["pay_model"] == "B2C"

    # The link; running the action twice (a retried action) makes no second payment.
    _, messages = await run(
        ActionCreatePayment(), make_tracker(slots=slots, sender_id=SENDER), domain
    )
    _, again = await run(ActionCreatePayment(), make_tracker(slots=slots, sender_id=SENDER), domain)
    link = params(messages, "utter_pay_link")
    assert link["amount"] == f"{Decimal(sub['total_amount']):,.2f}"
    url = link["custom"]["link"]["url"]
    assert params(again, "utter_pay_link")["custom"]["link"]["url"] == url
    with get_sessionmaker(settings.database_url)() as db:
        assert db.scalar(select(func.count()).select_from(Payment)) == 1

    # The bank refuses (51): the chat is told why and gets a fresh link.
    pay_through_pages(client, url, "51")
    first_id = notified[-1][1]
    messages = await result_for(domain, first_id)
    failed = params(messages, "utter_payment_failed")
    assert failed["code"] == "51" and failed["bank_name"] == "SBI Bank A"
    assert "utter_payment_reason_51" in responses(messages)
    fresh = params(messages, "utter_pay_link")["custom"]["link"]["url"]
    assert fresh != url
    # The same failure told twice (a replayed trigger) still gives only one fresh payment.
    await result_for(domain, first_id)
    with get_sessionmaker(settings.database_url)() as db:
        assert db.scalar(select(func.count()).select_from(Payment)) == 2

    pay_through_pages(client, fresh, "00")
    messages = await result_for(domain, notified[-1][1])
    ok = params(messages, "utter_payment_success")
    assert ok["receipt_no"].startswith("R2026") and ok["fpx_txn_id"] != "-"
    receipt = params(messages, "utter_payment_receipt")["custom"]["document"]
    res = client.get(urlsplit(receipt["url"]).path + "?" + urlsplit(receipt["url"]).query)
    assert res.status_code == 200 and res.content.startswith(b"%PDF")
    # October 2026 was due on 15 November: paid on the 26th, so an FCLB notice.
    notices = [m for m in messages if m.get("response") == "utter_payment_fclb"]
    assert [n["reference"] for n in notices] == [sub["acr_no"], sub["ecr_no"]]
    # Due 15 Nov, paid 26 Nov: 11 days late, 1 part-month → the RM5 minimum on each.
    assert {(n["days_late"], n["interest"], n["due_date"]) for n in notices} == {
        (11, "5.00", "15/11/2026")
    }
    assert all(n["notice_no"].startswith("FCLB20261126") for n in notices)
    # "Did my payment go through?" (no id): the latest payment of this chat.
    assert "utter_payment_success" in responses(await result_for(domain, None))
    # Nothing left to pay.
    _, messages = await run(ActionStartPayment(), make_tracker(sender_id=SENDER), domain)
    assert responses(messages) == ["utter_pay_nothing_unpaid"]


async def test_bank_counter_slip(domain, real_backend, service_headers) -> None:
    settings, client, _ = real_backend
    ids = seed(settings, sender_id=SENDER)
    sub = submit_month(client, service_headers, ids["employer_id"])
    events, messages = await run(
        ActionStartBankSlip(), make_tracker(text="print the ACR slip", sender_id=SENDER), domain
    )
    slots = {k: v for k, v in slot_values(events).items() if v is not None}
    assert slots["slip_ready"] is True and "slip_reference" not in slots  # two to choose from
    form = ValidateBankCounterForm()
    messages = await form_answer(form, slots, "slip_reference", "the blue one", domain)
    assert responses(messages) == ["utter_invalid_slip_reference"]
    await form_answer(
        form, slots, "slip_reference", f'/inform{{"choice":"{sub["acr_no"]}"}}', domain
    )
    assert slots["slip_reference"] == sub["acr_no"]
    _, messages = await run(ActionBankSlip(), make_tracker(slots=slots, sender_id=SENDER), domain)
    ready = params(messages, "utter_slip_ready")
    assert ready["banks"] == "Maybank, RHB Bank (cash only) or Public Bank"
    assert ready["amount"] == f"{Decimal(sub['act4_amount']):,.2f}"
    # Submitted on Thu 26 Nov 2026, 11:00 in Selangor: the next business day is Friday.
    assert ready["available_on"] == "27/11/2026"
    document = params(messages, "utter_slip_document")["custom"]["document"]
    assert document["filename"] == f"{sub['acr_no']}.pdf"
    res = client.get(urlsplit(document["url"]).path + "?" + urlsplit(document["url"]).query)
    assert res.status_code == 200 and res.content.startswith(b"%PDF")
