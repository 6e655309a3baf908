"""Settings come from the environment so that secrets never live in the repository."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = REPO_ROOT / "var"

# Clearly-named development fallbacks: the app logs a warning whenever one is in use; the run
# script generates real values into var/secrets.env.
DEV_SECRET_KEY = "dev-only-insecure-secret-change-me"  # noqa: S105
DEV_SERVICE_TOKEN = "dev-only-insecure-service-token"  # noqa: S105


class Settings(BaseSettings):
    """One object for every knob; the defaults are the embedded, no-server set-up."""

    # var/secrets.env (written by set-up) fills in secrets the environment does not give;
    # real environment variables still win.
    model_config = SettingsConfigDict(
        env_prefix="",
        extra="ignore",
        case_sensitive=False,
        env_file=VAR_DIR / "secrets.env",
        env_file_encoding="utf-8",
    )

    database_url: str = Field(default=f"sqlite:///{VAR_DIR / 'assist.db'}")
    # PostgreSQL connections per backend process. Pool + overflow = 40, the worker threads that
    # run FastAPI's synchronous endpoints: a thread holding a request never waits for a
    # connection (with SQLAlchemy's 5 + 10, 100 users made the action server's calls wait past
    # its 10-second timeout: bench/load.py).
    db_pool_size: int = 10
    db_max_overflow: int = 30
    assist_secret_key: str = DEV_SECRET_KEY
    assist_service_token: str = DEV_SERVICE_TOKEN
    assist_public_url: str = "http://127.0.0.1:8000"
    assist_host: str = "127.0.0.1"
    assist_port: int = 8000
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str = ""
    rasa_timeout_seconds: float = 30.0
    outbox_dir: Path = VAR_DIR / "outbox"
    documents_dir: Path = VAR_DIR / "documents"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "ASSIST Assistant <no-reply@assist.local>"
    smtp_starttls: bool = True
    telegram_bot_token: str = ""
    telegram_api_base_url: str = ""
    assist_log_level: str = "INFO"
    chat_max_message_chars: int = 2000
    # Production (issue 7): /metrics bearer token (empty = open, keep it on an internal network),
    # data retention in days, and where Rasa's SQL tracker store lives (empty = derived: the
    # backend's PostgreSQL database, or var/rasa_tracker.db next to a SQLite backend).
    metrics_token: str = ""
    retention_days: int = 90
    rasa_tracker_db_url: str = ""
    # IC/passport encryption at rest (backend/security/pii.py): AES-GCM data key, older data keys
    # (comma-separated, decrypt only) and the separate HMAC key of the look-up hash columns.
    # ``production`` refuses to start without both keys; the embedded profile generates them.
    assist_profile: str = "default"
    assist_data_key: str = ""
    assist_data_key_previous: str = ""
    assist_lookup_key: str = ""
    # Shared per-sender turn lock across backend processes (backend/hub/turn_lock.py); empty =
    # one lock per process, enough for a single backend.
    redis_url: str = ""

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def tracker_database_url(self) -> str:
        """Rasa's SQL tracker store as a SQLAlchemy URL (scripts/processes.py puts it there)."""
        if self.rasa_tracker_db_url:
            return self.rasa_tracker_db_url
        if self.database_url.startswith("postgresql"):
            return self.database_url
        return f"sqlite:///{VAR_DIR / 'rasa_tracker.db'}"

    def insecure_defaults(self) -> list[str]:
        """Names of secrets still set to the development fallbacks (or empty)."""
        names = []
        if self.assist_secret_key in ("", DEV_SECRET_KEY):
            names.append("ASSIST_SECRET_KEY")
        if self.assist_service_token in ("", DEV_SERVICE_TOKEN):
            names.append("ASSIST_SERVICE_TOKEN")
        return names


@lru_cache
def get_settings() -> Settings:
    return Settings()
