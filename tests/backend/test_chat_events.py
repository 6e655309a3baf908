"""The web chat's event stream and history agree on message ids; the agent's typing signal.

A message pushed while the widget's stream was down must reach it when it reconnects, once:
``/api/v1/chat/history`` gives every message its id and ``last_id``, and the stream starts after
``Last-Event-ID`` or ``?after=`` (issue 5). The console's typing signal becomes an
``event: typing`` frame for that chat only (issue 6).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi.testclient import TestClient

from backend.db import get_sessionmaker
from backend.hub import presence
from backend.hub.proactive import send_proactive
from tests.backend.test_handoff import (  # noqa: F401 - fixtures
    agent,
    app,
    fake_rasa,
    open_ticket,
    sender_of,
    settings,
    user,
)


def frames(client: TestClient, url: str, **headers: str) -> list[dict[str, Any]]:
    """Every frame of a ``wait=0`` stream: ``{"event", "id", "data"}`` (absent fields None)."""
    res = client.get(url, headers=headers)
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/event-stream")
    out = []
    for block in res.text.split("\n\n"):
        fields: dict[str, Any] = {"event": None, "id": None, "data": None}
        for line in block.splitlines():
            name, _, value = line.partition(": ")
            if name in fields:
                fields[name] = json.loads(value) if name == "data" else value
        if fields["id"] is not None or fields["data"] is not None:
            out.append(fields)
    return out


def pushed(frame: dict[str, Any]) -> bool:
    return frame["event"] is None and frame["data"] is not None


def typed(frame: dict[str, Any]) -> bool:
    return frame["event"] == "typing"


def push(settings, sender: str, text: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    with get_sessionmaker(settings.database_url)() as db:
        asyncio.run(send_proactive(db, sender, [{"text": text}], service_token="unused"))


def test_history_ids_and_the_stream_cursor_agree(user, settings) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    sender = sender_of(user, settings)
    user.post("/api/v1/chat/messages", json={"text": "hello"})
    before = user.get("/api/v1/chat/history").json()
    ids = [m["id"] for m in before["messages"]]
    assert ids == sorted(ids) and before["last_id"] == ids[-1]

    # Nothing new: the stream still names its cursor, so a reconnect resumes from there.
    idle = frames(user, "/api/v1/chat/events?wait=0")
    assert idle == [{"event": "cursor", "id": str(before["last_id"]), "data": {"id": ids[-1]}}]

    # Pushed while no stream was open (a payment result): a stream opened "after" the last id
    # the widget showed delivers it, with the id /history gives it.
    push(settings, sender, "Payment SUCCESSFUL")
    caught = [f for f in frames(user, f"/api/v1/chat/events?wait=0&after={ids[-1]}") if pushed(f)]
    assert [f["data"]["text"] for f in caught] == ["Payment SUCCESSFUL"]
    later = user.get(f"/api/v1/chat/history?after={ids[-1]}").json()["messages"]
    assert [(m["id"], m["text"]) for m in later] == [
        (caught[0]["data"]["id"], "Payment SUCCESSFUL")
    ]
    assert caught[0]["id"] == str(caught[0]["data"]["id"])

    # The browser's own reconnect (Last-Event-ID) wins over the page's ?after=.
    again = frames(
        user,
        f"/api/v1/chat/events?wait=0&after={ids[-1]}",
        **{"Last-Event-ID": caught[0]["id"]},
    )
    assert not [f for f in again if pushed(f)]

    # The bot's answers to the user's own turns are not pushed (the POST answered them), but the
    # cursor moves past them, so the next reconnect does not scan them again.
    user.post("/api/v1/chat/messages", json={"text": "thanks"})
    moved = frames(user, "/api/v1/chat/events?wait=0", **{"Last-Event-ID": caught[0]["id"]})
    assert not [f for f in moved if pushed(f)]
    last_id = user.get("/api/v1/chat/history").json()["last_id"]
    assert moved[-1] == {"event": "cursor", "id": str(last_id), "data": {"id": last_id}}


def test_the_stream_needs_a_chat_session(app) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    with TestClient(app) as stranger:
        assert stranger.get("/api/v1/chat/events?wait=0").status_code == 401
        assert stranger.get("/api/v1/chat/history").status_code == 401


def test_agent_typing_reaches_that_chat_only(user, agent, app, settings) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    ticket = open_ticket(user, settings)["ticket_id"]
    url = f"/staff/api/handoffs/{ticket}/typing"
    with TestClient(app) as other:
        other.post("/api/v1/chat/session", json={"language": "en"})
        # Not signed in → 401; signed in but without the CSRF header → 400.
        assert other.post(url).status_code == 401
        token = agent.headers.pop("X-CSRF-Token")
        assert agent.post(url).status_code == 400
        agent.headers["X-CSRF-Token"] = token
        res = agent.post(url)
        assert res.status_code == 200 and res.json()["status"] == "typing"

        typing = [f for f in frames(user, "/api/v1/chat/events?wait=0") if typed(f)]
        assert typing == [{"event": "typing", "id": None, "data": {"agent": "Ali"}}]
        assert not [f for f in frames(other, "/api/v1/chat/events?wait=0") if typed(f)]

    # The signal fades by itself when the agent stops typing.
    sender = sender_of(user, settings)
    assert presence.typing_state(sender) is not None
    assert presence.typing_state(sender, now=lambda: 10**9) is None
    assert not [f for f in frames(user, "/api/v1/chat/events?wait=0") if typed(f)]


def test_typing_on_a_closed_ticket_is_refused(user, agent, settings) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    ticket = open_ticket(user, settings)["ticket_id"]
    assert agent.post(f"/staff/api/handoffs/{ticket}/handback").status_code == 200
    res = agent.post(f"/staff/api/handoffs/{ticket}/typing")
    assert res.status_code == 409 and res.json()["detail"]["code"] == "closed"
    assert agent.post("/staff/api/handoffs/999999/typing").status_code == 404
