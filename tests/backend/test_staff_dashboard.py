"""Supervisors' dashboard: figures from ingested Rasa events, waiting time from tickets."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from backend.analytics.ingest import ingest_rasa_events
from backend.db import get_sessionmaker
from backend.models import HandoffTicket
from backend.services.staff_auth import create_staff
from tests.backend.test_analytics_ingest import (
    START,
    Stream,
    portal_id_cancelled_at_mykad,
    portal_id_completed,
)
from tests.backend.test_staff import AGENT, SUPERVISOR, sign_in


def seed(settings) -> None:  # type: ignore[no-untyped-def]
    """Three portal-ID runs (2 completed, 1 cancelled at mykad), fallbacks and a handoff."""
    with get_sessionmaker(settings.database_url)() as db:
        create_staff(db, SUPERVISOR[0], "Sue Pervisor", SUPERVISOR[1], "supervisor")
        create_staff(db, AGENT[0], "Ali Agent", AGENT[1], "agent")
        events = portal_id_completed("web-a", START).events
        events += portal_id_completed("web-b", START + timedelta(days=1), language="ms").events
        events += portal_id_cancelled_at_mykad("tg-1", START).events
        lost = Stream("web-c", START)
        lost.user("nlu_fallback").action("action_fallback").user("nlu_fallback")
        lost.action("action_fallback").user("human_handoff").action("action_handoff_request")
        events += lost.events
        ingest_rasa_events(db, events)
        created = START + timedelta(minutes=5)
        db.add(
            HandoffTicket(
                sender_id="web-c",
                status="closed",
                language="en",
                slots={},
                created_at=created,
                assigned_at=created + timedelta(seconds=90),
            )
        )
        db.add(
            HandoffTicket(
                sender_id="web-d", status="open", language="en", slots={}, created_at=created
            )
        )
        db.commit()


@pytest.fixture
def seeded(backend_settings, backend_app) -> None:  # type: ignore[no-untyped-def]
    seed(backend_settings)


def test_dashboard_figures(client: TestClient, seeded) -> None:  # type: ignore[no-untyped-def]
    assert sign_in(client, *SUPERVISOR).status_code == 303
    res = client.get("/staff/api/dashboard?from=2026-11-01&to=2026-11-03")
    assert res.status_code == 200, res.text
    data = res.json()
    assert data["conversations"] == 4
    assert data["per_day"]["days"] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert data["per_day"]["channels"] == {"telegram": [0, 1, 0], "web": [0, 2, 1]}
    assert data["languages"] == {"en": 2, "ms": 2}
    (funnel,) = data["funnels"]
    assert (funnel["flow"], funnel["started"], funnel["completed"], funnel["cancelled"]) == (
        "portal_id_form",
        3,
        2,
        1,
    )
    assert funnel["dropped_at"] == [{"slot": "mykad", "count": 1}]
    assert data["fallbacks"] == 2 and data["handoff_conversations"] == 1
    assert data["handoff_rate"] == 0.25
    assert data["waiting"]["median_seconds"] == 90 and data["waiting"]["not_taken"] == 1

    narrow = client.get("/staff/api/dashboard?from=2026-11-03&to=2026-11-03").json()
    assert narrow["conversations"] == 1 and narrow["funnels"][0]["completed"] == 1

    page = client.get("/staff/dashboard?from=2026-11-01&to=2026-11-03")
    assert page.status_code == 200
    assert 'data-flow="portal_id_form"' in page.text and "chart.umd.min.js" in page.text
    assert "<code>mykad</code>: 1" in page.text


def test_dashboard_is_for_supervisors_only(client: TestClient, seeded) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/staff/api/dashboard").status_code == 401
    assert client.get("/staff/dashboard", follow_redirects=False).status_code == 303
    sign_in(client, *AGENT)
    assert client.get("/staff/api/dashboard").status_code == 403
    assert client.get("/staff/dashboard").status_code == 403


def test_bad_range(client: TestClient, seeded) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, *SUPERVISOR)
    for query in (
        "from=2026-11-05&to=2026-11-01",
        "from=yesterday",
        "from=2020-01-01&to=2026-01-01",
    ):
        res = client.get(f"/staff/api/dashboard?{query}")
        assert res.status_code == 422, query
    assert client.get("/staff/dashboard?from=nonsense").status_code == 422


def test_default_range_is_the_last_30_days(client: TestClient, seeded, backend_app) -> None:  # type: ignore[no-untyped-def]
    from tests.backend.helpers import install_clock

    clock = install_clock(backend_app)
    clock.now = datetime(2026, 11, 20, 3, 0)
    sign_in(client, *SUPERVISOR)
    data = client.get("/staff/api/dashboard").json()
    assert (data["from"], data["to"]) == ("2026-10-22", "2026-11-20")
    assert data["conversations"] == 4


def test_a_low_confidence_answer_the_form_took_is_not_a_fallback(
    backend_settings, backend_app
) -> None:  # type: ignore[no-untyped-def]
    """A company name below the NLU threshold still fills the form: the user never saw 'sorry'."""
    from tests.backend.test_analytics_ingest import days

    stream = Stream("web-shop", START)
    stream.user("apply_portal_id").action("portal_id_form").loop("portal_id_form")
    stream.slot("requested_slot", "company_name").action("action_listen")
    stream.user("nlu_fallback", "Kedai Runcit Ah Seng").slot("company_name", "Kedai Runcit")
    stream.action("portal_id_form").slot("requested_slot", "company_role").action("action_listen")
    stream.user("nlu_fallback", "zzkq").action("action_fallback").action("portal_id_form")
    with get_sessionmaker(backend_settings.database_url)() as db:
        ingest_rasa_events(db, stream.events)
        db.commit()
        (row,) = days(db)
        assert (row.user_turns, row.fallbacks) == (3, 1)
