"""The backend process: system of record, service API, pages and the conversation hub."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from backend import metrics, security
from backend.errors import install_error_handlers
from backend.hub import handoff
from backend.hub import router as hub_router
from backend.logging_setup import configure_logging
from backend.routers import (
    auth,
    catalogue,
    contributions,
    conversations,
    data_protection,
    files,
    health,
    pages,
    payments,
    portal_applications,
    rates,
    receipts,
    registrations,
    reminders,
    staff,
    telegram_callbacks,
    upload_pages,
)
from backend.settings import REPO_ROOT, Settings, get_settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; tests pass their own settings (temp database, outbox, documents)."""
    settings = settings or get_settings()
    configure_logging(settings.assist_log_level)
    for name in settings.insecure_defaults():
        log.warning(
            "%s is not set: using the development fallback; never run like this in production "
            "(the run script writes real secrets to var/secrets.env)",
            name,
        )
    # IC/passport encryption keys: production without them stops here (backend/security).
    security.check_keys(settings)
    app = FastAPI(title="ASSIST Assistant backend", version="1", docs_url="/docs")
    app.state.settings = settings
    install_error_handlers(app)
    for module in (health, rates, auth, conversations, portal_applications, files, pages):
        app.include_router(module.router)
    for module in (contributions, payments, receipts):
        app.include_router(module.router)
    app.include_router(payments.pages)
    app.include_router(contributions.public)
    for module in (catalogue, registrations, upload_pages):
        app.include_router(module.router)
    app.include_router(hub_router.router)
    app.include_router(data_protection.router)
    app.include_router(data_protection.chat)
    app.include_router(staff.router)
    app.include_router(handoff.router)  # issue 6: bot ⇄ helpline agent
    for module in (reminders, telegram_callbacks):  # issue 5
        app.include_router(module.router)
    app.include_router(reminders.internal)
    metrics.install(app)
    app.mount("/static", StaticFiles(directory=REPO_ROOT / "backend" / "static"), name="static")
    return app


app = create_app()
