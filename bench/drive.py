"""Simulated employers in a web chat, shared by the latency and load benchmarks.

A *visit* is one function ``(stack, load) -> None`` that opens its own chat, times every turn
into ``load`` (by kind) and raises :class:`ChatError` when the bot answers wrongly; the
benchmarks differ only in which visits they run and how many users run them at once.

Visits:

- :func:`portal_id_visit` — QRG 1: the opener, six answers validated by the action server, the
  confirmation (the backend writes the account, renders the PDF and the email).
- :func:`quote_visit` — a greeting, a contribution quote with the wage in the question, a quote
  where the bot asks for the wage, an FAQ answer.
- :func:`contribution_visit` — QRG 5-6: an employer already registered and logged in (rows
  seeded straight into the database, as the full-stack contribution test does: three
  employees) submits last month for both acts: 9 turns, the backend computes the ACR/ECR.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

import httpx

from tests.fullstack.chat import (
    ChatError,
    all_text,
    asked_field,
    button_payload,
    drive_portal_form,
    new_client,
    send,
    sender_id,
)

QUOTE_QUESTION = "how much SOCSO and EIS for RM2,950?"
MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]  # fmt: skip


@dataclass
class Load:
    """Every timed turn of one run (all users), by kind, and what went wrong."""

    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    completed: int = 0
    wall: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def turns(self) -> int:
        return len(self.latencies)

    def timer(self, client: Any) -> Callable[..., list[dict[str, Any]]]:
        """``timed(text, kind)``: send one message and note how long the answer took."""

        def timed(text: str, kind: str = "form") -> list[dict[str, Any]]:
            started = time.perf_counter()
            replies = send(client, text)
            elapsed = time.perf_counter() - started
            with self.lock:
                self.latencies.append(elapsed)
                self.by_kind.setdefault(kind, []).append(elapsed)
            return replies

        return timed


Visit = Callable[[Any, Load], None]


def answers() -> dict[str, str]:
    """A portal ID applicant no other simulated user has (email), with a valid MyKad."""
    tag = secrets.token_hex(5)
    return {
        "name": "Bench User Tan",
        "mykad": f"9001{secrets.randbelow(28) + 1:02d}-14-{secrets.randbelow(9000) + 1000}",
        "email": f"bench.{tag}@example.com",
        "mobile": "012-345 6789",
        "company": "Bench Trading Sdn Bhd",
        "role": "Director",
    }


def portal_id_visit(stack: Any, load: Load) -> None:
    with new_client(stack.base_url) as client:
        timed = load.timer(client)
        first = timed("I want to apply for a portal ID", "opener")
        if asked_field(first) != "name":
            raise ChatError(f"portal ID opener answered {all_text(first)[:200]!r}")
        summary = drive_portal_form(first, answers(), timed)
        done = timed(button_payload(summary, "/affirm"), "confirm")
        if not any(m.get("document") for m in done):  # the filled form, i.e. it was recorded
            raise ChatError(f"portal ID confirmation answered {all_text(done)[:200]!r}")


def quote_visit(stack: Any, load: Load) -> None:
    with new_client(stack.base_url) as client:
        timed = load.timer(client)
        timed("hello", "chat")
        quote = all_text(timed(QUOTE_QUESTION, "quote"))
        if "RM" not in quote:
            raise ChatError(f"no amount in the quote: {quote[:200]!r}")
        timed("what is the contribution rate", "quote")
        timed("RM 3,100", "quote")
        timed("what is ASSIST", "chat")


def last_month(today: date | None = None) -> str:
    today = today or date.today()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{MONTHS[month - 1]} {year}"


def contribution_visit(stack: Any, load: Load) -> None:
    from tests.backend.contribution_helpers import seed

    with new_client(stack.base_url, "en") as client:
        sender = sender_id(client, stack.secret_key)
        seed(
            SimpleNamespace(database_url=stack.database_url),
            email=f"bench.{secrets.token_hex(5)}@example.com",
            sender_id=sender,
            code=f"E{secrets.randbelow(10**10):010d}Q",
        )
        timed = load.timer(client)
        reply = timed("I want to submit my contribution", "contribution")
        if "Pending List" not in all_text(reply):
            raise ChatError(f"contribution opener answered {all_text(reply)[:200]!r}")
        reply = timed(button_payload(reply, '"both"'), "contribution")
        reply = timed(last_month(), "contribution")
        reply = timed(button_payload(reply, '"Monthly"'), "contribution")
        for _ in range(3):  # each employee at last month's wage
            reply = timed(button_payload(reply, '"same"'), "contribution")
        if "Summary" not in all_text(reply):
            raise ChatError(f"no summary after three wages: {all_text(reply)[:200]!r}")
        reply = timed(button_payload(reply, '"submit"'), "contribution")
        reply = timed("/affirm", "submit")
        if "ACR" not in all_text(reply):
            raise ChatError(f"submission answered {all_text(reply)[:200]!r}")


def employer_visit(stack: Any, load: Load) -> None:
    """The load benchmark's realistic mix: quotes, a portal ID application, a contribution."""
    quote_visit(stack, load)
    portal_id_visit(stack, load)
    contribution_visit(stack, load)


def run_users(stack: Any, users: int, visits_each: int, visit: Visit) -> Load:
    """``users`` simulated employers start together (a barrier), each making ``visits_each``."""
    load = Load()
    barrier = threading.Barrier(users)

    def user() -> None:
        barrier.wait()
        for _ in range(visits_each):
            try:
                visit(stack, load)
            except (ChatError, OSError, httpx.HTTPError) as exc:  # a client timeout is a failure
                with load.lock:
                    load.errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
            else:
                with load.lock:
                    load.completed += 1

    threads = [threading.Thread(target=user) for _ in range(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load.wall = time.perf_counter() - started
    return load
