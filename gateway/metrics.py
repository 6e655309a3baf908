"""Prometheus metrics of the Telegram gateway, served at ``GET /metrics`` on its HTTP server.

Same style as the backend's (``backend/metrics.py``): low-cardinality labels only (the kind of
update or reply, never a user or chat id), ``METRICS_TOKEN`` as a bearer token when set. The
gateway has an HTTP server in webhook mode, and in polling mode when ``TELEGRAM_GATEWAY_PORT``
is set (the same server takes the backend's proactive messages).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest

UPDATES = Counter(
    "assist_telegram_updates_total",
    "Telegram updates handled, by kind (text, command, callback, file, other).",
    ["kind"],
)
REPLIES = Counter(
    "assist_telegram_replies_total",
    "Messages the gateway sent to Telegram, by kind (text, document, link, proactive).",
    ["kind"],
)
ERRORS = Counter(
    "assist_telegram_errors_total",
    "Failures, by kind (hub_unavailable, update_failed, document, file_fetch, proactive, "
    "webhook_refused = an update without the secret, retry_after = Telegram's flood control "
    "asked the gateway to wait).",
    ["kind"],
)
UPDATE_LATENCY = Histogram(
    "assist_telegram_update_seconds",
    "Time from receiving an update to the last reply sent, by kind.",
    ["kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
HUB_LATENCY = Histogram(
    "assist_telegram_hub_seconds",
    "Time the conversation hub took to answer one turn or file (including failures).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)

Handler = Callable[..., Awaitable[None]]


def measured(kind: str, handler: Handler) -> Handler:
    """Count the update and time it; an exception counts as ``update_failed`` and goes on up."""

    @wraps(handler)
    async def wrapper(*args: Any, **kwargs: Any) -> None:
        UPDATES.labels(kind).inc()
        started = time.perf_counter()
        try:
            await handler(*args, **kwargs)
        except Exception:
            ERRORS.labels("update_failed").inc()
            raise
        finally:
            UPDATE_LATENCY.labels(kind).observe(time.perf_counter() - started)

    return wrapper


def metrics_route(token: str) -> Any:
    """The starlette route ``GET /metrics`` (401 without the bearer token when one is set)."""
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def metrics(request: Request) -> Response:
        if token:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not secrets.compare_digest(
                given.strip().encode(), token.encode()
            ):
                return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return Route("/metrics", metrics, methods=["GET"])
