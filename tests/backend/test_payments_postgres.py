"""On PostgreSQL (row locks, real concurrency): concurrent callbacks and submissions act once."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from backend.db import get_sessionmaker, upgrade_database
from backend.models import PaymentEvent, Receipt
from backend.settings import Settings
from tests.backend.contribution_helpers import seed
from tests.backend.helpers import install_clock
from tests.postgres import fresh_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    with fresh_database("assist_pay") as url:
        upgrade_database(url)
        yield Settings(
            database_url=url,
            assist_secret_key="k",
            assist_service_token="pg-token",
            assist_public_url="http://testserver",
            outbox_dir=tmp_path / "outbox",
            documents_dir=tmp_path / "docs",
        )


def run_together(n: int, action) -> list:  # type: ignore[no-untyped-def,type-arg]
    barrier = threading.Barrier(n)
    out: list = []  # type: ignore[type-arg]

    def go() -> None:
        barrier.wait()
        out.append(action())

    threads = [threading.Thread(target=go) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_concurrency_on_postgres(pg_settings) -> None:  # type: ignore[no-untyped-def]
    from backend.main import create_app

    app = create_app(pg_settings)
    notified: list[int] = []
    app.state.payment_notifier = lambda sender, pid: notified.append(pid)
    ids = seed(pg_settings)
    headers = {"Authorization": "Bearer pg-token"}
    with TestClient(app) as client:
        install_clock(app).now = datetime(2026, 11, 10, 2, 0)
        body = {"sender_id": "web-boss", "employer_id": ids["employer_id"], "month": "2026-10"}
        cid = client.post("/api/v1/contributions", json=body, headers=headers).json()["id"]
        client.post(
            f"/api/v1/contributions/{cid}/complete", json={"sender_id": "web-boss"}, headers=headers
        )
        codes = run_together(
            3,
            lambda: (
                client.post(
                    f"/api/v1/contributions/{cid}/submit",
                    json={"sender_id": "web-boss"},
                    headers=headers,
                ).status_code
            ),
        )
        assert sorted(codes) == [200, 409, 409]
        acr = client.get(
            f"/api/v1/contributions/{cid}", params={"sender_id": "web-boss"}, headers=headers
        ).json()["acr_no"]

        def create():  # type: ignore[no-untyped-def]
            return client.post(
                "/api/v1/payments",
                json={
                    "sender_id": "web-boss",
                    "employer_id": ids["employer_id"],
                    "references": [acr],
                    "idempotency_key": "pg-key-1",
                },
                headers=headers,
            ).json()["payments"][0]["id"]

        assert len(set(run_together(3, create))) == 1
        ecr = client.get(
            f"/api/v1/contributions/{cid}", params={"sender_id": "web-boss"}, headers=headers
        ).json()["ecr_no"]
        keys = iter(["pg-key-a", "pg-key-b", "pg-key-c"])
        lock = threading.Lock()

        def other_cart():  # type: ignore[no-untyped-def]
            with lock:
                key = next(keys)
            return client.post(
                "/api/v1/payments",
                json={
                    "sender_id": "web-boss",
                    "employer_id": ids["employer_id"],
                    "references": [ecr],
                    "idempotency_key": key,
                },
                headers=headers,
            ).status_code

        # Three different carts for one ECR at once: one payment; the others supersede it or wait.
        codes = run_together(3, other_cart)
        assert codes.count(201) >= 1
        with get_sessionmaker(pg_settings.database_url)() as db:
            from backend.models import Payment, PaymentItem

            open_ones = db.scalars(
                sa.select(Payment)
                .join(PaymentItem)
                .where(PaymentItem.reference == ecr, Payment.state == "created")
            ).all()
            assert len(open_ones) == 1
        payment = client.get(
            f"/api/v1/payments/{create()}", params={"sender_id": "web-boss"}, headers=headers
        ).json()
        path = urlsplit(payment["pay_url"]).path
        client.post(path, data={"email": "boss@example.com", "bank_code": "TEST0021"})
        results = run_together(
            4,
            lambda: (
                client.post(
                    f"{path}/callback", data={"code": "00"}, follow_redirects=False
                ).status_code
            ),
        )
        assert results == [303] * 4
    with get_sessionmaker(pg_settings.database_url)() as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(Receipt)) == 1
        transitions = db.scalars(
            sa.select(PaymentEvent).where(PaymentEvent.kind == "transition")
        ).all()
        assert len(transitions) == 1
    assert notified == [payment["id"]]


def test_clashing_drafts_submitted_at_once(pg_settings) -> None:  # type: ignore[no-untyped-def]
    """Monthly (act4), Arrears (act4) and Monthly (both) for one month, submitted at the same
    instant: exactly one gets an ACR, the others are refused with it."""
    from backend.main import create_app

    app = create_app(pg_settings)
    ids = seed(pg_settings)
    headers = {"Authorization": "Bearer pg-token"}
    with TestClient(app) as client:
        install_clock(app).now = datetime(2026, 11, 10, 2, 0)
        drafts = []
        for kind, act in (("Monthly", "act4"), ("Arrears", "act4"), ("Monthly", "both")):
            body = {
                "sender_id": "web-boss",
                "employer_id": ids["employer_id"],
                "month": "2026-10",
                "type": kind,
                "act": act,
            }
            cid = client.post("/api/v1/contributions", json=body, headers=headers).json()["id"]
            client.post(
                f"/api/v1/contributions/{cid}/complete",
                json={"sender_id": "web-boss"},
                headers=headers,
            )
            drafts.append(cid)
        queue = iter(drafts)
        lock = threading.Lock()

        def submit():  # type: ignore[no-untyped-def]
            with lock:
                cid = next(queue)
            res = client.post(
                f"/api/v1/contributions/{cid}/submit",
                json={"sender_id": "web-boss"},
                headers=headers,
            )
            return res.status_code, res.json()

        results = run_together(3, submit)
        assert sorted(code for code, _ in results) == [200, 409, 409]
        winner = next(body for code, body in results if code == 200)
        for code, body in results:
            if code == 409:
                assert body["detail"]["acr_no"] == winner["acr_no"]
