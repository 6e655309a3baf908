"""The hub's one connection pool to Rasa's REST channel.

A module-level client is created lazily on first use and closed by the hub router's lifespan.
Tests swap the transport with :func:`use_transport` (e.g. an ``httpx.MockTransport``).
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

logger = logging.getLogger("assist.hub.rasa")


class RasaUnavailable(Exception):
    """Rasa (or the action server behind it) did not answer usefully."""


class RasaClient:
    def __init__(
        self,
        base_url: str,
        token: str = "",
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            transport=transport,
        )

    @property
    def closed(self) -> bool:
        return self._client.is_closed

    async def send(
        self, sender: str, message: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """POST to /webhooks/rest/webhook; the bot's reply list, or RasaUnavailable."""
        # No ?token=: Rasa's --auth-token guards its HTTP API, not channel webhooks, and a token
        # in the URL would end up in httpx's request log.
        try:
            response = await self._client.post(
                "/webhooks/rest/webhook",
                json={"sender": sender, "message": message, "metadata": metadata},
            )
        except (httpx.HTTPError, OSError) as exc:  # TimeoutError is an OSError
            raise RasaUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise RasaUnavailable(f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise RasaUnavailable("reply is not JSON") from exc
        if not isinstance(body, list):
            raise RasaUnavailable("reply is not a list")
        return [item for item in body if isinstance(item, dict)]

    async def aclose(self) -> None:
        await self._client.aclose()


_client: RasaClient | None = None
_transport: httpx.AsyncBaseTransport | None = None


def get_rasa_client(base_url: str, token: str = "", timeout: float = 30.0) -> RasaClient:
    """The shared client for ``base_url`` (re-created if the URL changed or it was closed)."""
    global _client
    if _client is None or _client.closed or _client.base_url != base_url.rstrip("/"):
        old = _client
        _client = RasaClient(base_url, token, timeout, transport=_transport)
        if old is not None and not old.closed:
            logger.info("rasa client re-created for %s", _client.base_url)
    return _client


def use_transport(transport: httpx.AsyncBaseTransport | None) -> None:
    """Route every later Rasa call through ``transport`` (tests); None restores the network."""
    global _client, _transport
    _transport = transport
    _client = None


async def close_rasa_client() -> None:
    global _client
    if _client is not None:
        client, _client = _client, None
        await client.aclose()
