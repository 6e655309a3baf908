"""The gateway's /metrics: updates, replies, errors and latency in Prometheus' text format."""

from __future__ import annotations

import httpx
from prometheus_client import REGISTRY

from gateway import metrics
from gateway.telegram import Gateway, outbound_app
from tests.gateway.test_telegram import FakeBot, FakeHub, context, gateway, hub, text_update

__all__ = ["gateway", "hub"]  # the fixtures, shared with test_telegram.py


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_turn_counts_one_update_its_replies_and_its_latency(
    gateway: Gateway, hub: FakeHub
) -> None:
    hub.replies.append({"messages": [{"text": "Hello!"}, {"text": "How can I help?"}]})
    before = (
        value("assist_telegram_updates_total", kind="text"),
        value("assist_telegram_replies_total", kind="text"),
        value("assist_telegram_update_seconds_count", kind="text"),
        value("assist_telegram_hub_seconds_count"),
    )
    await metrics.measured("text", gateway.on_text)(text_update("hi"), context(FakeBot()))
    after = (
        value("assist_telegram_updates_total", kind="text"),
        value("assist_telegram_replies_total", kind="text"),
        value("assist_telegram_update_seconds_count", kind="text"),
        value("assist_telegram_hub_seconds_count"),
    )
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 2, 1, 1]


async def test_hub_down_and_a_failing_handler_count_as_errors(
    gateway: Gateway, hub: FakeHub
) -> None:
    hub.down = True
    down = value("assist_telegram_errors_total", kind="hub_unavailable")
    await metrics.measured("text", gateway.on_text)(text_update("hi"), context(FakeBot()))
    assert value("assist_telegram_errors_total", kind="hub_unavailable") == down + 1

    async def broken(*_args: object) -> None:
        raise RuntimeError("boom")

    failed = value("assist_telegram_errors_total", kind="update_failed")
    try:
        await metrics.measured("other", broken)(None, None)
    except RuntimeError:
        pass
    assert value("assist_telegram_errors_total", kind="update_failed") == failed + 1


async def test_metrics_endpoint_and_its_token() -> None:
    gateway = Gateway("http://hub.test", "svc", httpx.AsyncClient())
    transport = httpx.ASGITransport(app=outbound_app(lambda: FakeBot(), gateway))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    for name in (
        "assist_telegram_updates_total",
        "assist_telegram_replies_total",
        "assist_telegram_errors_total",
        "assist_telegram_update_seconds_bucket",
        "assist_telegram_hub_seconds_bucket",
    ):
        assert name in response.text
    await gateway.http.aclose()

    from starlette.applications import Starlette

    guarded = Starlette(routes=[metrics.metrics_route("s3cret")])
    transport = httpx.ASGITransport(app=guarded)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        assert (await client.get("/metrics")).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert (await client.get("/metrics", headers=wrong)).status_code == 401
        right = {"Authorization": "Bearer s3cret"}
        assert (await client.get("/metrics", headers=right)).status_code == 200
