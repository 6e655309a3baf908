"""GET /metrics: Prometheus text with HTTP, latency and chat-turn series (issue 7)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from backend.db import upgrade_database
from backend.hub import rasa_client
from backend.main import create_app
from backend.settings import Settings

SERVICE_TOKEN = "test-service-token"


@pytest.fixture
def rasa_replies() -> Iterator[list]:
    """Queue of replies for a fake Rasa REST webhook (an exception = Rasa down)."""
    replies: list = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        reply = replies.pop(0) if replies else [{"text": "Hello!"}]
        if isinstance(reply, Exception):
            raise reply
        return httpx.Response(200, json=[{**m, "recipient_id": body["sender"]} for m in reply])

    rasa_client.use_transport(httpx.MockTransport(handler))
    yield replies
    rasa_client.use_transport(None)


def make_app(tmp_path, **overrides):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    upgrade_database(url)
    return create_app(
        Settings(
            database_url=url,
            assist_secret_key="test-secret",
            assist_service_token=SERVICE_TOKEN,
            rasa_url="http://rasa.test",
            **overrides,
        )
    )


def samples(client: TestClient) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    out: dict[tuple[str, tuple], float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(snapshot: dict, name: str, **labels: str) -> float:
    return snapshot.get((name, tuple(sorted(labels.items()))), 0.0)


def test_http_requests_by_route_template_and_status(tmp_path, rasa_replies) -> None:  # type: ignore[no-untyped-def]
    with TestClient(make_app(tmp_path)) as client:
        before = samples(client)
        assert client.get("/healthz").status_code == 200
        assert client.get("/files/receipt/1?t=forged").status_code in (403, 404)
        assert client.get("/no/such/page/12345").status_code == 404
        after = samples(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("assist_http_requests_total", method="GET", route="/healthz", status="200") == 1
    # the template, never the concrete path (no ids or tokens in labels)
    assert (
        sum(
            value(
                after,
                "assist_http_requests_total",
                method="GET",
                route="/files/{kind}/{file_id}",
                status=s,
            )
            - value(
                before,
                "assist_http_requests_total",
                method="GET",
                route="/files/{kind}/{file_id}",
                status=s,
            )
            for s in ("403", "404")
        )
        == 1
    )
    assert not any("12345" in str(labels) or "forged" in str(labels) for (_, labels) in after)
    assert delta("assist_http_requests_total", method="GET", route="<unmatched>", status="404") == 1
    assert delta("assist_http_request_duration_seconds_count", method="GET", route="/healthz") == 1
    assert "assist_http_request_duration_seconds_bucket" in {name for name, _ in after}
    # /metrics itself is not counted
    assert (
        value(after, "assist_http_requests_total", method="GET", route="/metrics", status="200")
        == 0
    )


def test_chat_turns_by_channel_and_unavailable(tmp_path, rasa_replies) -> None:  # type: ignore[no-untyped-def]
    app = make_app(tmp_path)
    with TestClient(app) as client:
        before = samples(client)
        client.post("/api/v1/chat/session", json={"language": "en"})
        assert client.post("/api/v1/chat/messages", json={"text": "hi"}).status_code == 200
        assert (
            client.post("/api/v1/chat/messages", json={"text": "/not_offered"}).status_code == 200
        )
        rasa_replies.append(httpx.ConnectError("down"))
        reply = client.post("/api/v1/chat/messages", json={"text": "hello?"}).json()
        assert reply["error"] == "unavailable"
        res = client.post(
            "/internal/v1/hub/messages",
            json={"sender_id": "tg-42", "text": "hai", "language_hint": "ms"},
            headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
        )
        assert res.status_code == 200
        after = samples(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("assist_chat_turns_total", channel="web", outcome="answered") == 1
    assert delta("assist_chat_turns_total", channel="web", outcome="refused") == 1
    assert delta("assist_chat_turns_total", channel="web", outcome="unavailable") == 1
    assert delta("assist_chat_turns_total", channel="telegram", outcome="answered") == 1
    assert delta("assist_hub_unavailable_total", channel="web") == 1
    assert delta("assist_hub_rasa_seconds_count", channel="web") == 2
    assert (
        delta(
            "assist_http_requests_total",
            method="POST",
            route="/api/v1/chat/messages",
            status="200",
        )
        == 3
    )


def test_metrics_token_when_configured(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with TestClient(make_app(tmp_path, metrics_token="scrape-me")) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
        ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert ok.status_code == 200 and "assist_http_requests_total" in ok.text


def test_turns_and_runs_per_flow_from_the_analytics_tables(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Two portal ID conversations (one completed, one cancelled) as Rasa's events report them."""
    from datetime import datetime

    from backend.analytics.ingest import ingest_rasa_events
    from backend.db import get_sessionmaker
    from tests.backend.test_analytics_ingest import (
        portal_id_cancelled_at_mykad,
        portal_id_completed,
    )

    app = make_app(tmp_path)
    url = app.state.settings.database_url
    with TestClient(app) as client:
        before = samples(client)
        assert value(before, "assist_flow_turns_total", flow="portal_id_form") == 0
        with get_sessionmaker(url)() as db:
            events = portal_id_completed("web-a", datetime(2026, 6, 1, 9)).events
            events += portal_id_cancelled_at_mykad("tg-1", datetime(2026, 6, 1, 10)).events
            ingest_rasa_events(db, events)
            db.commit()
        after = samples(client)
    # Inside the form: the name and MyKad answers (completed), the name and 'cancel' (cancelled).
    assert value(after, "assist_flow_turns_total", flow="portal_id_form") == 4
    runs = "assist_flow_runs_total"
    assert value(after, runs, flow="portal_id_form", outcome="completed") == 1
    assert value(after, runs, flow="portal_id_form", outcome="cancelled") == 1
