"""Data retention (PDPA): ``python -m backend.jobs.retention [--days N]``.

Deletes chat transcripts and Rasa tracker events older than ``--days`` (default
``RETENTION_DAYS``, 90), keeping only anonymised daily counts in ``analytics_daily``. Run it daily.
"""

from __future__ import annotations

import argparse
import json
import sys

from backend.db import session_scope
from backend.logging_setup import configure_logging
from backend.models._common import utcnow
from backend.services.data_protection import apply_retention
from backend.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m backend.jobs.retention", description=__doc__)
    parser.add_argument("--days", type=int, default=settings.retention_days)
    parser.add_argument("--database-url", default=settings.database_url)
    parser.add_argument("--tracker-url", default=None, help="Rasa tracker store SQLAlchemy URL")
    args = parser.parse_args(argv)
    if args.days < 1:
        parser.error("--days must be at least 1")
    tracker_url = (
        args.tracker_url
        or settings.model_copy(update={"database_url": args.database_url}).tracker_database_url
    )
    configure_logging(settings.assist_log_level)
    with session_scope(args.database_url) as db:
        summary = apply_retention(db, tracker_url, args.days, utcnow())
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
