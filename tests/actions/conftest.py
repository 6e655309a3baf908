"""Helpers for action-server unit tests: domain, trackers as Rasa builds them, a fake backend."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import backend_client

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return load_domain()


def load_domain() -> dict[str, Any]:
    """bot/domain/*.yml merged as Rasa merges a domain directory (lists joined, maps updated)."""
    merged: dict[str, Any] = {}
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        part = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, value in part.items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            elif isinstance(value, dict) and key != "session_config":
                merged.setdefault(key, {}).update(value)
            else:
                merged[key] = value
    return merged


def make_tracker(
    *,
    slots: dict[str, Any] | None = None,
    text: str = "",
    intent: str = "inform",
    entities: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
    requested_slot: str | None = None,
    slot_events: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    sender_id: str = "web-test",
) -> Tracker:
    """A tracker as Rasa sends it to a (form validation) action.

    ``slot_events`` are the SlotSet events after the last user message: a FormValidationAction
    validates exactly those, so the events list ends with them.
    """
    all_slots: dict[str, Any] = {"language": "en", **(slots or {})}
    if requested_slot:
        all_slots["requested_slot"] = requested_slot
    all_slots.update(slot_events or {})
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
        "metadata": metadata or {},
    }
    events: list[dict[str, Any]] = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": latest, "metadata": metadata or {}},
    ]
    events += [
        {"event": "slot", "name": name, "value": value}
        for name, value in (slot_events or {}).items()
    ]
    return Tracker(
        sender_id=sender_id,
        slots=all_slots,
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


async def run(action: Any, tracker: Tracker, domain: dict[str, Any]):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain)
    return events, dispatcher.messages


def slot_values(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("response") for m in messages]


class FakeBackend:
    """Records requests; ``routes`` maps "METHOD /path" to (status, json) or an exception."""

    def __init__(self) -> None:
        self.routes: dict[str, Any] = {}
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.routes.get(f"{request.method} {request.url.path}")
        if answer is None:
            return httpx.Response(404, json={"detail": {"code": "not_found", "message": "?"}})
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return httpx.Response(status, json=body)

    def body(self, index: int = -1) -> dict[str, Any]:
        return json.loads(self.requests[index].content or b"{}")


@pytest.fixture
def fake_backend() -> Iterator[FakeBackend]:
    fake = FakeBackend()
    backend_client.configure(
        transport=httpx.MockTransport(fake.handler),
        base_url="http://backend.test",
        token="service-token",
    )
    yield fake
    backend_client.configure()


def error(code: str, **extra: Any) -> dict[str, Any]:
    return {"detail": {"code": code, "message": code.replace("_", " "), **extra}}


Unreachable: Callable[[], Exception] = lambda: httpx.ConnectError("refused")  # noqa: E731
