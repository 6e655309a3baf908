"""Prometheus metrics for the backend and the hub, served at ``GET /metrics``.

Labels stay low-cardinality: HTTP requests are counted by route *template* (``/pay/{token}``, never
the token), unmatched paths share one label. With one uvicorn worker the in-process registry is
exact; with several workers set ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multi-process
mode, an empty folder per start) and every worker's samples are added up.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTTP_REQUESTS = Counter(
    "assist_http_requests_total",
    "HTTP requests answered by the backend, by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "assist_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CHAT_TURNS = Counter(
    "assist_chat_turns_total",
    "Chat turns through the hub, by channel and outcome (answered, refused, unavailable).",
    ["channel", "outcome"],
)
HUB_UNAVAILABLE = Counter(
    "assist_hub_unavailable_total",
    "Turns the hub answered with 'temporarily unavailable' (Rasa or the action server down).",
    ["channel"],
)
RASA_LATENCY = Histogram(
    "assist_hub_rasa_seconds",
    "Time Rasa took to answer one forwarded turn (including failures), by channel.",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)

UNMATCHED = "<unmatched>"


def route_template(scope: Scope) -> str:
    """The matched route's path template; a mount's prefix; ``<unmatched>`` otherwise."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str) and path:
        return path
    app = scope.get("app")
    for candidate in getattr(getattr(app, "router", None), "routes", []):
        match, _ = candidate.matches(scope)
        if match == Match.FULL:
            return getattr(candidate, "path", None) or UNMATCHED
    return UNMATCHED


class MetricsMiddleware:
    """Pure ASGI middleware (keeps streaming and background tasks untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = route_template(scope)
            method = scope.get("method", "GET")
            if route != "/metrics":
                HTTP_REQUESTS.labels(method, route, str(status["code"])).inc()
                HTTP_LATENCY.labels(method, route).observe(time.perf_counter() - started)


def record_turn(channel: str, outcome: str, ms: float | None = None) -> None:
    CHAT_TURNS.labels(channel, outcome).inc()
    if outcome == "unavailable":
        HUB_UNAVAILABLE.labels(channel).inc()
    if ms is not None and outcome != "refused":
        RASA_LATENCY.labels(channel).observe(ms / 1000)


class TurnLogCounter(logging.Handler):
    """Counts the hub's one-line-per-turn log (``event="chat_turn"``) into the turn metrics.

    The hub already writes exactly one such record per turn with its channel and outcome, so the
    metrics follow the same definition as the logs without the hub knowing about Prometheus.
    (Counting needs ``assist.hub`` at INFO, the default ``ASSIST_LOG_LEVEL``.)
    """

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "event", None) != "chat_turn":
            return
        if getattr(record, "refused", None):
            outcome = "refused"
        elif getattr(record, "error", None):
            outcome = "unavailable"
        else:
            outcome = "answered"
        ms = getattr(record, "ms", None)
        record_turn(
            str(getattr(record, "channel", "unknown")),
            outcome,
            float(ms) if isinstance(ms, int | float) else None,
        )


def install(app: Any) -> None:
    """Middleware, the ``/metrics`` route and the turn counter (added once per process)."""
    app.add_middleware(MetricsMiddleware)
    app.include_router(router)
    hub_logger = logging.getLogger("assist.hub")
    if not any(isinstance(h, TurnLogCounter) for h in hub_logger.handlers):
        hub_logger.addHandler(TurnLogCounter())


def _registry() -> Any:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


router = APIRouter(tags=["health"])


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus text format; when ``METRICS_TOKEN`` is set a matching bearer token is required."""
    settings = request.app.state.settings
    expected = getattr(settings, "metrics_token", "")
    if expected:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(
            token.strip().encode(), expected.encode()
        ):
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
    body = generate_latest(_registry()) + flow_metrics(settings.database_url)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def flow_metrics(database_url: str) -> bytes:
    """Turns and runs per flow (form), read from the analytics tables at scrape time.

    Every backend process and the analytics consumer see the same rows, so these totals are
    exact whatever the number of processes (no multiprocess directory needed). A database error
    leaves them out rather than failing the scrape.
    """
    from prometheus_client.core import CounterMetricFamily
    from sqlalchemy import func, select

    from backend.db import get_engine
    from backend.models import AnalyticsFlowRun

    runs = CounterMetricFamily(
        "assist_flow_runs",
        "Form runs seen in Rasa's events, by flow and outcome (open, completed, cancelled).",
        labels=["flow", "outcome"],
    )
    turns = CounterMetricFamily(
        "assist_flow_turns",
        "User turns while a form was active, by flow.",
        labels=["flow"],
    )
    query = select(
        AnalyticsFlowRun.flow,
        AnalyticsFlowRun.outcome,
        func.count(),
        func.coalesce(func.sum(AnalyticsFlowRun.turns), 0),
    ).group_by(AnalyticsFlowRun.flow, AnalyticsFlowRun.outcome)
    per_flow: dict[str, int] = {}
    try:
        with get_engine(database_url).connect() as conn:
            rows = conn.execute(query).all()
    except Exception as exc:  # noqa: BLE001 - a scrape must not fail on the database
        logging.getLogger(__name__).warning("flow metrics left out: %s", exc)
        return b""
    for flow, outcome, count, turn_sum in rows:
        runs.add_metric([flow, outcome], count)
        per_flow[flow] = per_flow.get(flow, 0) + int(turn_sum)
    for flow, total in sorted(per_flow.items()):
        turns.add_metric([flow], total)

    class _Flows:
        def collect(self):  # type: ignore[no-untyped-def]
            return [runs, turns]

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Flows())
    return generate_latest(registry)
