"""Which Rasa process answers a sender, when the production profile runs several.

Every Rasa replica shares the PostgreSQL tracker store and the Redis lock store, but the
open-source Redis lock store does not stop two servers from handling the same conversation at
the same instant. So the hub pins each sender to one replica: the replicas are ranked per sender
by rendezvous (highest-random-weight) hashing of ``sender_id`` + replica URL, and the sender's
turns go to the first of that ranking. It is stable across backend restarts and processes (no
state, no randomness), and when a replica is removed or down only *its* senders move — spread
over the others rather than all piled onto one neighbour.

A replica is skipped ("the next one") only when the request provably never reached it: the
connection was refused, reset before sending, or timed out while connecting. A read timeout or
an HTTP error means the replica may have processed the message, so the turn fails as
``RasaUnavailable`` instead of being replayed elsewhere (never processed twice). A replica that
refused a connection is tried last for ``RASA_REPLICA_RETRY_SECONDS`` (default 5), then gets its
senders back; their tracker lives in the shared store, so the conversation continues intact.

Configuration: ``RASA_URLS`` (comma-separated; scripts/processes.py sets it). With one URL or
none the hub's single client (``RASA_URL``) is used unchanged.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Sequence
from typing import Any

import httpx

from backend.hub import rasa_client
from backend.hub.rasa_client import RasaClient, RasaUnavailable

logger = logging.getLogger("assist.hub.replicas")

# Errors raised before a single byte of the request left this process.
_NOT_DELIVERED = (httpx.ConnectError, httpx.ConnectTimeout, ConnectionRefusedError)


def configured_urls(env: dict[str, str] | None = None) -> list[str]:
    """``RASA_URLS`` as a list of base URLs (duplicates and blanks dropped, order kept)."""
    raw = (env if env is not None else os.environ).get("RASA_URLS", "")
    urls: list[str] = []
    for part in raw.split(","):
        url = part.strip().rstrip("/")
        if url and url not in urls:
            urls.append(url)
    return urls


def ranking(sender_id: str, urls: Sequence[str]) -> list[str]:
    """The replicas in the order this sender tries them (rendezvous hashing)."""

    def weight(url: str) -> bytes:
        return hashlib.blake2b(f"{url}\x00{sender_id}".encode(), digest_size=8).digest()

    return sorted(urls, key=weight, reverse=True)


def url_for(sender_id: str, default: str) -> str:
    """The replica that owns ``sender_id`` (for calls outside a turn, e.g. ``trigger_intent``)."""
    urls = configured_urls()
    return ranking(sender_id, urls)[0] if len(urls) > 1 else default


def _not_delivered(exc: RasaUnavailable) -> bool:
    cause = exc.__cause__
    return isinstance(cause, _NOT_DELIVERED)


class ReplicaRouter:
    """Same ``send`` as :class:`RasaClient`, spread over several replicas by sender."""

    def __init__(
        self,
        urls: Sequence[str],
        token: str = "",
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.urls = list(urls)
        self.clients = {url: RasaClient(url, token, timeout, transport=transport) for url in urls}
        if retry_after is None:
            retry_after = float(os.environ.get("RASA_REPLICA_RETRY_SECONDS") or 5)
        self.retry_after = retry_after
        self._down_until: dict[str, float] = {}

    @property
    def closed(self) -> bool:
        return any(c.closed for c in self.clients.values())

    def order(self, sender_id: str) -> list[str]:
        """The sender's ranking, with replicas that recently refused connections moved last."""
        now = time.monotonic()
        ranked = ranking(sender_id, self.urls)
        up = [u for u in ranked if self._down_until.get(u, 0.0) <= now]
        return up + [u for u in ranked if u not in up]

    async def send(
        self, sender: str, message: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
        last: RasaUnavailable | None = None
        for url in self.order(sender):
            try:
                reply = await self.clients[url].send(sender, message, metadata)
            except RasaUnavailable as exc:
                if not _not_delivered(exc):
                    raise  # it may have been processed there: never replay it elsewhere
                self._down_until[url] = time.monotonic() + self.retry_after
                logger.warning("rasa replica %s unreachable (%s); trying the next", url, exc)
                last = exc
                continue
            self._down_until.pop(url, None)
            return reply
        raise RasaUnavailable(f"no Rasa replica reachable ({last})")

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()


_router: ReplicaRouter | None = None
_router_key: tuple[Any, ...] | None = None


def router_for(client: RasaClient) -> ReplicaRouter | RasaClient:
    """The router when ``RASA_URLS`` names several replicas, else ``client`` itself.

    Token and timeout come from the hub's client; the transport from ``rasa_client`` (tests).
    """
    global _router, _router_key
    urls = configured_urls()
    if len(urls) < 2:
        return client
    transport = rasa_client._transport  # noqa: SLF001 - the tests' seam, shared on purpose
    timeout = client._client.timeout.read or 30.0  # noqa: SLF001
    key = (tuple(urls), client.token, timeout, id(transport))
    if _router is None or _router_key != key or _router.closed:
        _router = ReplicaRouter(urls, client.token, timeout, transport=transport)
        _router_key = key
    return _router


async def send(
    client: RasaClient, sender: str, message: str, metadata: dict[str, Any]
) -> list[dict[str, Any]]:
    """The hub's one call to Rasa: to this sender's replica (or the only Rasa there is)."""
    return await router_for(client).send(sender, message, metadata)
