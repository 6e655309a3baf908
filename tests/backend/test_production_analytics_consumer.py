"""backend/analytics/consumer.py: Rasa's events reach the ingest exactly as Rasa publishes them.

The file source is fed lines in Rasa's file-broker format; the RabbitMQ source gets messages
published the way Rasa's pika broker publishes them (durable queue, persistent JSON body) on the
RabbitMQ of this machine (skipped when there is none). The ingest is a recorder here; the
full-stack fault tests run the real one.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from pathlib import Path
from typing import Any

import pytest

from backend.analytics import consumer


class Recorder:
    def __init__(self, fail_times: int = 0) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.fail_times = fail_times

    def __call__(self, events: list[dict[str, Any]]) -> int:
        if self.fail_times:
            self.fail_times -= 1
            raise RuntimeError("database down")
        self.batches.append(events)
        return len(events)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [e for b in self.batches for e in b]


def event(n: int, sender: str = "web-a") -> dict[str, Any]:
    return {"sender_id": sender, "event": "user", "timestamp": 1_700_000_000 + n, "text": f"m{n}"}


def append(path: Path, *events: dict[str, Any] | str) -> None:
    with path.open("a") as f:
        for e in events:
            f.write((e if isinstance(e, str) else json.dumps(e)) + "\n")


def test_file_tail_resumes_where_it_stopped_and_skips_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "rasa_events.jsonl"
    append(path, event(1), "not json", event(2))
    path.open("a").write('{"sender_id": "web-a", "event": "user"')  # Rasa mid-write: no newline
    got = Recorder()
    assert consumer.run_file(path, got, once=True) == 2
    assert [e["text"] for e in got.events] == ["m1", "m2"]

    path.open("a").write(', "text": "m3"}\n')
    append(path, event(4))
    again = Recorder()  # a restarted consumer: nothing twice, nothing lost
    consumer.run_file(path, again, once=True)
    assert [e.get("text") for e in again.events] == ["m3", "m4"]


def test_file_tail_keeps_its_place_when_the_ingest_fails(tmp_path: Path) -> None:
    path = tmp_path / "rasa_events.jsonl"
    append(path, event(1))
    with pytest.raises(RuntimeError):
        consumer.run_file(path, Recorder(fail_times=1), once=True)
    got = Recorder()
    consumer.run_file(path, got, once=True)
    assert [e["text"] for e in got.events] == ["m1"]


def test_file_tail_starts_over_on_a_new_file_and_empties_ingested_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "rasa_events.jsonl"
    append(path, *(event(n) for n in range(3)))
    consumer.run_file(path, Recorder(), once=True)
    path.unlink()
    append(path, event(9))  # rotated: a new inode
    got = Recorder()
    consumer.run_file(path, got, once=True)
    assert [e["text"] for e in got.events] == ["m9"]

    monkeypatch.setattr(consumer, "COMPACT_BYTES", 10)
    consumer.run_file(path, Recorder(), once=True)
    assert path.stat().st_size == 0  # raw events (what users typed) are not kept once ingested
    append(path, event(10))
    got = Recorder()
    consumer.run_file(path, got, once=True)
    assert [e["text"] for e in got.events] == ["m10"]


def _rabbitmq() -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=1):
            return None
    except OSError as exc:
        return f"no RabbitMQ on 127.0.0.1:5672 ({exc})"


def test_amqp_consumer_acks_only_committed_batches() -> None:
    why = _rabbitmq()
    if why:
        pytest.skip(why)
    import pika

    queue = f"assist_test_{uuid.uuid4().hex[:10]}"
    env = {**os.environ, "RABBITMQ_QUEUE": queue}
    connection = pika.BlockingConnection(consumer.amqp_parameters(env))
    channel = connection.channel()
    channel.queue_declare(queue=queue, durable=True)
    try:
        for n in range(5):
            channel.basic_publish(
                "",
                queue,
                json.dumps(event(n, sender=f"web-{n % 2}")).encode(),
                pika.BasicProperties(delivery_mode=2),
            )
        channel.basic_publish("", queue, b"garbage")
        with pytest.raises(RuntimeError):
            consumer.run_amqp(env, Recorder(fail_times=1), once=True, idle=0.3)
        got = Recorder()  # the failed batch was requeued, not lost
        assert consumer.run_amqp(env, got, once=True, idle=0.3) == 5
        assert sorted(e["text"] for e in got.events) == [f"m{n}" for n in range(5)]
        empty = Recorder()  # and acknowledged: not delivered again
        consumer.run_amqp(env, empty, once=True, idle=0.3)
        assert empty.events == []
    finally:
        channel.queue_delete(queue)
        connection.close()
