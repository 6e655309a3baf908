"""A per-sender rate limit for the conversation hub: an in-process token bucket.

Each sender (``web-…`` or ``tg-…``) gets a bucket of ``CHAT_RATE_LIMIT_PER_MINUTE`` tokens
(default 20, ``0`` turns the limit off) refilled evenly over a minute; a message costs one token.
A message without a token gets a polite bilingual reply and never reaches Rasa.

The buckets live in this process's memory: with several backend processes each one counts on its
own (the effective limit is multiplied by the number of processes) and a restart forgets them.
That is enough to stop a runaway client or a stuck key; a shared limit would need Redis.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

ENV_NAME = "CHAT_RATE_LIMIT_PER_MINUTE"
DEFAULT_PER_MINUTE = 20
_MAX_BUCKETS = 50_000


def per_minute_from_env() -> int:
    try:
        return max(0, int(os.environ.get(ENV_NAME, DEFAULT_PER_MINUTE)))
    except ValueError:
        return DEFAULT_PER_MINUTE


class RateLimiter:
    """``allow(sender)`` → True while the sender has a token; thread-safe."""

    def __init__(
        self, per_minute: int, clock: Callable[[], float] = time.monotonic, window: float = 60.0
    ) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / window if window > 0 else 0.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # sender → (tokens, stamp)
        self._lock = threading.Lock()

    def allow(self, sender_id: str) -> bool:
        if self.capacity <= 0:
            return True
        now = self.clock()
        with self._lock:
            tokens, stamp = self._buckets.get(sender_id, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - stamp) * self.rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            if len(self._buckets) >= _MAX_BUCKETS and sender_id not in self._buckets:
                self._forget_full(now)
            self._buckets[sender_id] = (tokens, now)
            return allowed

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled (they hold no information)."""
        for sender, (tokens, stamp) in list(self._buckets.items()):
            if tokens + (now - stamp) * self.rate >= self.capacity:
                del self._buckets[sender]
