"""Migrations (SQLite and, when available, PostgreSQL), logging masks, email, links, settings."""

from __future__ import annotations

import io
import json
import logging
import smtplib
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from backend.db import alembic_config, get_engine, get_sessionmaker, upgrade_database
from backend.logging_setup import MaskingFilter, MaskingJsonFormatter
from backend.models import OutboxEmail
from backend.services import files
from backend.services.email import send_email
from backend.settings import Settings
from tests.backend.helpers import APPLICANT
from tests.postgres import fresh_database

CONTRACT_TABLES = {
    "portal_accounts",
    "portal_applications",
    "login_codes",
    "login_lockouts",
    "conversations",
    "conversation_messages",
    "outbox_emails",
}


def test_migrations_up_down_up_sqlite(tmp_path: Path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade_database(url)
    assert CONTRACT_TABLES <= set(sa.inspect(get_engine(url)).get_table_names())
    command.downgrade(alembic_config(url), "base")
    assert not CONTRACT_TABLES & set(sa.inspect(get_engine(url)).get_table_names())
    upgrade_database(url)
    assert CONTRACT_TABLES <= set(sa.inspect(get_engine(url)).get_table_names())


def test_sqlite_foreign_keys_enforced(backend_settings, backend_app) -> None:  # type: ignore[no-untyped-def]
    from backend.models import ConversationMessage

    with get_sessionmaker(backend_settings.database_url)() as db:
        db.add(ConversationMessage(sender_id="missing", direction="in", text="hi"))
        with pytest.raises(sa.exc.IntegrityError):
            db.commit()


@pytest.mark.postgres
def test_postgres_migration_and_round_trip(tmp_path: Path) -> None:
    with fresh_database("assist_test") as url:
        upgrade_database(url)
        assert CONTRACT_TABLES <= set(sa.inspect(get_engine(url)).get_table_names())
        from backend.main import create_app

        settings = Settings(
            database_url=url,
            assist_secret_key="k",
            assist_service_token="pg-token",
            assist_public_url="http://testserver",
            outbox_dir=tmp_path / "outbox",
            documents_dir=tmp_path / "docs",
        )
        with TestClient(create_app(settings)) as client:
            headers = {"Authorization": "Bearer pg-token"}
            res = client.post("/api/v1/portal-applications", json=APPLICANT, headers=headers)
            assert res.status_code == 201, res.text
            res = client.post("/api/v1/portal-applications", json=APPLICANT, headers=headers)
            assert res.status_code == 409
            assert client.get("/healthz").json() == {"status": "ok"}


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_json_log_masks_identifiers() -> None:
    formatter = MaskingJsonFormatter()
    line = formatter.format(
        _record(
            "user typed %s and passport %s", "900101-14-5678", "A12345678", note="ic 900101145678"
        )
    )
    payload = json.loads(line)
    assert "900101-14-5678" not in line and "900101145678" not in line
    assert "A12345678" not in line
    assert payload["message"].startswith("user typed 900101-**-***8")
    assert payload["note"] == "ic 900101-**-***8"
    assert payload["level"] == "INFO" and "time" in payload


def test_filter_masks_for_any_formatter() -> None:
    record = _record("mykad %s", "850315105123")
    assert MaskingFilter().filter(record)
    assert record.getMessage() == "mykad 850315-**-***3"


def test_app_logs_are_masked(client) -> None:  # type: ignore[no-untyped-def]
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_assist_json_handler", 0))
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    try:
        logging.getLogger("backend.test").info("caller forgot to mask %s", "900101-14-5678")
    finally:
        handler.setStream(old)
    line = buffer.getvalue()
    assert json.loads(line)["message"] == "caller forgot to mask 900101-**-***8"
    assert "900101-14-5678" not in line


def test_dev_secret_warning(caplog) -> None:  # type: ignore[no-untyped-def]
    from backend.main import create_app

    caplog.set_level(logging.WARNING)
    create_app(Settings(assist_secret_key="dev-only-insecure-secret-change-me"))
    assert "ASSIST_SECRET_KEY is not set" in caplog.text
    caplog.clear()
    create_app(Settings(assist_secret_key="real", assist_service_token="real-too"))
    assert "is not set" not in caplog.text


def test_email_outbox_and_smtp(backend_settings, backend_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    sent: list[object] = []

    class FakeSMTP:
        def __init__(self, host: str, port: int, timeout: int) -> None:
            assert host == "smtp.example.com" and port == 2525

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def starttls(self) -> None:
            sent.append("tls")

        def login(self, user: str, password: str) -> None:
            sent.append(("login", user))

        def send_message(self, message) -> None:  # type: ignore[no-untyped-def]
            sent.append(message["To"])

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    smtp_settings = backend_settings.model_copy(
        update={"smtp_host": "smtp.example.com", "smtp_port": 2525, "smtp_user": "u"}
    )
    attachment = backend_settings.documents_dir / "a.pdf"
    attachment.parent.mkdir(parents=True)
    attachment.write_bytes(b"%PDF-1.4 test")
    with get_sessionmaker(backend_settings.database_url)() as db:
        row = send_email(db, "x@example.com", "Hello", "Body", [attachment], settings=smtp_settings)
        db.commit()
        assert row.sent_via == "smtp"
        assert sent == ["tls", ("login", "u"), "x@example.com"]
        stored = db.get(OutboxEmail, row.id)
        assert stored.attachments == [str(attachment)]
    eml = next(backend_settings.outbox_dir.glob("*.eml")).read_text()
    assert "Subject: Hello" in eml and "a.pdf" in eml


def test_smtp_failure_keeps_outbox(backend_settings, backend_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(smtplib, "SMTP", boom)
    smtp_settings = backend_settings.model_copy(update={"smtp_host": "smtp.example.com"})
    with get_sessionmaker(backend_settings.database_url)() as db:
        row = send_email(db, "x@example.com", "Hi", "Body", settings=smtp_settings)
        assert row.sent_via == "outbox"


def test_download_link_expires(backend_settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    token = files.file_token(backend_settings, "portal-form", 7)
    assert files.check_token(backend_settings, "portal-form", 7, token)
    assert not files.check_token(backend_settings, "portal-form", 8, token)
    assert not files.check_token(backend_settings, "letter", 7, token)
    assert not files.check_token(backend_settings, "portal-form", 7, token, max_age=-1)
    other = backend_settings.model_copy(update={"assist_secret_key": "another"})
    assert not files.check_token(other, "portal-form", 7, token)
    assert files.LINK_MAX_AGE_SECONDS == 7 * 24 * 3600


def test_url_tokens_not_logged() -> None:
    line = MaskingJsonFormatter().format(
        _record('GET /files/portal-form/1?t=eyJrIjoi.abc.def HTTP/1.1" 200')
    )
    assert "eyJrIjoi" not in line and "?t=***" in line


def test_openapi_lists_contract_paths(client) -> None:  # type: ignore[no-untyped-def]
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/portal-applications",
        "/api/v1/auth/otp",
        "/api/v1/auth/otp/verify",
        "/api/v1/auth/terms",
        "/api/v1/conversations/{sender_id}/account",
        "/api/v1/conversations/{sender_id}/logout",
        "/api/v1/rates/quote",
        "/healthz",
    ):
        assert path in paths, path


def test_models_match_migrations(tmp_path: Path) -> None:
    """A model change without a migration fails here, not in production."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from backend.db import Base

    url = f"sqlite:///{tmp_path / 'diff.db'}"
    upgrade_database(url)
    with get_engine(url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
