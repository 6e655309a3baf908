"""Shared fixtures: a backend app on its own temporary SQLite database (migrated from empty)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.settings import Settings

SERVICE_TOKEN = "test-service-token"


@pytest.fixture
def backend_settings(tmp_path: Path) -> Settings:
    """Settings pointing every file and the database at ``tmp_path``."""
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'assist.db'}",
        assist_secret_key="test-secret-key",
        assist_service_token=SERVICE_TOKEN,
        assist_public_url="http://testserver",
        outbox_dir=tmp_path / "outbox",
        documents_dir=tmp_path / "documents",
        smtp_host="",
    )


@pytest.fixture
def backend_app(backend_settings: Settings):  # type: ignore[no-untyped-def]
    """The FastAPI app on a freshly migrated database."""
    from backend.db import upgrade_database
    from backend.main import create_app

    upgrade_database(backend_settings.database_url)
    return create_app(backend_settings)


@pytest.fixture
def client(backend_app) -> Iterator:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(backend_app) as test_client:
        yield test_client


@pytest.fixture
def service_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {SERVICE_TOKEN}"}
