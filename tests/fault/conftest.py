"""The ``prod`` fixture: the production profile as real processes, once per test module.

Needs ``TEST_DATABASE_URL`` (PostgreSQL), Redis on 127.0.0.1:6379 and RabbitMQ on
127.0.0.1:5672; without one of them every fault test skips and says which is missing.
``ASSIST_TEST_MODEL`` names another model than ``models/assist.tar.gz``.

    TEST_DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/test \
        .venv/bin/python -m pytest tests/fault
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scripts.processes import MODEL_PATH
from tests.fault.stack import ProductionStack, start_production_stack
from tests.fullstack import harness


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory):
    model = Path(os.environ.get("ASSIST_TEST_MODEL") or MODEL_PATH)
    harness.stop_all()  # one Rasa-heavy stack at a time on a small machine
    try:
        stack: ProductionStack = start_production_stack(
            tmp_path_factory.mktemp("prod"), model_path=model
        )
    except harness.StackUnavailable as exc:
        pytest.skip(f"production stack not started: {exc}")
    except harness.StackError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield stack
    stack.stop()
