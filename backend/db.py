"""Database engine, sessions and migrations.

Engines are cached per URL so a test can point one app at its own SQLite file while the
module-level app keeps the default; SQLite gets foreign keys switched on because it ignores
them otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from fastapi import Request
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from backend.settings import REPO_ROOT, get_settings


class Base(DeclarativeBase):
    """Declarative base shared by every model (one metadata, one Alembic history)."""


def _sqlite_on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@lru_cache(maxsize=32)
def get_engine(url: str | None = None) -> Engine:
    """One engine per URL; SQLite files get their folder created and foreign keys enforced."""
    url = url or get_settings().database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_on_connect)
    else:
        settings = get_settings()
        engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
    return engine


@lru_cache(maxsize=32)
def get_sessionmaker(url: str | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)


def _url_for(request: Request | None) -> str:
    if request is not None and getattr(request.app.state, "settings", None) is not None:
        return request.app.state.settings.database_url
    return get_settings().database_url


def get_db(request: Request) -> Iterator[Session]:
    """FastAPI dependency: a session bound to the app's database, closed after the request."""
    session = get_sessionmaker(_url_for(request))()
    try:
        yield session
    finally:
        session.close()


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session outside a request (scripts, background work); commits on success."""
    session = get_sessionmaker(url or get_settings().database_url)()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def ping(url: str | None = None) -> None:
    """Raise if the database cannot answer a trivial query (used by /healthz)."""
    with get_engine(url or get_settings().database_url).connect() as conn:
        conn.execute(text("SELECT 1"))


def alembic_config(url: str | None = None):  # type: ignore[no-untyped-def]
    """Alembic config for the repo's single history, pointed at ``url`` (or the settings URL)."""
    from alembic.config import Config

    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(REPO_ROOT / "backend" / "migrations"))
    cfg.attributes["database_url"] = url or get_settings().database_url
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade_database(url: str | None = None) -> None:
    """Bring the schema to the newest revision; the run script calls this before serving."""
    from alembic import command

    url = url or get_settings().database_url
    get_engine(url)  # creates the SQLite folder if needed
    command.upgrade(alembic_config(url), "head")
