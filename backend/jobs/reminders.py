"""Contribution deadline reminders: ``python -m backend.jobs.reminders [--date D] [--dry-run]``.

Sends "your <month> contributions are due on 15 <month>" to every opted-in chat whose employer has
that month unsubmitted, three days before the due date (a missed day is caught up until the day
before). Safe to run as often as you like: each employer, month and chat gets one reminder. The
backend also runs it daily at ``REMINDERS_AT`` (default 09:00 Malaysian time); use this command
from cron instead when the backend's schedule is off. Telegram chats need ``TELEGRAM_GATEWAY_URL``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date

from backend.db import session_scope
from backend.logging_setup import configure_logging
from backend.services import reminders
from backend.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m backend.jobs.reminders", description=__doc__)
    parser.add_argument("--date", type=date.fromisoformat, default=None, help="today (Malaysia)")
    parser.add_argument("--dry-run", action="store_true", help="list what is due, send nothing")
    parser.add_argument("--database-url", default=settings.database_url)
    args = parser.parse_args(argv)
    configure_logging(settings.assist_log_level)
    send = reminders.proactive_sender(settings.assist_service_token)
    with session_scope(args.database_url) as db:
        summary = asyncio.run(
            reminders.run(db, args.date or reminders.local_today(), send, dry_run=args.dry_run)
        )
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
