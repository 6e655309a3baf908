"""Payments: cart → signed link → payment page → FPX simulator → callback, applied once.

Replayed callbacks, refreshes and two concurrent callbacks give one state change, one receipt
and one notification; receipts are read back with pypdf."""

from __future__ import annotations

import io
import threading
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlsplit

import httpx
from pypdf import PdfReader
from sqlalchemy import func, select

from backend.db import get_sessionmaker
from backend.models import Contribution, ConversationMessage, Payment, PaymentEvent, Receipt
from backend.services.payments import RasaNotifier
from tests.backend.contribution_helpers import seed
from tests.backend.helpers import emails, install_clock

SENDER = "web-boss"


def submitted(client, headers, employer_id, month="2026-10", act="both"):  # type: ignore[no-untyped-def]
    body = {"sender_id": SENDER, "employer_id": employer_id, "month": month, "act": act}
    cid = client.post("/api/v1/contributions", json=body, headers=headers).json()["id"]
    client.post(
        f"/api/v1/contributions/{cid}/complete", json={"sender_id": SENDER}, headers=headers
    )
    res = client.post(
        f"/api/v1/contributions/{cid}/submit", json={"sender_id": SENDER}, headers=headers
    )
    assert res.status_code == 200, res.text
    return res.json()


def setup(client, backend_app, backend_settings):  # type: ignore[no-untyped-def]
    ids = seed(backend_settings)
    clock = install_clock(backend_app)
    clock.now = datetime(2026, 11, 10, 2, 0)
    notified: list[tuple[str, int]] = []
    backend_app.state.payment_notifier = lambda sender, pid: notified.append((sender, pid))
    return ids, clock, notified


def pay(client, headers, employer_id, refs, key="key-0001", model="B2C"):  # type: ignore[no-untyped-def]
    body = {
        "sender_id": SENDER,
        "employer_id": employer_id,
        "references": refs,
        "business_model": model,
        "idempotency_key": key,
    }
    return client.post("/api/v1/payments", json=body, headers=headers)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def proceed(client, pay_url, bank="TEST0021"):  # type: ignore[no-untyped-def]
    res = client.post(
        path_of(pay_url),
        data={"email": "Boss@Example.com", "bank_code": bank},
        follow_redirects=False,
    )
    assert res.status_code == 303, res.text
    return res.headers["location"]


def test_full_flow_and_replays(client, backend_app, backend_settings, service_headers) -> None:  # type: ignore[no-untyped-def]
    ids, clock, notified = setup(client, backend_app, backend_settings)
    sub = submitted(client, service_headers, ids["employer_id"])
    res = pay(client, service_headers, ids["employer_id"], [sub["acr_no"], sub["ecr_no"]])
    assert res.status_code == 201, res.text
    out = res.json()
    assert out["split"] is False
    payment = out["payments"][0]
    assert payment["state"] == "created"
    assert Decimal(payment["amount"]) == Decimal(sub["total_amount"])
    # Same idempotency key → the same payment, 200.
    again = pay(client, service_headers, ids["employer_id"], [sub["acr_no"]])
    assert again.status_code == 200 and again.json()["payments"][0]["id"] == payment["id"]

    page = client.get(path_of(payment["pay_url"]))
    assert page.status_code == 200
    html = page.text
    assert "SBI Bank A" in html and "SBI Bank D (offline)" in html and 'type="email"' in html
    assert sub["acr_no"] in html and "PROCEED" in html
    assert client.get("/pay/forged-token").status_code == 404

    # Offline bank → the page again with the reason, nothing changes.
    res = client.post(
        path_of(payment["pay_url"]), data={"email": "boss@example.com", "bank_code": "TEST0024"}
    )
    assert res.status_code == 422 and "offline" in res.text
    bank_url = proceed(client, payment["pay_url"])
    # A new key for an ACR in a payment already sent to a bank → refused with that payment.
    busy = pay(client, service_headers, ids["employer_id"], [sub["acr_no"]], key="key-0002")
    assert busy.status_code == 409 and busy.json()["detail"]["payment_id"] == payment["id"]
    bank_page = client.get(bank_url)
    assert 'value="00"' in bank_page.text and 'value="99"' not in bank_page.text  # B2C
    token = urlsplit(payment["pay_url"]).path.rsplit("/", 1)[-1]
    callback = f"/pay/{token}/callback"
    first = client.post(callback, data={"code": "00"}, follow_redirects=False)
    assert first.status_code == 303
    # Replayed callback, a later different outcome and a refresh change nothing.
    assert client.post(callback, data={"code": "00"}, follow_redirects=False).status_code == 303
    assert client.post(callback, data={"code": "51"}, follow_redirects=False).status_code == 303
    status = client.get(f"/pay/{token}/status")
    assert "SUCCESSFUL" in status.text and "SBI Bank A" in status.text
    assert client.get(path_of(payment["pay_url"]), follow_redirects=False).status_code == 303

    with get_sessionmaker(backend_settings.database_url)() as db:
        row = db.get(Payment, payment["id"])
        assert (
            row.state == "successful"
            and row.debit_auth_code == "00"
            and row.buyer_email == "boss@example.com"
        )
        kinds = [
            (e.kind, e.from_state, e.to_state)
            for e in db.scalars(
                select(PaymentEvent)
                .where(PaymentEvent.payment_id == row.id)
                .order_by(PaymentEvent.id)
            )
        ]
        assert [k for k in kinds if k[0] == "transition"] == [
            ("transition", "created", "successful")
        ]
        assert ("replay", "successful", "successful") in kinds and (
            "refused",
            "successful",
            "successful",
        ) in kinds
        assert db.scalar(select(func.count()).select_from(Receipt)) == 1
        contribution = db.get(Contribution, sub["id"])
        assert contribution.act4_paid_at is not None and contribution.act800_paid_at is not None
    assert notified == [(SENDER, payment["id"])]

    # Status via the API, the receipt via its own API and its PDF.
    info = client.get(
        f"/api/v1/payments/{payment['id']}", params={"sender_id": SENDER}, headers=service_headers
    ).json()
    assert info["state"] == "successful" and info["receipt"]["receipt_no"].startswith("R20261110")
    receipt = client.get(
        "/api/v1/receipts",
        params={"sender_id": SENDER, "payment_id": payment["id"]},
        headers=service_headers,
    ).json()
    pdf = client.get(path_of(receipt["pdf_url"]))
    assert pdf.status_code == 200
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).split()
    )
    for expected in (
        receipt["receipt_no"],
        sub["acr_no"],
        sub["ecr_no"],
        row.fpx_txn_id,
        row.seller_order_no,
        "SUCCESSFUL",
        "SBI Bank A",
        f"RM{Decimal(payment['amount']):,.2f}",
    ):
        assert expected in text, expected
    mail = emails(backend_settings)[-1]
    assert mail.to == "boss@example.com" and receipt["receipt_no"] in mail.subject
    # Paid ACRs cannot go into a new cart.
    res = pay(client, service_headers, ids["employer_id"], [sub["acr_no"]], key="key-0003")
    assert res.status_code == 409 and res.json()["detail"]["code"] == "already_paid"


def test_two_concurrent_callbacks_one_charge(
    client, backend_app, backend_settings, service_headers
) -> None:  # type: ignore[no-untyped-def]
    ids, _, notified = setup(client, backend_app, backend_settings)
    sub = submitted(client, service_headers, ids["employer_id"])
    payment = pay(client, service_headers, ids["employer_id"], [sub["acr_no"]]).json()["payments"][
        0
    ]
    proceed(client, payment["pay_url"])
    token = urlsplit(payment["pay_url"]).path.rsplit("/", 1)[-1]
    barrier = threading.Barrier(4)
    codes: list[int] = []

    def hit() -> None:
        barrier.wait()
        codes.append(
            client.post(
                f"/pay/{token}/callback", data={"code": "00"}, follow_redirects=False
            ).status_code
        )

    threads = [threading.Thread(target=hit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [303] * 4
    with get_sessionmaker(backend_settings.database_url)() as db:
        transitions = db.scalars(
            select(PaymentEvent).where(PaymentEvent.kind == "transition")
        ).all()
        assert len(transitions) == 1
        assert db.scalar(select(func.count()).select_from(Receipt)) == 1
    assert len(notified) == 1


def test_concurrent_creates_same_key(
    client, backend_app, backend_settings, service_headers
) -> None:  # type: ignore[no-untyped-def]
    ids, _, _ = setup(client, backend_app, backend_settings)
    sub = submitted(client, service_headers, ids["employer_id"])
    answers: list[dict] = []  # type: ignore[type-arg]

    def go() -> None:
        answers.append(
            pay(
                client, service_headers, ids["employer_id"], [sub["acr_no"]], key="same-key-1"
            ).json()
        )

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({a["payments"][0]["id"] for a in answers}) == 1
    with get_sessionmaker(backend_settings.database_url)() as db:
        assert db.scalar(select(func.count()).select_from(Payment)) == 1


def test_b2b1_pending_then_authoriser(
    client, backend_app, backend_settings, service_headers
) -> None:  # type: ignore[no-untyped-def]
    ids, _, notified = setup(client, backend_app, backend_settings)
    sub = submitted(client, service_headers, ids["employer_id"])
    payment = pay(
        client, service_headers, ids["employer_id"], [sub["acr_no"]], model="B2B1"
    ).json()["payments"][0]
    bank_url = proceed(client, payment["pay_url"])
    assert 'value="99"' in client.get(bank_url).text
    token = urlsplit(payment["pay_url"]).path.rsplit("/", 1)[-1]
    client.post(f"/pay/{token}/callback", data={"code": "99"})
    assert "PENDING AUTHORISER" in client.get(f"/pay/{token}/status").text
    assert notified == []  # not final yet
    client.post(f"/pay/{token}/callback", data={"code": "00"})
    info = client.get(
        f"/api/v1/payments/{payment['id']}", params={"sender_id": SENDER}, headers=service_headers
    ).json()
    assert info["state"] == "successful" and len(notified) == 1


def test_failure_then_new_cart(client, backend_app, backend_settings, service_headers) -> None:  # type: ignore[no-untyped-def]
    ids, _, notified = setup(client, backend_app, backend_settings)
    sub = submitted(client, service_headers, ids["employer_id"])
    payment = pay(client, service_headers, ids["employer_id"], [sub["acr_no"]]).json()["payments"][
        0
    ]
    proceed(client, payment["pay_url"])
    token = urlsplit(payment["pay_url"]).path.rsplit("/", 1)[-1]
    res = client.post(f"/pay/{token}/callback?lang=ms", data={"code": "51"}, follow_redirects=False)
    assert res.headers["location"] == f"/pay/{token}/status?lang=ms"
    assert "TIDAK BERJAYA" in client.get(res.headers["location"]).text
    assert "UNSUCCESSFUL" in client.get(f"/pay/{token}/status").text
    assert len(notified) == 1
    # The failed payment frees the ACR for a new cart.
    assert (
        pay(
            client, service_headers, ids["employer_id"], [sub["acr_no"]], key="key-retry"
        ).status_code
        == 201
    )


def test_split_and_refusals(client, backend_app, backend_settings, service_headers) -> None:  # type: ignore[no-untyped-def]
    ids, _, _ = setup(client, backend_app, backend_settings)
    sub = submitted(client, service_headers, ids["employer_id"])
    with get_sessionmaker(backend_settings.database_url)() as db:  # make the ACR large
        row = db.get(Contribution, sub["id"])
        row.socso_employer = Decimal("20000.00")
        row.eis_employer = Decimal("15000.00")
        db.commit()
    res = pay(client, service_headers, ids["employer_id"], [sub["acr_no"], sub["ecr_no"]])
    assert res.status_code == 201 and res.json()["split"] is True
    assert len(res.json()["payments"]) == 2
    other = submitted(client, service_headers, ids["employer_id"], month="2026-09", act="act4")
    with get_sessionmaker(backend_settings.database_url)() as db:
        row = db.get(Contribution, other["id"])
        row.socso_employer = Decimal("40000.00")
        db.commit()
    res = pay(client, service_headers, ids["employer_id"], [other["acr_no"]], key="key-big1")
    assert res.status_code == 422 and res.json()["detail"]["code"] == "item_above_maximum"
    assert (
        pay(
            client,
            service_headers,
            ids["employer_id"],
            [other["acr_no"]],
            key="key-big2",
            model="B2B1",
        ).status_code
        == 201
    )
    res = pay(client, service_headers, ids["employer_id"], ["ACR999999999999"], key="key-nope")
    assert res.status_code == 404
    # Another account cannot pay or see this employer's payments.
    seed(backend_settings, email="x@example.com", sender_id="web-x", code="A3702171474Y")
    body = {
        "sender_id": "web-x",
        "employer_id": ids["employer_id"],
        "references": [sub["acr_no"]],
        "idempotency_key": "key-x-0001",
    }
    assert client.post("/api/v1/payments", json=body, headers=service_headers).status_code == 404
    pid = res = pay(
        client, service_headers, ids["employer_id"], [sub["acr_no"]], key="key-0001"
    ).json()["payments"][0]["id"]
    assert (
        client.get(
            f"/api/v1/payments/{pid}", params={"sender_id": "web-x"}, headers=service_headers
        ).status_code
        == 404
    )
    banks = client.get(
        "/api/v1/payments/banks", params={"business_model": "B2B1"}, headers=service_headers
    ).json()
    assert {"code": "TEST0022", "name": "SBI Bank B", "active": False} in banks["banks"]


def test_rasa_notifier_best_effort(backend_settings, backend_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[tuple[str, dict, dict]] = []  # type: ignore[type-arg]

    def fake_post(url, params=None, json=None, timeout=None):  # type: ignore[no-untyped-def]
        calls.append((url, params, json))
        reply = {"messages": [{"recipient_id": "web-boss", "text": "Payment successful."}]}
        return httpx.Response(200, json=reply, request=httpx.Request("POST", url))

    settings = backend_settings.model_copy(
        update={"rasa_url": "http://rasa:5005", "rasa_token": "tok"}
    )
    monkeypatch.setattr(httpx, "post", fake_post)
    seed(backend_settings)
    RasaNotifier(settings)("web-boss", 7)
    with get_sessionmaker(backend_settings.database_url)() as db:
        kept = db.scalars(select(ConversationMessage)).all()
        assert [(m.sender_id, m.direction, m.text) for m in kept] == [
            ("web-boss", "out", "Payment successful.")
        ]
    assert calls == [
        (
            "http://rasa:5005/conversations/web-boss/trigger_intent",
            {"token": "tok"},
            {"name": "payment_result", "entities": {"payment_id": 7}},
        )
    ]

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise httpx.ConnectError("down")

    monkeypatch.setattr(httpx, "post", boom)
    RasaNotifier(settings)("web-boss", 7)  # logged, never raised


def test_simulator_can_be_switched_off(
    client, backend_app, backend_settings, service_headers, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    ids, _, _ = setup(client, backend_app, backend_settings)
    sub = submitted(client, service_headers, ids["employer_id"])
    payment = pay(client, service_headers, ids["employer_id"], [sub["acr_no"]]).json()["payments"][
        0
    ]
    bank_url = proceed(client, payment["pay_url"])
    monkeypatch.setenv("FPX_SIMULATOR_ENABLED", "false")
    token = urlsplit(payment["pay_url"]).path.rsplit("/", 1)[-1]
    assert client.get(bank_url).status_code == 404
    assert client.post(f"/pay/{token}/callback", data={"code": "00"}).status_code == 404
    with get_sessionmaker(backend_settings.database_url)() as db:
        assert db.get(Payment, payment["id"]).state == "created"


def test_new_cart_supersedes_an_unsent_payment(
    client, backend_app, backend_settings, service_headers
) -> None:  # type: ignore[no-untyped-def]
    ids, _, notified = setup(client, backend_app, backend_settings)
    sub = submitted(client, service_headers, ids["employer_id"])
    old = pay(client, service_headers, ids["employer_id"], [sub["acr_no"]], key="key-old1").json()[
        "payments"
    ][0]
    new = pay(
        client, service_headers, ids["employer_id"], [sub["acr_no"], sub["ecr_no"]], key="key-new1"
    )
    assert new.status_code == 201
    with get_sessionmaker(backend_settings.database_url)() as db:
        assert db.get(Payment, old["id"]).state == "failed"
        kinds = db.scalars(
            select(PaymentEvent.kind).where(PaymentEvent.payment_id == old["id"])
        ).all()
        assert kinds == ["created", "superseded"]
    # The old link can no longer be paid.
    res = client.get(path_of(old["pay_url"]), follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"].endswith("/status")
    res = client.post(
        path_of(old["pay_url"]),
        data={"email": "a@example.com", "bank_code": "TEST0021"},
        follow_redirects=False,
    )
    assert res.status_code == 303 and res.headers["location"].endswith("/status")
    assert notified == []


def test_receipt_issued_later_if_it_failed_and_in_malay(
    client, backend_app, backend_settings, service_headers, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from backend.models import Conversation
    from backend.services import payments as service

    ids, _, notified = setup(client, backend_app, backend_settings)
    with get_sessionmaker(backend_settings.database_url)() as db:
        db.get(Conversation, SENDER).language = "ms"
        db.commit()
    sub = submitted(client, service_headers, ids["employer_id"])
    payment = pay(client, service_headers, ids["employer_id"], [sub["acr_no"]]).json()["payments"][
        0
    ]
    proceed(client, payment["pay_url"])
    token = urlsplit(payment["pay_url"]).path.rsplit("/", 1)[-1]

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    monkeypatch.setattr(service, "render_receipt", broken)
    client.post(f"/pay/{token}/callback", data={"code": "00"})
    params = {"sender_id": SENDER, "payment_id": payment["id"]}
    info = client.get(
        f"/api/v1/payments/{payment['id']}", params={"sender_id": SENDER}, headers=service_headers
    ).json()
    assert info["state"] == "successful" and info["receipt"] is None and len(notified) == 1
    monkeypatch.undo()
    res = client.get("/api/v1/receipts", params=params, headers=service_headers)
    assert res.status_code == 200, res.text
    mail = emails(backend_settings)[-1]
    assert mail.subject.startswith("Resit pembayaran PERKESO") and "BERJAYA" in mail.body
