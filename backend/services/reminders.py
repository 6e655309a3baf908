"""Contribution deadline reminders: opt-in/opt-out per chat, and the job that sends them.

An employer who opted in (``reminder_subscriptions.enabled``) gets, three days before the due
date (the 15th of the following month, from the contributions service's pending list so
``DUE_DATE_ROLL_BACK`` is respected), "your <month> contributions are due on 15 <month>" for each
registered employer of the account whose month is not submitted. The message goes through
:func:`backend.hub.proactive.send_proactive` to the chat that opted in: Telegram gets it at once,
the web widget shows it in its history.

Why a window and a claim table: the job runs daily (``python -m backend.jobs.reminders`` or the
backend's scheduler), so a day missed by a restart is caught up on the next day before the due
date; ``reminders_sent`` is written (unique employer, month, chat) *before* sending, so a second
run or a second replica never repeats a month.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.models import Conversation, Employer, PortalAccount
from backend.models._common import utcnow
from backend.models.reminders import ReminderSent, ReminderSubscription
from backend.services import contributions
from backend.services.acting import Actor

logger = logging.getLogger("assist.reminders")

DAYS_BEFORE = 3  # the reminder goes out this many days before the due date …
LOCAL_ZONE = ZoneInfo("Asia/Kuala_Lumpur")  # … counted in Malaysian days

MONTHS = {
    "en": (
        "January February March April May June July August September October November December"
    ).split(),
    "ms": (
        "Januari Februari Mac April Mei Jun Julai Ogos September Oktober November Disember"
    ).split(),
}

TEXTS = {
    "reminder": {
        "en": "Reminder: your {month} contributions for {employer} are due on {due}. "
        "Submit them and pay before then to avoid late payment interest.",
        "ms": "Peringatan: caruman {month} bagi {employer} perlu dibayar selewat-lewatnya {due}. "
        "Hantar dan bayar sebelum tarikh itu untuk mengelakkan faedah bayaran lewat.",
    },
    "stop": {"en": "Stop reminders", "ms": "Henti peringatan"},
    "submit": {"en": "Submit contributions", "ms": "Hantar caruman"},
}
STOP_PAYLOAD = "/reminders_off"
SUBMIT_PAYLOAD = "/submit_contribution"  # the contributions flow (bot/domain/contributions.yml)


def local_today(now: datetime | None = None) -> date:
    """Today in Malaysia (``now`` is naive UTC, as everywhere in the backend)."""
    moment = now or utcnow()
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(LOCAL_ZONE).date()


def month_name(month: str, language: str) -> str:
    """``2026-10`` → ``October 2026`` / ``Oktober 2026``."""
    year, mon = month.split("-")
    return f"{MONTHS['ms' if language == 'ms' else 'en'][int(mon) - 1]} {year}"


def day_text(day: date, language: str) -> str:
    """``2026-11-15`` → ``15 November 2026`` / ``15 November 2026`` (Malay month names)."""
    return f"{day.day} {month_name(f'{day.year}-{day.month:02d}', language)}"


def _language(value: str | None) -> str:
    return "ms" if value == "ms" else "en"


# --- opt-in / opt-out ----------------------------------------------------------------------


def registered_employers(db: Session, account_id: int) -> list[Employer]:
    return list(
        db.scalars(
            select(Employer)
            .where(Employer.account_id == account_id, Employer.employer_code.is_not(None))
            .order_by(Employer.id)
        )
    )


def view(db: Session, actor: Actor, row: ReminderSubscription | None) -> dict[str, Any]:
    employers = registered_employers(db, actor.account.id)
    return {
        "enabled": bool(row and row.enabled),
        "channel": row.channel if row else None,
        "language": row.language if row else None,
        "employers": [
            {"id": e.id, "employer_name": e.employer_name, "employer_code": e.employer_code}
            for e in employers
        ],
        "days_before": DAYS_BEFORE,
    }


def subscription(db: Session, actor: Actor) -> ReminderSubscription | None:
    return db.scalar(
        select(ReminderSubscription).where(
            ReminderSubscription.account_id == actor.account.id,
            ReminderSubscription.sender_id == actor.sender_id,
        )
    )


def set_enabled(
    db: Session, actor: Actor, enabled: bool, language: str | None = None
) -> dict[str, Any]:
    """Opt this chat in or out (idempotent); the chat's channel and language are remembered."""
    row = subscription(db, actor)
    conversation = db.get(Conversation, actor.sender_id)
    channel = "telegram" if actor.sender_id.startswith("tg-") else "web"
    lang = _language(language or (conversation.language if conversation else None))
    if row is None:
        row = ReminderSubscription(
            account_id=actor.account.id,
            sender_id=actor.sender_id,
            channel=channel,
            language=lang,
            enabled=enabled,
        )
        db.add(row)
    else:
        row.enabled = enabled
        row.language = lang
    db.commit()
    logger.info(
        "reminders %s",
        "on" if enabled else "off",
        extra={"event": "reminders_opt", "sender": actor.sender_id, "enabled": enabled},
    )
    return view(db, actor, row)


# --- the job ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """One reminder to send: an employer's unsubmitted month, to one opted-in chat."""

    subscription_id: int
    sender_id: str
    language: str
    employer_id: int
    employer_name: str
    month: str
    due_date: date

    def messages(self) -> list[dict[str, Any]]:
        lang = self.language
        text = TEXTS["reminder"][lang].format(
            month=month_name(self.month, lang),
            employer=self.employer_name,
            due=day_text(self.due_date, lang),
        )
        buttons = [
            {"title": TEXTS["submit"][lang], "payload": SUBMIT_PAYLOAD},
            {"title": TEXTS["stop"][lang], "payload": STOP_PAYLOAD},
        ]
        return [{"text": text, "buttons": buttons}]


def due_reminders(db: Session, today: date) -> list[Due]:
    """Reminders due ``today`` (Malaysian date) that have not been sent yet.

    A month is due when ``due_date - DAYS_BEFORE <= today < due_date`` and it is still in the
    employer's pending list; the chat must still be logged in to the subscribing account.
    """
    cfg = contributions.config()
    out: list[Due] = []
    rows = db.scalars(
        select(ReminderSubscription)
        .where(ReminderSubscription.enabled.is_(True))
        .order_by(ReminderSubscription.id)
    ).all()
    for sub in rows:
        conversation = db.get(Conversation, sub.sender_id)
        if conversation is None or conversation.account_id != sub.account_id:
            continue  # logged out (or another account now): the employer's data stays private
        account = db.get(PortalAccount, sub.account_id)
        if account is None:
            continue
        for employer in registered_employers(db, account.id):
            pending = contributions.pending_months(db, account, employer.id, today, cfg)
            for item in pending:
                due = date.fromisoformat(item["due_date"])
                if not (due - timedelta(days=DAYS_BEFORE) <= today < due):
                    continue
                already = db.scalar(
                    select(ReminderSent.id).where(
                        ReminderSent.employer_id == employer.id,
                        ReminderSent.month == item["month"],
                        ReminderSent.sender_id == sub.sender_id,
                    )
                )
                if already is None:
                    out.append(
                        Due(
                            sub.id,
                            sub.sender_id,
                            _language(sub.language),
                            employer.id,
                            employer.employer_name or employer.employer_code or "",
                            item["month"],
                            due,
                        )
                    )
    return out


Sender = Callable[[Session, str, list[dict[str, Any]], str], Awaitable[bool]]


async def run(db: Session, today: date, send: Sender, *, dry_run: bool = False) -> dict[str, Any]:
    """Send today's reminders; ``send(db, sender_id, messages, language)`` delivers one.

    Each reminder is claimed (a ``reminders_sent`` row, committed) before it is sent; a claim
    that already exists (another run got there first) is skipped.
    """
    due = due_reminders(db, today)
    summary: dict[str, Any] = {
        "date": today.isoformat(),
        "due": len(due),
        "sent": 0,
        "delivered": 0,
    }
    if dry_run:
        summary["reminders"] = [
            {"sender_id": d.sender_id, "employer_id": d.employer_id, "month": d.month} for d in due
        ]
        return summary
    for item in due:
        claim = ReminderSent(
            employer_id=item.employer_id, month=item.month, sender_id=item.sender_id
        )
        db.add(claim)
        try:
            db.commit()
        except IntegrityError:
            db.rollback()
            continue
        try:
            delivered = await send(db, item.sender_id, item.messages(), item.language)
        except Exception as exc:  # noqa: BLE001 - one failed chat must not stop the others
            logger.warning(
                "reminder not sent",
                extra={"event": "reminder_failed", "sender": item.sender_id, "error": str(exc)},
            )
            delivered = False
        claim.delivered = bool(delivered)
        db.commit()
        summary["sent"] += 1
        summary["delivered"] += int(bool(delivered))
        logger.info(
            "reminder sent",
            extra={
                "event": "reminder_sent",
                "sender": item.sender_id,
                "employer_id": item.employer_id,
                "month": item.month,
                "delivered": bool(delivered),
            },
        )
    return summary


def proactive_sender(service_token: str, gateway_url: str | None = None) -> Sender:
    """The production sender: the hub's proactive path (transcript + Telegram gateway)."""
    from backend.hub.proactive import send_proactive

    async def send(
        db: Session, sender_id: str, messages: list[dict[str, Any]], language: str
    ) -> bool:
        delivered = await send_proactive(
            db,
            sender_id,
            messages,
            service_token=service_token,
            gateway_url=gateway_url,
            language=language,
        )
        # A web chat has no push channel: the transcript *is* the delivery (the widget shows it).
        return delivered or not sender_id.startswith("tg-")

    return send
