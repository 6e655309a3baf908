"""Rasa's events into the backend's analytics tables: ``python -m backend.analytics.consumer``.

Analytics (the supervisor dashboard) must never read Rasa's tracker store, so Rasa publishes
every event it stores through an event broker and this one process feeds them to
``backend.analytics.ingest.ingest_rasa_events``:

- production profile (``ASSIST_PROFILE=production``): Rasa's pika broker → RabbitMQ queue
  ``RABBITMQ_QUEUE`` (default ``rasa_events``, durable; Rasa declares and binds it). Messages are
  acknowledged only after the batch is committed, so a crash redelivers rather than loses them
  (the ingest is at-least-once; duplicates are its concern).
- default profile: Rasa's file broker writes one JSON event per line to ``RASA_EVENTS_FILE``
  (``var/rasa_events.jsonl``) and this process tails it, keeping its position (inode and byte
  offset) in ``<file>.offset``, written after each committed batch. No broker to install on a
  laptop, and the same ingest code runs in both profiles.

It never exits on its own (honcho would stop every other process): a missing database, broker or
ingest module is logged and retried. Event contents (user text with IC numbers) are never logged.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger("assist.analytics.consumer")

BATCH = 200
IDLE_SECONDS = 0.5
RETRY_SECONDS = 5.0
COMPACT_BYTES = 1_000_000

_stopping = False


def _stop(*_: Any) -> None:
    global _stopping
    _stopping = True


Ingest = Callable[[list[dict[str, Any]]], int]


def database_ingest(database_url: str | None = None) -> Ingest:
    """Commit one batch through ``ingest_rasa_events`` in its own session (import deferred, so
    this process starts — and waits — even before the ingest module exists)."""

    def ingest(events: list[dict[str, Any]]) -> int:
        from backend.analytics.ingest import ingest_rasa_events
        from backend.db import session_scope

        with session_scope(database_url) as session:
            return int(ingest_rasa_events(session, events) or 0)

    return ingest


def parse_events(lines: Iterable[bytes]) -> list[dict[str, Any]]:
    """JSON objects out of raw lines; anything else is counted and dropped (never logged)."""
    events, bad = [], 0
    for raw in lines:
        raw = raw.strip()
        if not raw:
            continue
        try:
            event = json.loads(raw)
        except ValueError:
            bad += 1
            continue
        if isinstance(event, dict) and event.get("event"):
            events.append(event)
        else:
            bad += 1
    if bad:
        logger.warning("dropped %d malformed event(s)", bad)
    return events


# --- default profile: tail Rasa's file broker ------------------------------------------------


@dataclass
class FileTail:
    """Complete lines appended to ``path`` since the saved position (rotation-aware)."""

    path: Path

    @property
    def offset_path(self) -> Path:
        return self.path.with_name(self.path.name + ".offset")

    def position(self) -> tuple[int, int]:
        try:
            inode, offset = self.offset_path.read_text().split(":")
            return int(inode), int(offset)
        except (OSError, ValueError):
            return 0, 0

    def save(self, inode: int, offset: int) -> None:
        tmp = self.offset_path.with_suffix(".tmp")
        tmp.write_text(f"{inode}:{offset}")
        tmp.replace(self.offset_path)  # atomic: a crash leaves the old or the new position

    def compact(self, threshold: int) -> bool:
        """Empty the file once everything in it is ingested and it passed ``threshold`` bytes.

        Raw events hold what users typed, so they are not kept beyond ingestion (PDPA). Rasa
        appends with O_APPEND, so its next line lands at the start of the emptied file; the
        size is checked again just before truncating to keep the race window to microseconds.
        """
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return False
        inode, offset = self.position()
        if stat.st_size < threshold or (inode, offset) != (stat.st_ino, stat.st_size):
            return False
        with self.path.open("r+b") as f:
            if os.fstat(f.fileno()).st_size != offset:
                return False
            f.truncate(0)
        self.save(stat.st_ino, 0)
        return True

    def read(self, limit: int = BATCH) -> tuple[list[bytes], int, int]:
        """Up to ``limit`` whole lines after the saved position, with the position after them."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return [], 0, 0
        inode, offset = self.position()
        if inode != stat.st_ino or offset > stat.st_size:
            offset = 0  # a new or truncated file: start at its beginning
        lines: list[bytes] = []
        with self.path.open("rb") as f:
            f.seek(offset)
            while len(lines) < limit:
                line = f.readline()
                if not line.endswith(b"\n"):
                    break  # Rasa is still writing this one
                lines.append(line)
                offset += len(line)
        return lines, stat.st_ino, offset


def run_file(path: Path, ingest: Ingest, once: bool = False) -> int:
    """Tail ``path`` until stopped (``once``: until caught up); returns events ingested."""
    tail, total = FileTail(path), 0
    while not _stopping:
        lines, inode, offset = tail.read()
        if lines:
            events = parse_events(lines)
            try:
                if events:
                    ingest(events)
            except Exception as exc:  # noqa: BLE001 - keep the position, retry the batch
                logger.error("ingest failed (%s); retrying in %.0f s", _brief(exc), RETRY_SECONDS)
                if once:
                    raise
                time.sleep(RETRY_SECONDS)
                continue
            tail.save(inode, offset)
            total += len(events)
            continue
        tail.compact(COMPACT_BYTES)
        if once:
            break
        time.sleep(IDLE_SECONDS)
    return total


# --- production profile: RabbitMQ ------------------------------------------------------------


def amqp_parameters(env: dict[str, str]) -> Any:
    import pika

    return pika.ConnectionParameters(
        host=env.get("RABBITMQ_HOST") or "127.0.0.1",
        port=int(env.get("RABBITMQ_PORT") or 5672),
        credentials=pika.PlainCredentials(
            env.get("RABBITMQ_USER") or "guest", env.get("RABBITMQ_PASSWORD") or "guest"
        ),
        heartbeat=60,
        connection_attempts=1,
    )


def run_amqp(
    env: dict[str, str], ingest: Ingest, once: bool = False, idle: float = IDLE_SECONDS
) -> int:
    """Consume ``RABBITMQ_QUEUE`` in batches, acking after each committed batch."""
    import pika
    import pika.exceptions

    queue = env.get("RABBITMQ_QUEUE") or "rasa_events"
    total = 0
    while not _stopping:
        try:
            connection = pika.BlockingConnection(amqp_parameters(env))
        except pika.exceptions.AMQPError as exc:
            logger.error(
                "RabbitMQ unreachable (%s); retrying in %.0f s", _brief(exc), RETRY_SECONDS
            )
            if once:
                raise
            time.sleep(RETRY_SECONDS)
            continue
        try:
            channel = connection.channel()
            channel.queue_declare(queue=queue, durable=True)  # as Rasa declares it
            channel.basic_qos(prefetch_count=BATCH)
            logger.info("consuming RabbitMQ queue %s", queue)
            batch: list[tuple[int, bytes]] = []
            for method, _props, body in channel.consume(queue, inactivity_timeout=idle):
                if method is not None:
                    batch.append((method.delivery_tag, body))
                if batch and (method is None or len(batch) >= BATCH):
                    events = parse_events(body for _, body in batch)
                    try:
                        if events:
                            ingest(events)
                    except Exception as exc:  # noqa: BLE001 - requeue, back off, retry
                        logger.error("ingest failed (%s); requeued", _brief(exc))
                        channel.basic_nack(batch[-1][0], multiple=True, requeue=True)
                        batch = []
                        if once:
                            raise
                        connection.sleep(RETRY_SECONDS)
                        continue
                    channel.basic_ack(batch[-1][0], multiple=True)
                    total += len(events)
                    batch = []
                if method is None and (once or _stopping):
                    break
            channel.cancel()
            if once:
                break
        except pika.exceptions.AMQPError as exc:
            logger.error("RabbitMQ connection lost (%s); reconnecting", _brief(exc))
            if once:
                raise
            time.sleep(RETRY_SECONDS)
        finally:
            try:
                connection.close()
            except Exception:  # noqa: BLE001, S110 - already closed
                pass
    return total


def _brief(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:160]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m backend.analytics.consumer", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--source", choices=("auto", "amqp", "file"), default="auto")
    parser.add_argument("--file", type=Path, default=None, help="Rasa file-broker output")
    parser.add_argument("--once", action="store_true", help="stop when caught up (tests, cron)")
    args = parser.parse_args(argv)
    from backend.logging_setup import configure_logging

    configure_logging(os.environ.get("ASSIST_LOG_LEVEL", "INFO"))
    logging.getLogger("pika").setLevel(logging.WARNING)  # one line per connection step otherwise
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    env = dict(os.environ)
    source = args.source
    if source == "auto":
        production = (env.get("ASSIST_PROFILE") or "").strip().lower() == "production"
        source = "amqp" if production else "file"
    ingest = database_ingest()
    if source == "amqp":
        count = run_amqp(env, ingest, once=args.once)
    else:
        path = args.file or Path(env.get("RASA_EVENTS_FILE") or "var/rasa_events.jsonl")
        logger.info("tailing %s", path)
        count = run_file(path, ingest, once=args.once)
    logger.info("stopped after %d event(s)", count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
