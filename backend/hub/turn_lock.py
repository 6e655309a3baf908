"""One turn at a time per sender — in one backend process, or across all of them with Redis.

Why: the hub checks a pressed button against the buttons of the reply before, and Rasa must see a
sender's messages one after the other. A double click, or a Telegram update retried to a second
backend process behind a load balancer, must not run two turns of one conversation at once.

- Without ``REDIS_URL`` (the embedded profile, one backend process) an ``asyncio.Lock`` per sender
  is enough.
- With ``REDIS_URL`` (the production profile; scripts/processes.py sets it) a Redis lock
  ``assist:turn:<sender>`` is taken as well, so two backend processes serialise the same sender.
  The in-process lock is taken first, so waiters of one process queue locally instead of polling
  Redis. The Redis lock expires after ``ttl`` seconds, so a backend killed mid-turn never blocks
  the sender for longer than that.
- If Redis itself is unreachable the turn still runs under the in-process lock (logged): a
  helpline that answers with a small race risk beats one that answers nobody.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

logger = logging.getLogger("assist.hub.turn_lock")

PREFIX = "assist:turn:"


class TurnBusy(Exception):
    """Another turn of this sender held the lock for longer than we wait."""


class TurnLocks:
    """Per-sender locks; ``redis_url`` empty = this process only."""

    def __init__(self, redis_url: str = "", *, ttl: float = 120.0, wait: float = 90.0) -> None:
        self.redis_url = redis_url
        self.ttl = ttl
        self.wait = wait
        self._local: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        # redis.asyncio clients belong to one event loop (tests run several loops in turn).
        self._clients: dict[int, Any] = {}

    def _local_lock(self, sender_id: str) -> asyncio.Lock:
        lock = self._local.get(sender_id)
        if lock is None:
            lock = asyncio.Lock()
            self._local[sender_id] = lock
        return lock

    def _redis(self) -> Any:
        import redis.asyncio as aioredis

        loop_id = id(asyncio.get_running_loop())
        client = self._clients.get(loop_id)
        if client is None:
            client = aioredis.Redis.from_url(
                self.redis_url, socket_connect_timeout=2, socket_timeout=5
            )
            self._clients = {loop_id: client}  # the previous loop is gone
        return client

    @asynccontextmanager
    async def hold(self, sender_id: str) -> AsyncIterator[None]:
        """Run the body while no other turn of ``sender_id`` runs (here, or anywhere: Redis)."""
        async with self._local_lock(sender_id):
            if not self.redis_url:
                yield
                return
            from redis.exceptions import LockError, RedisError

            lock = self._redis().lock(
                PREFIX + sender_id, timeout=self.ttl, blocking_timeout=self.wait, sleep=0.02
            )
            try:
                acquired = await lock.acquire()
            except RedisError as exc:
                logger.warning("Redis turn lock unavailable (%s): this process's lock only", exc)
                lock = None
                acquired = True
            if not acquired:
                raise TurnBusy(sender_id)
            try:
                yield
            finally:
                if lock is not None:
                    try:
                        await lock.release()
                    except (LockError, RedisError) as exc:  # expired, or Redis gone
                        logger.warning("Redis turn lock not released cleanly: %s", exc)


_locks: TurnLocks | None = None


def turn_locks() -> TurnLocks:
    """The process's locks, configured from the settings (``REDIS_URL``, Rasa's timeout)."""
    global _locks
    from backend.settings import get_settings

    settings = get_settings()
    ttl = settings.rasa_timeout_seconds * 2 + 30
    if _locks is None or _locks.redis_url != settings.redis_url:
        _locks = TurnLocks(settings.redis_url, ttl=ttl, wait=ttl)
    return _locks
