"""The backend process: system of record, service API, pages and the conversation hub."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from backend.hub import router as hub_router
from backend.routers import auth, conversations, files, health, pages, portal_applications, rates
from backend.settings import REPO_ROOT, get_settings


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(title="ASSIST Assistant backend", version="1", docs_url="/docs")
    app.state.settings = settings
    for module in (health, rates, auth, conversations, portal_applications, files, pages):
        app.include_router(module.router)
    app.include_router(hub_router.router)
    app.mount("/static", StaticFiles(directory=REPO_ROOT / "backend" / "static"), name="static")
    return app


app = create_app()
