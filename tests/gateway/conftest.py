"""Stops the full-stack processes a gateway test may have started (see test_e2e_emulator.py)."""

from __future__ import annotations

from tests.fullstack import harness


def pytest_sessionfinish(session, exitstatus):  # type: ignore[no-untyped-def]  # noqa: ARG001
    harness.stop_all()
