"""A fresh PostgreSQL database for one test, on the server ``TEST_DATABASE_URL`` points at."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa


@contextmanager
def fresh_database(prefix: str = "assist_test") -> Iterator[str]:
    """Its URL; dropped afterwards (connections still open are closed by the drop).

    Skips the test, saying why, when ``TEST_DATABASE_URL`` is not set (CI sets it).
    """
    base_url = os.environ.get("TEST_DATABASE_URL")
    if not base_url:
        pytest.skip(
            "TEST_DATABASE_URL is not set (e.g. postgresql+psycopg2://postgres@127.0.0.1/test)"
        )
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(base_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        from backend.db import get_engine

        get_engine(url).dispose()  # the backend's cached engine for this URL, if a test made one
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
