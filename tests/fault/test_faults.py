"""Faults on the production profile: real processes killed, stopped and started again.

One stack per module (``prod``): two Rasa replicas on PostgreSQL + Redis, two action servers,
events through RabbitMQ into the analytics tables, the backend the action servers call and a hub
process the chat clients talk to. Every test leaves every process running again.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from backend.analytics.ingest import sender_key
from backend.hub import replicas
from backend.models import AnalyticsConversationDay, PortalApplication
from tests.fault.stack import ProductionStack
from tests.fullstack.chat import (
    all_text,
    asked_field,
    button_payload,
    drive_portal_form,
    new_client,
    send,
    sender_id,
)
from tests.fullstack.test_portal_id import Applicant, make_applicant

pytestmark = [pytest.mark.fullstack, pytest.mark.postgres]


@pytest.fixture
def db(prod: ProductionStack):
    engine = create_engine(prod.database_url)
    yield engine
    engine.dispose()


def applications(db, email: str) -> list[PortalApplication]:  # type: ignore[no-untyped-def]
    with Session(db) as session:
        return list(
            session.scalars(select(PortalApplication).where(PortalApplication.email == email))
        )


def rest_of(applicant: Applicant) -> dict[str, str]:
    return {k: v for k, v in applicant.answers().items() if k not in ("name", "mykad")}


def begin(client: httpx.Client, applicant: Applicant) -> list[dict[str, Any]]:
    """Opener, name and MyKad: the form is then asking for the email."""
    assert asked_field(send(client, "I want to apply for a portal ID")) == "name"
    assert asked_field(send(client, applicant.name)) == "mykad"
    replies = send(client, applicant.mykad)
    assert asked_field(replies) == "email", all_text(replies)
    return replies


def assert_application_kept(db, applicant: Applicant) -> None:  # type: ignore[no-untyped-def]
    rows = applications(db, applicant.email)
    assert len(rows) == 1, f"{len(rows)} applications for {applicant.email}"
    row = rows[0]
    assert row.full_name == applicant.name
    assert row.mykad == applicant.mykad_digits
    assert row.company_name == applicant.company and row.company_role == applicant.role
    assert re.sub(r"\D", "", row.mobile).endswith(re.sub(r"\D", "", applicant.mobile)[1:])


def test_a_killed_replica_mid_form_another_replica_continues_with_every_slot(prod, db) -> None:
    applicant = make_applicant("en")
    with new_client(prod.base_url) as client:
        sender = sender_id(client, prod.secret_key)
        owner = prod.rasa_name(replicas.ranking(sender, prod.rasa_urls)[0])
        other = prod.rasa_name(replicas.ranking(sender, prod.rasa_urls)[1])
        begin(client, applicant)
        prod.kill(owner)  # SIGKILL: no goodbye to the lock store or anyone
        try:
            replies = send(client, applicant.email)  # only `other` is alive to answer
            assert asked_field(replies) == "mobile", all_text(replies)
            assert prod.alive(other) and not prod.alive(owner)
            summary = drive_portal_form(
                replies,
                {k: v for k, v in rest_of(applicant).items() if k != "email"},
                lambda t: send(client, t),
            )
            shown = all_text(summary)
            assert applicant.name in shown and applicant.email in shown, shown
            assert applicant.company in shown, shown
            final = send(client, button_payload(summary, "/affirm"))
            assert "password" in all_text(final).lower(), all_text(final)
        finally:
            prod.start_process(owner)
    assert_application_kept(db, applicant)


def test_backend_stopped_mid_form_nothing_lost_and_the_form_completes(prod, db) -> None:
    applicant = make_applicant("en")
    with new_client(prod.base_url) as client:
        replies = begin(client, applicant)
        summary = drive_portal_form(replies, rest_of(applicant), lambda t: send(client, t))
        prod.stop_process("backend")  # what the action servers call; the hub still answers
        try:
            response = client.post(
                "/api/v1/chat/messages", json={"text": button_payload(summary, "/affirm")}
            )
            assert response.status_code == 200
            body = response.json()
            said = all_text(body["messages"])
            assert (
                "unavailable" in said.lower()
                and "nothing you entered has been lost" in said.lower()
            ), said
            assert "error" not in body  # the bot itself said so, in its own words
            retry = button_payload(body["messages"], ["/resume", "try again"])
            assert applications(db, applicant.email) == []
        finally:
            prod.start_process("backend")
        final = send(client, retry)
        said = all_text(final)
        assert "password" in said.lower(), said
        assert asked_field(final) is None or "password" in said.lower()
    assert_application_kept(db, applicant)


def test_killed_action_server_gets_a_clear_reply_and_recovers_alone(prod) -> None:
    applicant = make_applicant("en")
    with new_client(prod.base_url) as client:
        sender = sender_id(client, prod.secret_key)
        owner = prod.rasa_name(replicas.ranking(sender, prod.rasa_urls)[0])
        actions = prod.actions_of(owner)
        assert asked_field(send(client, "I want to apply for a portal ID")) == "name"
        others = {p.name: prod.pid(p.name) for p in prod.procs if p.name != actions}
        prod.kill(actions)
        try:
            started = time.monotonic()
            response = client.post("/api/v1/chat/messages", json={"text": applicant.name})
            elapsed = time.monotonic() - started
            body = response.json()
            assert response.status_code == 200 and body.get("error") == "unavailable", body
            assert "temporarily unavailable" in all_text(body["messages"]).lower()
            assert elapsed < 15, f"the hub took {elapsed:.1f} s to say so"
        finally:
            prod.start_process(actions)  # nothing else is restarted
        assert {n: prod.pid(n) for n in others} == others
        replies = send(client, applicant.name)
        assert asked_field(replies) == "mykad", all_text(replies)
        assert asked_field(send(client, applicant.mykad)) == "email"


@pytest.mark.parametrize("processes", ["one hub process", "two backend processes"])
def test_two_messages_at_the_same_instant_are_processed_in_order_once(prod, db, processes) -> None:  # type: ignore[no-untyped-def]
    """Same process: the hub's lock. Two processes (the hub and the backend, both serving the
    chat API, as two replicas behind a load balancer would): the Redis turn lock."""
    applicant = make_applicant("en")
    second_url = prod.base_url
    if processes == "two backend processes":
        second_url = f"http://127.0.0.1:{prod.ports.backend}"
        assert second_url != prod.base_url
    with new_client(prod.base_url) as client:
        sender = sender_id(client, prod.secret_key)
        assert asked_field(send(client, "I want to apply for a portal ID")) == "name"
        cookies = dict(client.cookies)
        results: dict[str, Any] = {}
        go = threading.Barrier(2)

        def post(label: str, url: str, message: str, delay: float) -> None:
            with httpx.Client(base_url=url, cookies=cookies, timeout=120) as c:
                go.wait()
                time.sleep(delay)
                results[label] = c.post("/api/v1/chat/messages", json={"text": message}).json()

        # Across processes the second waits a little longer, so "first" is first for certain
        # (the scheduling of two processes on a busy machine differs by tens of milliseconds).
        delay = 0.02 if second_url == prod.base_url else 0.1
        threads = [
            threading.Thread(target=post, args=("first", prod.base_url, applicant.name, 0.0)),
            threading.Thread(target=post, args=("second", second_url, applicant.mykad, delay)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
        assert asked_field(results["first"]["messages"]) == "mykad", results
        assert asked_field(results["second"]["messages"]) == "email", results
        history = client.get("/api/v1/chat/history").json()["messages"]
    roles = [(m["role"], m.get("text", "")) for m in history]
    user_texts = [t for role, t in roles if role == "user"]
    assert user_texts[-2:][0] == applicant.name and user_texts.count(applicant.name) == 1
    # Each reply follows its own message: no interleaving.
    idx_name = next(i for i, (r, t) in enumerate(roles) if r == "user" and t == applicant.name)
    assert roles[idx_name + 1][0] == "bot" and roles[idx_name + 2][0] == "user"
    with db.connect() as conn:
        tracked = (
            conn.execute(
                text(
                    "SELECT data::json->>'text' FROM events WHERE sender_id = :s "
                    "AND type_name = 'user' ORDER BY id"
                ),
                {"s": sender},
            )
            .scalars()
            .all()
        )
    assert tracked[-2:] == [applicant.name, applicant.mykad]
    assert tracked.count(applicant.name) == 1 and tracked.count(applicant.mykad) == 1


def test_rasa_events_reach_the_analytics_tables_through_rabbitmq(prod, db) -> None:
    with new_client(prod.base_url) as client:
        sender = sender_id(client, prod.secret_key)
        send(client, "hello")
        send(client, "I want to apply for a portal ID")
    deadline = time.monotonic() + 30
    rows: list[AnalyticsConversationDay] = []
    while time.monotonic() < deadline and sum(r.user_turns for r in rows) < 2:
        with Session(db) as session:
            rows = list(
                session.scalars(
                    select(AnalyticsConversationDay).where(
                        AnalyticsConversationDay.sender_key == sender_key(sender)
                    )
                )
            )
        time.sleep(0.5)
    assert rows, f"no analytics for the sender:\n{prod.log_tails(20)}"
    assert rows[0].channel == "web" and sum(r.user_turns for r in rows) == 2


def test_after_restarting_everything_conversations_drafts_and_payments_are_there(prod, db) -> None:
    from types import SimpleNamespace

    from tests.backend.contribution_helpers import seed

    applicant = make_applicant("en")
    half = new_client(prod.base_url)
    begin(half, applicant)  # a conversation in the middle of a form

    payer = new_client(prod.base_url)
    payer_sender = sender_id(payer, prod.secret_key)
    ids = seed(
        SimpleNamespace(database_url=prod.database_url),
        sender_id=payer_sender,
        email=f"boss.{payer_sender[-8:]}@example.com",
    )
    service = httpx.Client(
        base_url=prod.base_url,
        headers={"Authorization": f"Bearer {prod.service_token}", "X-Sender-Id": payer_sender},
        timeout=60,
    )
    draft = service.post(
        "/api/v1/registrations",
        json={"registration_type": "domestic", "employer_name": "Tan Ah Kow"},
    )
    assert draft.status_code == 201, draft.text
    contribution = service.post(
        "/api/v1/contributions",
        json={"sender_id": payer_sender, "employer_id": ids["employer_id"], "month": "2026-09"},
    )
    assert contribution.status_code == 201, contribution.text
    cid = contribution.json()["id"]
    assert (
        service.post(
            f"/api/v1/contributions/{cid}/complete", json={"sender_id": payer_sender}
        ).status_code
        == 200
    )
    submitted = service.post(
        f"/api/v1/contributions/{cid}/submit", json={"sender_id": payer_sender}
    )
    assert submitted.status_code == 200, submitted.text
    refs = [r for r in (submitted.json()["acr_no"], submitted.json()["ecr_no"]) if r]
    payment = service.post(
        "/api/v1/payments",
        json={
            "sender_id": payer_sender,
            "employer_id": ids["employer_id"],
            "references": refs,
            "idempotency_key": f"fault-{payer_sender}",
        },
    )
    assert payment.status_code == 201, payment.text
    payment_id = payment.json()["payments"][0]["id"]
    history_before = half.get("/api/v1/chat/history").json()["messages"]
    service.close()

    prod.stop_processes()
    assert not any(prod.alive(p.name) for p in prod.procs)
    prod.start_all()

    try:
        assert half.get("/api/v1/chat/history").json()["messages"] == history_before
        replies = send(half, applicant.email)  # the form resumes where it was
        assert asked_field(replies) == "mobile", all_text(replies)
        summary = drive_portal_form(
            replies,
            {k: v for k, v in rest_of(applicant).items() if k != "email"},
            lambda t: send(half, t),
        )
        assert applicant.name in all_text(summary)
        with httpx.Client(
            base_url=prod.base_url,
            headers={"Authorization": f"Bearer {prod.service_token}", "X-Sender-Id": payer_sender},
            timeout=60,
        ) as service:
            drafts = service.get("/api/v1/registrations").json()["registrations"]
            kept = {d["id"]: d["status"] for d in drafts}
            assert kept.get(draft.json()["id"]) == "draft", drafts
            got = service.get(f"/api/v1/payments/{payment_id}", params={"sender_id": payer_sender})
            assert got.status_code == 200 and got.json()["state"] == "created", got.text
            listed = service.get(
                "/api/v1/contributions",
                params={"sender_id": payer_sender, "employer_id": ids["employer_id"]},
            ).json()["contributions"]
            assert [c["id"] for c in listed] == [cid] and listed[0]["status"] == "submitted"
    finally:
        half.close()
        payer.close()
