"""Conversation hub: sessions, sender ids, payload guard, Rasa normalisation, transcripts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.db import get_sessionmaker, upgrade_database
from backend.hub import rasa_client, sessions
from backend.hub.service import normalise_reply
from backend.main import create_app
from backend.models import Conversation, ConversationMessage
from backend.settings import Settings

SERVICE_TOKEN = "test-service-token"


class FakeRasa:
    """Rasa's REST webhook: records each call and answers with the queued reply (or the default)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.replies: list[Any] = []
        self.default: list[dict[str, Any]] = [{"recipient_id": "x", "text": "Hello!"}]

    def handler(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/webhooks/rest/webhook"
        body = json.loads(request.content)
        self.calls.append(body)
        reply = self.replies.pop(0) if self.replies else self.default
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            return reply
        return httpx.Response(200, json=[{**m, "recipient_id": body["sender"]} for m in reply])


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa()
    rasa_client.use_transport(httpx.MockTransport(fake.handler))
    yield fake
    rasa_client.use_transport(None)


@pytest.fixture
def db_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    upgrade_database(url)
    return url


@pytest.fixture
def app(db_url: str, fake_rasa: FakeRasa):
    app = create_app()
    app.state.settings = Settings(
        database_url=db_url,
        assist_secret_key="test-secret",
        assist_service_token=SERVICE_TOKEN,
        rasa_url="http://rasa.test",
    )
    return app


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def new_client(app) -> TestClient:
    return TestClient(app)


def start(client: TestClient, **body: Any) -> httpx.Response:
    response = client.post("/api/v1/chat/session", json=body or None)
    assert response.status_code == 200, response.text
    return response


def send(client: TestClient, text: str) -> dict[str, Any]:
    response = client.post("/api/v1/chat/messages", json={"text": text})
    assert response.status_code == 200, response.text
    return response.json()


def stored(db_url: str, sender_id: str | None = None) -> list[ConversationMessage]:
    with get_sessionmaker(db_url)() as db:
        query = select(ConversationMessage).order_by(ConversationMessage.id)
        if sender_id:
            query = query.where(ConversationMessage.sender_id == sender_id)
        return list(db.scalars(query))


def sender_of(client: TestClient) -> str:
    session = sessions.decode(client.cookies.get("assist_chat"), "test-secret")
    assert session is not None
    return session.sender_id


# --- session cookie ---


def test_session_cookie_is_signed_http_only_lax(client: TestClient) -> None:
    response = start(client, language="ms")
    assert response.json() == {"language": "ms"}
    header = response.headers["set-cookie"].lower()
    assert header.startswith("assist_chat=")
    assert "httponly" in header and "samesite=lax" in header
    assert "max-age=2592000" in header
    assert sender_of(client).startswith("web-")


def test_session_reuses_valid_cookie_and_replaces_forged_one(client: TestClient) -> None:
    start(client)
    first = sender_of(client)
    start(client, language="en")
    assert sender_of(client) == first
    client.cookies.clear()
    client.cookies.set("assist_chat", "forged.value.here", domain="testserver.local")
    start(client)
    assert sender_of(client) != first


def test_language_from_accept_language_when_not_given(client: TestClient) -> None:
    response = client.post(
        "/api/v1/chat/session", headers={"Accept-Language": "ms-MY,ms;q=0.9,en;q=0.8"}
    )
    assert response.json() == {"language": "ms"}
    send(client, "hai")
    assert client.app.state  # noqa: B018 - keep the client referenced


def test_messages_and_history_need_a_session(client: TestClient, fake_rasa: FakeRasa) -> None:
    assert client.post("/api/v1/chat/messages", json={"text": "hi"}).status_code == 401
    assert client.get("/api/v1/chat/history").status_code == 401
    assert fake_rasa.calls == []


def test_sender_id_is_derived_server_side(app, fake_rasa: FakeRasa, db_url: str) -> None:
    with new_client(app) as alice, new_client(app) as bob:
        start(alice, language="en")
        start(bob, language="ms")
        send(alice, "my MyKad is 900101-14-5678")
        send(bob, "hello")
        # a client-supplied sender is ignored
        alice.post("/api/v1/chat/messages", json={"text": "hi", "sender": "web-bob"})
        senders = [call["sender"] for call in fake_rasa.calls]
        assert senders[0] == sender_of(alice) and senders[1] == sender_of(bob)
        assert senders[2] == sender_of(alice)
        assert senders[0] != senders[1] and all(s.startswith("web-") for s in senders)
        assert fake_rasa.calls[0]["metadata"] == {"channel": "web", "language_hint": "en"}
        assert fake_rasa.calls[1]["metadata"] == {"channel": "web", "language_hint": "ms"}

        alice_history = alice.get("/api/v1/chat/history").json()["messages"]
        bob_history = bob.get("/api/v1/chat/history").json()["messages"]
        assert [m["text"] for m in bob_history] == ["hello", "Hello!"]
        assert all("MyKad" not in m.get("text", "") for m in bob_history)
        assert alice_history[0] == {
            "id": alice_history[0]["id"],
            "role": "user",
            "text": "my MyKad is 900101-**-***8",
            "created_at": alice_history[0]["created_at"],
        }


# --- the payload guard ---


def test_typed_intent_refused_unless_offered(client: TestClient, fake_rasa: FakeRasa) -> None:
    start(client)
    reply = send(client, '/apply_portal_id{"x": 1}')
    assert fake_rasa.calls == []
    assert reply["messages"][0]["text"].startswith("Sorry, I can't accept commands")
    assert "Maaf" in reply["messages"][0]["text"]

    fake_rasa.replies.append(
        [
            {
                "text": "Which language?",
                "buttons": [
                    {"title": "English", "payload": '/change_language{"language":"en"}'},
                    {"title": "Bahasa Melayu", "payload": '/change_language{"language":"ms"}'},
                ],
            }
        ]
    )
    reply = send(client, "language")
    assert reply["messages"][0]["buttons"][1]["payload"] == '/change_language{"language":"ms"}'
    # a payload offered is accepted ...
    send(client, '/change_language{"language":"ms"}')
    assert fake_rasa.calls[-1]["message"] == '/change_language{"language":"ms"}'
    # ... but only from the last reply
    calls = len(fake_rasa.calls)
    reply = send(client, '/change_language{"language":"en"}')
    assert len(fake_rasa.calls) == calls and reply["refused"] == "command_not_offered"


def test_offered_payloads_are_per_sender(app, fake_rasa: FakeRasa) -> None:
    with new_client(app) as alice, new_client(app) as bob:
        start(alice)
        start(bob)
        fake_rasa.replies.append(
            [{"text": "Sure?", "buttons": [{"title": "Yes", "payload": "/affirm"}]}]
        )
        send(alice, "apply")
        assert send(bob, "/affirm")["refused"] == "command_not_offered"
        assert "refused" not in send(alice, "/affirm")


def test_too_long_and_empty_messages_refused_politely(
    client: TestClient, fake_rasa: FakeRasa, db_url: str
) -> None:
    start(client, language="ms")
    reply = send(client, "a" * 2001)
    assert reply["refused"] == "too_long"
    assert reply["messages"][0]["text"].startswith(
        "Maaf, mesej itu terlalu panjang (paling banyak 2000"
    )
    assert "too long" in reply["messages"][0]["text"]
    assert send(client, "   ")["refused"] == "empty"
    assert fake_rasa.calls == []
    assert "refused" not in send(client, "a" * 2000)
    assert len(fake_rasa.calls) == 1


# --- Rasa down ---


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.Response(500, text="boom"),
        httpx.Response(200, text="not json"),
    ],
)
def test_rasa_down_gives_unavailable_and_keeps_message(
    client: TestClient, fake_rasa: FakeRasa, db_url: str, failure: Any
) -> None:
    start(client)
    fake_rasa.replies.append(failure)
    reply = send(client, "my passport is A12345678")
    assert reply["error"] == "unavailable"
    text = reply["messages"][0]["text"]
    assert "temporarily unavailable" in text and "Nothing you typed is lost" in text
    assert "sementara" in text
    rows = stored(db_url, sender_of(client))
    assert rows[0].direction == "in" and rows[0].text == "my passport is A******78"
    assert rows[1].direction == "out" and rows[1].data == {"error": "unavailable"}
    # recovers on the next message
    assert send(client, "hello again")["messages"] == [{"text": "Hello!"}]


# --- transcripts and normalisation ---


def test_transcript_masks_identifiers_both_ways(
    client: TestClient, fake_rasa: FakeRasa, db_url: str, caplog
) -> None:
    start(client)
    fake_rasa.replies.append([{"text": "You gave 900101145678, right?"}])
    caplog.set_level("INFO", logger="assist.hub")
    send(client, "IC saya 900101-14-5678")
    rows = stored(db_url, sender_of(client))
    assert [r.text for r in rows] == ["IC saya 900101-**-***8", "You gave 900101-**-***8, right?"]
    assert "5678" not in caplog.text.replace("***8", "")
    turn = [r for r in caplog.records if r.name == "assist.hub"][-1]
    assert turn.event == "chat_turn" and turn.text == "IC saya 900101-**-***8"
    assert turn.replies == ["You gave 900101-**-***8, right?"]
    # Rasa got the real number: only the copies the hub keeps are masked
    assert fake_rasa.calls[-1]["message"] == "IC saya 900101-14-5678"


def test_reply_normalised_and_stored(client: TestClient, fake_rasa: FakeRasa, db_url: str) -> None:
    start(client)
    fake_rasa.replies.append(
        [
            {"text": "Your form is ready."},
            {
                "custom": {
                    "document": {"url": "http://x/files/form/1?t=abc", "filename": "PID1.pdf"}
                }
            },
            {"custom": {"link": {"url": "https://portal.example/login", "title": "Open portal"}}},
            {"text": "Anything else?", "buttons": [{"title": "No", "payload": "/deny"}]},
        ]
    )
    reply = send(client, "apply")
    assert reply == {
        "messages": [
            {"text": "Your form is ready."},
            {"document": {"url": "http://x/files/form/1?t=abc", "filename": "PID1.pdf"}},
            {"link": {"url": "https://portal.example/login", "title": "Open portal"}},
            {"text": "Anything else?", "buttons": [{"title": "No", "payload": "/deny"}]},
        ]
    }
    with get_sessionmaker(db_url)() as db:
        assert db.get(Conversation, sender_of(client)).last_buttons == ["/deny"]
    history = client.get("/api/v1/chat/history").json()["messages"]
    assert [m["role"] for m in history] == ["user", "bot", "bot", "bot", "bot"]
    assert history[2]["document"]["filename"] == "PID1.pdf"
    assert history[3]["link"]["title"] == "Open portal"
    assert history[4]["buttons"] == [{"title": "No", "payload": "/deny"}]


def test_normalise_reply_edge_cases() -> None:
    assert normalise_reply([{"recipient_id": "a"}]) == []
    assert normalise_reply(
        [
            {
                "buttons": [{"title": "T"}, {"payload": "/p"}, "junk"],
                "custom": {"document": {"url": "http://h/a/b.pdf"}},
            }
        ]
    ) == [
        {
            "buttons": [{"title": "/p", "payload": "/p"}],
            "document": {"url": "http://h/a/b.pdf", "filename": "b.pdf"},
        }
    ]
    assert normalise_reply([{"custom": {"text": "hi", "link": {"url": "u"}}}]) == [
        {"text": "hi", "link": {"url": "u", "title": "u"}}
    ]


# --- gateway door ---


def test_internal_endpoint_needs_token_and_tg_sender(
    client: TestClient, fake_rasa: FakeRasa
) -> None:
    body = {
        "sender_id": "tg-12345",
        "text": "hello",
        "channel": "telegram",
        "language_hint": "ms-MY",
    }
    assert client.post("/internal/v1/hub/messages", json=body).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert client.post("/internal/v1/hub/messages", json=body, headers=wrong).status_code == 401
    auth = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
    bad = client.post(
        "/internal/v1/hub/messages", json={**body, "sender_id": "web-x"}, headers=auth
    )
    assert bad.status_code == 422
    ok = client.post("/internal/v1/hub/messages", json=body, headers=auth)
    assert ok.status_code == 200 and ok.json() == {"messages": [{"text": "Hello!"}]}
    assert fake_rasa.calls == [
        {
            "sender": "tg-12345",
            "message": "hello",
            "metadata": {"channel": "telegram", "language_hint": "ms"},
        }
    ]
    refused = client.post(
        "/internal/v1/hub/messages", json={**body, "text": "/affirm"}, headers=auth
    ).json()
    assert refused["refused"] == "command_not_offered" and len(fake_rasa.calls) == 1


def test_chat_page_served(client: TestClient) -> None:
    for path in ("/", "/chat"):
        response = client.get(path, headers={"Accept-Language": "ms"})
        assert response.status_code == 200
        assert "/static/vendor/deep-chat/deepChat.bundle.js" in response.text
        assert 'lang="ms"' in response.text


def test_accept_language_parsing() -> None:
    parse = sessions.language_from_accept_language
    assert parse("en-GB,en;q=0.9") == "en"
    assert parse("zh-CN, ms;q=0.5, en;q=0.7") == "en"
    assert parse("fr") is None and parse(None) is None


def test_empty_rasa_reply_means_action_server_down(
    client: TestClient, fake_rasa: FakeRasa, db_url: str
) -> None:
    start(client)
    fake_rasa.replies.append([])
    reply = send(client, "hello")
    assert reply["error"] == "unavailable"
    assert [r.direction for r in stored(db_url, sender_of(client))] == ["in", "out"]


async def test_turns_of_one_sender_do_not_interleave(app, fake_rasa: FakeRasa) -> None:
    """A double click: the second press of an offered payload meets the new reply's buttons."""
    import asyncio

    gate = asyncio.Event()
    real_handler = fake_rasa.handler

    async def slow_handler(request: httpx.Request) -> httpx.Response:
        if b"/affirm" in request.content:
            await gate.wait()
        return real_handler(request)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as ac:
        assert (await ac.post("/api/v1/chat/session", json={})).status_code == 200
        fake_rasa.replies.append(
            [{"text": "Sure?", "buttons": [{"title": "Yes", "payload": "/affirm"}]}]
        )
        await ac.post("/api/v1/chat/messages", json={"text": "apply"})
        rasa_client.use_transport(httpx.MockTransport(slow_handler))
        first = asyncio.create_task(ac.post("/api/v1/chat/messages", json={"text": "/affirm"}))
        second = asyncio.create_task(ac.post("/api/v1/chat/messages", json={"text": "/affirm"}))
        await asyncio.sleep(0.2)
        gate.set()
        replies = sorted(
            [(await first).json(), (await second).json()], key=lambda r: "refused" in r
        )
    assert "refused" not in replies[0]
    assert replies[1]["refused"] == "command_not_offered"
    assert [c["message"] for c in fake_rasa.calls].count("/affirm") == 1


def test_internal_endpoint_closed_without_a_configured_token(app, fake_rasa: FakeRasa) -> None:
    app.state.settings = app.state.settings.model_copy(update={"assist_service_token": ""})
    with TestClient(app) as client:
        response = client.post(
            "/internal/v1/hub/messages",
            json={"sender_id": "tg-1", "text": "hi"},
            headers={"Authorization": "Bearer "},
        )
    assert response.status_code == 503 and fake_rasa.calls == []


def test_build_widget_copy_is_idempotent(tmp_path) -> None:
    from scripts.build_widget import FILES, copy_files

    node_modules, vendor = tmp_path / "node_modules", tmp_path / "vendor"
    for package, inner, _dest in FILES:
        source = node_modules / package / inner
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(f"// {inner}\n")
    assert len(copy_files(node_modules, vendor)) == len(FILES)
    assert copy_files(node_modules, vendor) == []
    assert (
        vendor / "deep-chat" / "deepChat.bundle.js"
    ).read_text() == "// dist/deepChat.bundle.js\n"
    assert (vendor / ".gitignore").read_text().splitlines()[1] == "*"
    (node_modules / "deep-chat" / "dist" / "deepChat.bundle.js").write_text("// new version\n")
    assert [p.name for p in copy_files(node_modules, vendor)] == ["deepChat.bundle.js"]


# --- hardening (issue 5) ---


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limit_per_sender_polite_and_not_forwarded(
    app, fake_rasa: FakeRasa, db_url: str, caplog
) -> None:
    from backend.hub.limits import RateLimiter

    clock = _Clock()
    app.state.chat_rate_limiter = RateLimiter(3, clock=clock)
    caplog.set_level("INFO", logger="assist.hub")
    with new_client(app) as alice, new_client(app) as bob:
        start(alice, language="ms")
        start(bob)
        for _ in range(3):
            assert "refused" not in send(alice, "hai")
        limited = send(alice, "hai lagi")  # HTTP 200: the widget shows it like any reply
        assert limited["refused"] == "rate_limited"
        text = limited["messages"][0]["text"]
        assert text.startswith("Anda menghantar mesej") and "Please wait a moment" in text
        assert len(fake_rasa.calls) == 3
        assert "hai lagi" not in [r.text for r in stored(db_url, sender_of(alice))]
        assert any(getattr(r, "refused", None) == "rate_limited" for r in caplog.records)
        # another sender has its own bucket
        assert "refused" not in send(bob, "hello")
        # the bucket refills: one message per 20 s at 3 a minute
        clock.now += 20
        assert "refused" not in send(alice, "hai")
        assert send(alice, "hai")["refused"] == "rate_limited"
    # the gateway's senders are limited too
    auth = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
    with new_client(app) as gateway:
        body = {"sender_id": "tg-77", "text": "hello", "channel": "telegram"}
        answers = [
            gateway.post("/internal/v1/hub/messages", json=body, headers=auth).json()
            for _ in range(4)
        ]
    assert [a.get("refused") for a in answers] == [None, None, None, "rate_limited"]


def test_rate_limit_from_environment(monkeypatch) -> None:
    from backend.hub import limits

    monkeypatch.setenv("CHAT_RATE_LIMIT_PER_MINUTE", "2")
    limiter = limits.RateLimiter(limits.per_minute_from_env(), clock=_Clock())
    assert [limiter.allow("web-a") for _ in range(3)] == [True, True, False]
    monkeypatch.setenv("CHAT_RATE_LIMIT_PER_MINUTE", "0")  # 0 = off
    limiter = limits.RateLimiter(limits.per_minute_from_env(), clock=_Clock())
    assert all(limiter.allow("web-a") for _ in range(100))
    monkeypatch.delenv("CHAT_RATE_LIMIT_PER_MINUTE")
    assert limits.per_minute_from_env() == 20


def test_default_rate_limit_is_twenty_a_minute(client: TestClient, fake_rasa: FakeRasa) -> None:
    start(client)
    answers = [send(client, f"hi {i}") for i in range(21)]
    assert [a.get("refused") for a in answers].count("rate_limited") == 1
    assert answers[-1]["refused"] == "rate_limited" and len(fake_rasa.calls) == 20


def test_tampered_cookie_never_reaches_another_conversation(
    app, fake_rasa: FakeRasa, db_url: str
) -> None:
    with new_client(app) as alice, new_client(app) as mallory:
        start(alice)
        send(alice, "my secret plan")
        alice_sender = sender_of(alice)
        alice_id = alice_sender.removeprefix("web-")
        start(mallory)
        mallory_sender = sender_of(mallory)
        # a cookie naming Alice's session but not signed with the server's key
        from itsdangerous import URLSafeTimedSerializer

        forged = URLSafeTimedSerializer("guessed-key", salt="assist-chat-session-v1").dumps(
            {"s": alice_id, "l": "en"}
        )
        for value in (forged, alice.cookies.get("assist_chat") + "x", f"{alice_id}"):
            mallory.cookies.clear()
            mallory.cookies.set("assist_chat", value, domain="testserver.local")
            # cannot read …
            assert mallory.get("/api/v1/chat/history").status_code == 401
            # … nor write
            assert mallory.post("/api/v1/chat/messages", json={"text": "hi"}).status_code == 401
            # a new session is a new, empty conversation
            start(mallory)
            assert sender_of(mallory) not in (alice_sender, mallory_sender)
            assert mallory.get("/api/v1/chat/history").json()["messages"] == []
        assert [call["sender"] for call in fake_rasa.calls] == [alice_sender]
        assert [r.text for r in stored(db_url, alice_sender)] == ["my secret plan", "Hello!"]


def test_every_reply_logged_with_identifiers_masked(
    client: TestClient, fake_rasa: FakeRasa, caplog
) -> None:
    start(client)
    caplog.set_level("INFO", logger="assist.hub")
    fake_rasa.replies.append([{"text": "Passport A12345678 and MyKad 900101145678 noted."}])
    send(client, "passport A12345678, IC 900101-14-5678")
    send(client, "/deny 900101-14-5678")  # refused: still logged, masked
    send(client, "x" * 2001 + " 900101-14-5678")  # too long: logged, masked
    fake_rasa.replies.append(httpx.ConnectError("down"))
    send(client, "IC 900101-14-5678 again")  # unavailable: logged, masked
    turns = [r for r in caplog.records if getattr(r, "event", None) == "chat_turn"]
    assert len(turns) == 4
    assert [getattr(t, "refused", None) for t in turns] == [
        None,
        "command_not_offered",
        "too_long",
        None,
    ]
    assert turns[-1].error == "unavailable"
    logged = caplog.text + " ".join(
        str(getattr(t, "text", "")) + str(getattr(t, "replies", "")) for t in turns
    )
    assert "12345678" not in logged and "145678" not in logged and "14-5678" not in logged
    assert "900101-**-***8" in str(turns[0].replies)


def test_cookie_is_samesite_none_secure_over_https_for_the_embed(app) -> None:
    with TestClient(app, base_url="https://testserver") as secure:
        header = secure.post("/api/v1/chat/session", json={}).headers["set-cookie"].lower()
    assert "samesite=none" in header and "secure" in header and "httponly" in header


def test_embed_script_served_by_the_backend(client: TestClient) -> None:
    response = client.get("/static/widget/embed.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert "data-assist-url" in response.text and "/chat" in response.text


def test_cross_site_form_posts_are_refused(client: TestClient, fake_rasa: FakeRasa) -> None:
    """A SameSite=None cookie rides along on cross-site requests; only JSON bodies are read."""
    start(client)
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        response = client.post(
            "/api/v1/chat/messages",
            content=b'{"text": "hi"}',
            headers={"content-type": content_type},
        )
        assert response.status_code == 422
    assert fake_rasa.calls == []
