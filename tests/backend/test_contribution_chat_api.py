"""Issue 4 backend additions for the chat: the month's text file as a signed download, the
latest payment of a chat, FCLB notices issued once with the receipt, state office addresses on
the counter slip, and the payment result handed to the hub's proactive path (Telegram)."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from pypdf import PdfReader
from sqlalchemy import func, select

from backend.db import get_sessionmaker
from backend.models import ConversationMessage, FclbNotice
from backend.services.payments import RasaNotifier
from tests.backend.contribution_helpers import seed
from tests.backend.helpers import install_clock
from tests.backend.test_payments_api import pay, proceed, submitted

SENDER = "web-boss"


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def setup(client, backend_app, backend_settings, when=datetime(2026, 11, 26, 3, 0)):  # type: ignore[no-untyped-def]
    ids = seed(backend_settings)
    clock = install_clock(backend_app)
    clock.now = when
    notified: list[tuple[str, int]] = []
    backend_app.state.payment_notifier = lambda sender, pid: notified.append((sender, pid))
    return ids, clock, notified


def test_text_file_link(client, backend_app, backend_settings, service_headers) -> None:  # type: ignore[no-untyped-def]
    ids, _, _ = setup(client, backend_app, backend_settings)
    body = {"sender_id": SENDER, "employer_id": ids["employer_id"], "month": "2026-10"}
    res = client.post("/api/v1/contributions/textfile-link", json=body, headers=service_headers)
    assert res.status_code == 200, res.text
    link = res.json()
    assert link["filename"] == "E1100050233Z_102026.txt" and link["lines"] == 3
    download = client.get(local_path(link["url"]))
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/plain")
    records = download.content.decode("ascii").split("\r\n")
    assert [len(r) for r in records if r] == [278, 278, 278]
    assert all(r.startswith("E1100050233Z") and r[194:200] == "102026" for r in records if r)
    # A tampered id or token is refused; another account's employer is not found.
    tampered = link["url"].replace("/contribution-textfile/", "/contribution-textfile/9")
    assert client.get(local_path(tampered)).status_code in (403, 404)
    other = {**body, "sender_id": "web-nobody"}
    res = client.post("/api/v1/contributions/textfile-link", json=other, headers=service_headers)
    assert res.status_code == 401
    future = {**body, "month": "2027-01"}
    res = client.post("/api/v1/contributions/textfile-link", json=future, headers=service_headers)
    assert res.status_code == 422 and res.json()["detail"]["code"] == "invalid_month"


def test_deadline_reports_the_rounding_step(client) -> None:  # type: ignore[no-untyped-def]
    res = client.get(
        "/api/v1/deadlines", params={"month": "2026-09", "amount": "500", "paid_on": "2026-11-26"}
    )
    data = res.json()
    assert data["due_date"] == "2026-10-15" and data["fclb_rounding_step"] == "5.00"
    assert data["fclb"]["days_late"] == 42 and data["fclb"]["interest"] == "10.00"


def test_fclb_notices_once_and_latest_payment(
    client, backend_app, backend_settings, service_headers
) -> None:  # type: ignore[no-untyped-def]
    ids, _, notified = setup(client, backend_app, backend_settings)
    latest = client.get(
        "/api/v1/payments/latest", params={"sender_id": SENDER}, headers=service_headers
    )
    assert latest.status_code == 404 and latest.json()["detail"]["code"] == "payment_not_found"
    late = submitted(client, service_headers, ids["employer_id"], month="2026-10")
    payment = pay(client, service_headers, ids["employer_id"], [late["acr_no"], late["ecr_no"]])
    payment = payment.json()["payments"][0]
    proceed(client, payment["pay_url"])
    token = urlsplit(payment["pay_url"]).path.rsplit("/", 1)[-1]
    for _ in range(3):  # the callback replayed: one state change, one set of notices
        client.post(f"/pay/{token}/callback", data={"code": "00"}, follow_redirects=False)
    view = client.get(
        "/api/v1/payments/latest", params={"sender_id": SENDER}, headers=service_headers
    ).json()
    assert view["id"] == payment["id"] and view["state"] == "successful"
    notices: list[dict[str, Any]] = view["fclb_notices"]
    assert [n["reference"] for n in notices] == [late["acr_no"], late["ecr_no"]]
    assert all(n["days_late"] == 11 and n["interest"] == "5.00" for n in notices)
    assert view["receipt"]["late_interest"] == "10.00"
    with get_sessionmaker(backend_settings.database_url)() as db:
        assert db.scalar(select(func.count()).select_from(FclbNotice)) == 2
    assert notified == [(SENDER, payment["id"])]


def test_no_notice_when_paid_on_time(
    client, backend_app, backend_settings, service_headers
) -> None:  # type: ignore[no-untyped-def]
    ids, _, _ = setup(client, backend_app, backend_settings, when=datetime(2026, 11, 10, 3, 0))
    sub = submitted(client, service_headers, ids["employer_id"], month="2026-10")
    payment = pay(client, service_headers, ids["employer_id"], [sub["acr_no"]]).json()
    payment = payment["payments"][0]
    proceed(client, payment["pay_url"])
    token = urlsplit(payment["pay_url"]).path.rsplit("/", 1)[-1]
    client.post(f"/pay/{token}/callback", data={"code": "00"}, follow_redirects=False)
    view = client.get(
        f"/api/v1/payments/{payment['id']}", params={"sender_id": SENDER}, headers=service_headers
    ).json()
    assert view["state"] == "successful" and view["fclb_notices"] == []


def test_slip_prints_the_state_office(
    client, backend_app, backend_settings, service_headers
) -> None:  # type: ignore[no-untyped-def]
    ids, _, _ = setup(client, backend_app, backend_settings)
    sub = submitted(client, service_headers, ids["employer_id"])
    slip = next(s for s in sub["slips"] if s["act"] == "act4")
    pdf = client.get(local_path(slip["pdf_url"]))
    assert pdf.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "PERKESO Negeri Selangor" in text and "40000 Shah Alam" in text
    assert sub["acr_no"] in text
    # The address is data marked unconfirmed: the slip and the API say so; the banks are data.
    flat = " ".join(text.split())
    assert "not yet confirmed" in flat and "belum disahkan" in flat
    assert slip["office"] == {
        "name": "PERKESO Negeri Selangor",
        "address": slip["office"]["address"],
        "confirmed": False,
    }
    assert "Shah Alam" in slip["office"]["address"]
    assert slip["banks"] == ["Maybank", "RHB Bank (cash only)", "Public Bank"]
    assert slip["banks_ms"][1] == "RHB Bank (tunai sahaja)"
    assert "Maybank, RHB Bank (cash only) or Public Bank counter" in flat


def test_slip_office_confirmed_and_head_office_fallback(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Confirming an office is a data edit: the note goes; a state without an office on file
    gets the head office from counter_slip.json, still marked unconfirmed."""
    from backend.domain import registration
    from backend.services import contribution_pdfs

    assert contribution_pdfs.slip_office("10")["confirmed"] is False
    real = registration.offices

    def confirmed(state: str):  # type: ignore[no-untyped-def]
        return [{**o, "confirmed": True} for o in real(state)]

    monkeypatch.setattr(registration, "offices", confirmed)
    assert contribution_pdfs.slip_office("10")["confirmed"] is True
    monkeypatch.setattr(registration, "offices", lambda state: [])
    fallback = contribution_pdfs.slip_office("10")
    head = contribution_pdfs.slip_data()["head_office"]
    assert fallback == {
        "name": "PERKESO Pejabat Negeri Selangor",
        "address": head["address"],
        "confirmed": False,
    }
    assert contribution_pdfs.slip_office(None)["name"] == head["name"]


def test_payment_result_reaches_telegram(backend_settings, backend_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seed(backend_settings, sender_id="tg-4242", email="tg@example.com", code="E1100050234Z")
    posted: list[tuple[str, dict[str, Any]]] = []

    def fake_post(url, params=None, json=None, timeout=None):  # type: ignore[no-untyped-def]
        reply = {
            "messages": [
                {"recipient_id": "tg-4242", "text": "Payment SUCCESSFUL."},
                {
                    "recipient_id": "tg-4242",
                    "text": "Receipt R1",
                    "custom": {
                        "document": {"url": "http://x/files/receipt/1?t=a", "filename": "R1.pdf"}
                    },
                },
            ]
        }
        return httpx.Response(200, json=reply, request=httpx.Request("POST", url))

    async def fake_gateway(self, url, json=None, headers=None, **kwargs):  # type: ignore[no-untyped-def]
        posted.append((url, json))
        return httpx.Response(200, json={"sent": 2}, request=httpx.Request("POST", url))

    monkeypatch.setattr(httpx, "post", fake_post)
    monkeypatch.setattr(httpx.AsyncClient, "post", fake_gateway)
    monkeypatch.setenv("TELEGRAM_GATEWAY_URL", "http://gateway:8444")
    RasaNotifier(backend_settings)("tg-4242", 3)
    assert [url for url, _ in posted] == ["http://gateway:8444/internal/v1/telegram/messages"]
    sent = posted[0][1]["messages"]
    assert sent[0]["text"] == "Payment SUCCESSFUL." and sent[1]["document"]["filename"] == "R1.pdf"
    with get_sessionmaker(backend_settings.database_url)() as db:
        kept = db.scalars(
            select(ConversationMessage).where(ConversationMessage.sender_id == "tg-4242")
        ).all()
        assert [m.text for m in kept] == ["Payment SUCCESSFUL.", "Receipt R1"]


def test_payment_result_goes_to_the_senders_replica(backend_settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Several Rasa replicas: the trigger goes to the one that owns the sender (as its turns
    do); a replica that refuses the connection is skipped; one that may have handled the
    intent (read timeout) is not asked again elsewhere, so the user is never told twice."""
    from backend.hub import replicas

    urls = ["http://rasa-1:5005", "http://rasa-2:5005", "http://rasa-3:5005"]
    monkeypatch.setenv("RASA_URLS", ",".join(urls))
    sender = "web-replica-owner"
    ranked = replicas.ranking(sender, urls)
    assert replicas.url_for(sender, "http://unused") == ranked[0]
    calls: list[str] = []
    failures: dict[str, Exception] = {}

    def fake_post(url, params=None, json=None, timeout=None):  # type: ignore[no-untyped-def]
        calls.append(url)
        base = url.split("/conversations/")[0]
        if base in failures:
            raise failures[base]
        assert json == {"name": "payment_result", "entities": {"payment_id": 7}}
        return httpx.Response(200, json={"messages": []}, request=httpx.Request("POST", url))

    monkeypatch.setattr(httpx, "post", fake_post)
    notify = RasaNotifier(backend_settings)
    notify(sender, 7)
    assert calls == [f"{ranked[0]}/conversations/{sender}/trigger_intent"]

    calls.clear()
    failures[ranked[0]] = httpx.ConnectError("refused")
    notify(sender, 7)
    assert [c.split("/conversations/")[0] for c in calls] == ranked[:2]

    calls.clear()
    failures[ranked[0]] = httpx.ReadTimeout("maybe handled")
    notify(sender, 7)
    assert [c.split("/conversations/")[0] for c in calls] == ranked[:1]

    calls.clear()
    failures.update({u: httpx.ConnectError("down") for u in urls})
    notify(sender, 7)  # every replica down: logged, nothing raised
    assert sorted(c.split("/conversations/")[0] for c in calls) == sorted(urls)

    # One Rasa (RASA_URLS unset): RASA_URL, as before.
    monkeypatch.delenv("RASA_URLS")
    calls.clear()
    failures.clear()
    notify(sender, 7)
    single = backend_settings.rasa_url.rstrip("/")
    assert calls == [f"{single}/conversations/{sender}/trigger_intent"]
