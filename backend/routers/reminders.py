"""Deadline reminders: opt-in/opt-out per chat (service token + the chat's sender id), a manual
run for operators, and the daily schedule inside the backend (see backend/services/reminders.py).

The schedule: ``REMINDERS_AT`` (``HH:MM`` Malaysian time, default ``09:00``; ``off`` disables it)
starts one background task per backend process; the claim table keeps several replicas from
sending twice. ``python -m backend.jobs.reminders`` does the same run from cron.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.db import get_db, session_scope
from backend.deps import Clock, get_app_settings, get_clock, require_service_token
from backend.errors import ApiError
from backend.services import reminders as service
from backend.services.acting import ActingAccount
from backend.settings import Settings, get_settings

logger = logging.getLogger("assist.reminders")

Db = Annotated[Session, Depends(get_db)]
Now = Annotated[Clock, Depends(get_clock)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]


def schedule_time(env: dict[str, str] | None = None) -> time | None:
    """``REMINDERS_AT`` → the daily run time (Malaysian), ``None`` when off."""
    value = (env if env is not None else os.environ).get("REMINDERS_AT", "09:00").strip().lower()
    if value in ("", "off", "0", "false", "no"):
        return None
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        logger.warning("REMINDERS_AT=%r is not HH:MM: the reminder schedule is off", value)
        return None


def seconds_until(at: time, now_utc: datetime) -> float:
    """Seconds from ``now_utc`` (naive UTC) to the next ``at`` in Malaysian time."""
    local = now_utc.replace(tzinfo=service.ZoneInfo("UTC")).astimezone(service.LOCAL_ZONE)
    target = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    return (target - local).total_seconds()


async def run_once(settings: Settings, today: date | None = None) -> dict[str, Any]:
    """One run against ``settings.database_url`` through the hub's proactive path."""
    send = service.proactive_sender(settings.assist_service_token)
    with session_scope(settings.database_url) as db:
        return await service.run(db, today or service.local_today(), send)


async def _daily(settings: Settings, at: time) -> None:
    from backend.models._common import utcnow

    while True:
        await asyncio.sleep(seconds_until(at, utcnow()))
        try:
            summary = await run_once(settings)
            logger.info("reminder run", extra={"event": "reminder_run", **summary})
        except Exception as exc:  # noqa: BLE001 - tomorrow's run must still happen
            logger.error(
                "reminder run failed", extra={"event": "reminder_run_failed", "error": repr(exc)}
            )


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    at = schedule_time()
    task = None
    if at is not None:
        settings = getattr(app.state, "settings", None) or get_settings()
        task = asyncio.create_task(_daily(settings, at))
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


router = APIRouter(prefix="/api/v1/reminders", tags=["reminders"], lifespan=lifespan)
internal = APIRouter(
    prefix="/internal/v1/reminders",
    tags=["reminders"],
    dependencies=[Depends(require_service_token)],
)


class ReminderIn(BaseModel):
    enabled: bool
    language: str | None = Field(default=None, pattern="^(en|ms)$")


class RunIn(BaseModel):
    date: dt.date | None = None
    dry_run: bool = False


@router.get("")
def get_reminders(actor: ActingAccount, db: Db) -> dict[str, Any]:
    """This chat's reminder setting (sender via ``X-Sender-Id`` or ``?sender_id=``)."""
    return service.view(db, actor, service.subscription(db, actor))


@router.put("")
def put_reminders(body: ReminderIn, actor: ActingAccount, db: Db) -> dict[str, Any]:
    """Opt this chat in (``enabled: true``) or out; idempotent."""
    return service.set_enabled(db, actor, body.enabled, body.language)


@internal.post("/run")
async def run_now(
    request: Request, body: RunIn, db: Db, clock: Now, settings: AppSettings
) -> dict[str, Any]:
    """Run the reminder job now (operators, tests); ``date`` overrides today's Malaysian date."""
    today = body.date or service.local_today(clock())
    if today.year < 2016:
        raise ApiError(422, "invalid_date", "date must be 2016 or later")
    send = service.proactive_sender(settings.assist_service_token)
    return await service.run(db, today, send, dry_run=body.dry_run)
