"""The ``stack`` fixture: every process running on free ports, once per database per session.

Parametrised over ``sqlite`` (always) and ``postgresql`` (only when ``TEST_DATABASE_URL`` is set
and the server answers; otherwise that half skips and says why). Each gets a fresh temp var dir
(logs in ``<var>/logs/<process>.log``), fresh databases, migrations, and is stopped (PostgreSQL
databases dropped) when the session ends or the other database's stack starts.

Run just these: ``.venv/bin/python -m pytest -m fullstack`` (the model must exist:
``python3 scripts/assist.py setup``). ``TEST_DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/test``
adds the PostgreSQL run (``-m "not postgres"`` leaves it out); ``ASSIST_TEST_MODEL=<path>`` runs
against another model file. ``ASSIST_STACK_HEALTH_TIMEOUT`` (s, default 300) bounds the start.
"""

from __future__ import annotations

import httpx
import pytest

from tests.fullstack import harness
from tests.fullstack.support import start_or_skip


def pytest_sessionfinish(session, exitstatus):  # noqa: ARG001
    harness.stop_all()


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    yield start_or_skip(request.param, tmp_path_factory)


@pytest.fixture
def service(stack: harness.Stack):
    """An httpx client for the backend's service API (bearer token)."""
    with httpx.Client(
        base_url=stack.base_url,
        headers={"Authorization": f"Bearer {stack.service_token}"},
        timeout=60,
    ) as client:
        yield client


@pytest.fixture
def db(stack: harness.Stack):
    """A SQLAlchemy engine on the stack's backend database."""
    from sqlalchemy import create_engine

    engine = create_engine(stack.database_url)
    yield engine
    engine.dispose()
