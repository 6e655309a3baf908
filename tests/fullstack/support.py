"""Pytest glue shared by the full-stack and browser conftests."""

from __future__ import annotations

import os

import pytest

from tests.fullstack import harness


def start_or_skip(kind: str, tmp_path_factory: pytest.TempPathFactory) -> harness.Stack:
    server_url = None
    if kind == "postgresql":
        server_url = os.environ.get("TEST_DATABASE_URL")
        if not server_url:
            pytest.skip("PostgreSQL run skipped: TEST_DATABASE_URL is not set")
    try:
        return harness.acquire(kind, tmp_path_factory.mktemp, server_url=server_url)
    except harness.StackUnavailable as exc:
        pytest.skip(f"{kind} stack not started: {exc}")
    except harness.StackError as exc:
        pytest.fail(str(exc), pytrace=False)
