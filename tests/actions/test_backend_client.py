"""How long the action server waits for the backend: reads give up sooner than writes."""

from __future__ import annotations

import httpx

from bot.actions import backend_client
from bot.actions.backend_client import DEFAULT_TIMEOUT, WRITE_TIMEOUT, BackendClient


async def test_a_write_waits_longer_than_a_read() -> None:
    """A portal ID application abandoned at 10 s under a burst was still created by the backend:
    the user heard "unavailable" and "Try again" met "account exists"."""
    waited: dict[str, float] = {}

    def backend(request: httpx.Request) -> httpx.Response:
        waited[f"{request.method} {request.url.path}"] = request.extensions["timeout"]["read"]
        return httpx.Response(200, json={"ok": True})

    client = BackendClient("http://backend.test", "token", httpx.MockTransport(backend))
    await client.create_portal_application({"name": "x"})
    await backend_client.submit_contribution(client, "web-1", 7)
    await backend_client.contribution_pending(client, "web-1", 3)
    assert waited == {
        "POST /api/v1/portal-applications": WRITE_TIMEOUT,
        "POST /api/v1/contributions/7/submit": WRITE_TIMEOUT,
        "GET /api/v1/contributions/pending": DEFAULT_TIMEOUT,
    }
    assert DEFAULT_TIMEOUT < WRITE_TIMEOUT < 30  # inside the hub's wait for the whole turn


async def test_a_timeout_chosen_by_the_caller_is_kept() -> None:
    waited: list[float] = []

    def backend(request: httpx.Request) -> httpx.Response:
        waited.append(request.extensions["timeout"]["read"])
        return httpx.Response(200, json={})

    client = BackendClient("http://backend.test", "t", httpx.MockTransport(backend), timeout=2.0)
    await client.create_portal_application({})
    assert waited == [2.0]
