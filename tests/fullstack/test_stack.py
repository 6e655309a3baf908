"""The stack itself: Rasa's tracker store is the SQL one on the run's database, not memory.

(Rasa falls back to an in-memory tracker store when it cannot open the configured one; that
would lose every half-finished form on a restart.)
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.fullstack.chat import new_client, send, sender_id

pytestmark = pytest.mark.fullstack


def test_rasa_keeps_the_conversation_in_the_sql_tracker_store(stack):
    with new_client(stack.base_url) as client:
        send(client, "hello")
        sender = sender_id(client, stack.secret_key)
    engine = create_engine(stack.tracker_database_url)
    try:
        with engine.connect() as conn:
            count = conn.execute(
                text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}
            ).scalar_one()
    finally:
        engine.dispose()
    assert count > 0, f"no tracker events for {sender} in {stack.tracker_database_url}"
    assert "Traceback" not in stack.log_path("rasa").read_text(errors="replace")
