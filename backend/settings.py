"""Settings come from the environment so that secrets never live in the repository."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = REPO_ROOT / "var"


class Settings(BaseSettings):
    """One object for every knob; the defaults are the embedded, no-server set-up."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    database_url: str = Field(default=f"sqlite:///{VAR_DIR / 'assist.db'}")
    assist_secret_key: str = "dev-only-insecure-secret-change-me"
    assist_service_token: str = "dev-only-insecure-service-token"
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

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
