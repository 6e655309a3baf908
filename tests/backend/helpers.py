"""Helpers for backend tests: a controllable clock, reading the outbox, making an account."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from backend.db import get_sessionmaker
from backend.deps import get_clock
from backend.models import OutboxEmail

APPLICANT = {
    "sender_id": "web-applicant",
    "full_name": "Tan Ah Kow",
    "mykad": "850315-10-5123",
    "email": "tan@example.com",
    "mobile": "0123456789",
    "company_name": "Tan Hardware Sdn Bhd",
    "company_role": "Owner",
    "language": "en",
}


@dataclass
class FakeClock:
    now: datetime = field(default_factory=lambda: datetime(2026, 1, 5, 9, 0, 0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def install_clock(app) -> FakeClock:  # type: ignore[no-untyped-def]
    clock = FakeClock()
    app.dependency_overrides[get_clock] = lambda: clock
    return clock


def emails(settings) -> list[OutboxEmail]:  # type: ignore[no-untyped-def]
    with get_sessionmaker(settings.database_url)() as db:
        return list(db.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def last_email_match(settings, pattern: str) -> str:  # type: ignore[no-untyped-def]
    match = re.search(pattern, emails(settings)[-1].body)
    assert match, emails(settings)[-1].body
    return match.group(1)


def create_account(client, headers, settings, **overrides) -> str:  # type: ignore[no-untyped-def]
    """Apply for a portal ID; returns the temporary password from the activation email."""
    res = client.post(
        "/api/v1/portal-applications", json={**APPLICANT, **overrides}, headers=headers
    )
    assert res.status_code == 201, res.text
    return last_email_match(settings, r"Temporary password: (\S+)")
