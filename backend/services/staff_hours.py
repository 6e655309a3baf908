"""When the helpline is staffed (Malaysia time), from ``HELPLINE_HOURS``.

The setting lists weekdays (or ranges) and one opening window each, separated by ``;``:
``mon-fri 08:00-17:00; sat 09:00-13:00`` (the default is ``mon-fri 08:00-17:00``). A day not named
is closed; ``always`` means staffed around the clock (a test or a 24-hour desk). A malformed value
stops nobody: it is logged and the default is used, so a typo never opens the helpline at 3 a.m.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

logger = logging.getLogger("assist.staff.hours")

MALAYSIA = ZoneInfo("Asia/Kuala_Lumpur")
DEFAULT_HOURS = "mon-fri 08:00-17:00"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "ms": ("Isnin", "Selasa", "Rabu", "Khamis", "Jumaat", "Sabtu", "Ahad"),
}
_PART = re.compile(
    r"^(?P<d1>[a-z]{3})(?:\s*-\s*(?P<d2>[a-z]{3}))?\s+"
    r"(?P<h1>\d{1,2}):(?P<m1>\d{2})\s*-\s*(?P<h2>\d{1,2}):(?P<m2>\d{2})$"
)


@dataclass(frozen=True)
class Hours:
    """Opening window per weekday (0 = Monday); None = closed that day."""

    windows: tuple[tuple[time, time] | None, ...]
    always: bool = False

    def is_open(self, now_utc: datetime) -> bool:
        if self.always:
            return True
        local = _local(now_utc)
        window = self.windows[local.weekday()]
        return window is not None and window[0] <= local.time() < window[1]

    def next_opening(self, now_utc: datetime) -> datetime | None:
        """The next opening (Malaysia time, aware) after ``now_utc``; None when always open."""
        if self.always or not any(self.windows):
            return None
        local = _local(now_utc)
        for offset in range(8):
            day = (local + timedelta(days=offset)).date()
            window = self.windows[day.weekday()]
            if window is None:
                continue
            opening = datetime.combine(day, window[0], MALAYSIA)
            if opening > local:
                return opening
        return None


def _local(now_utc: datetime) -> datetime:
    aware = now_utc if now_utc.tzinfo else now_utc.replace(tzinfo=UTC)
    return aware.astimezone(MALAYSIA)


def parse_hours(spec: str) -> Hours:
    """``mon-fri 08:00-17:00; sat 09:00-13:00`` → :class:`Hours` (ValueError when malformed)."""
    text = spec.strip().lower()
    if text in ("always", "24/7"):
        return Hours(windows=(None,) * 7, always=True)
    windows: list[tuple[time, time] | None] = [None] * 7
    for part in filter(None, (p.strip() for p in text.split(";"))):
        match = _PART.match(part)
        if not match or match["d1"] not in DAYS or (match["d2"] and match["d2"] not in DAYS):
            raise ValueError(f"cannot read {part!r}: write e.g. 'mon-fri 08:00-17:00'")
        first = DAYS.index(match["d1"])
        last = DAYS.index(match["d2"]) if match["d2"] else first
        start = time(int(match["h1"]), int(match["m1"]))
        end_h, end_m = int(match["h2"]), int(match["m2"])
        end = time(23, 59, 59) if (end_h, end_m) == (24, 0) else time(end_h, end_m)
        if end <= start:
            raise ValueError(f"{part!r}: the window must end after it starts")
        for day in (
            range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
        ):
            windows[day] = (start, end)
    return Hours(windows=tuple(windows))


def configured_hours(env: dict[str, str] | None = None) -> Hours:
    raw = (env if env is not None else os.environ).get("HELPLINE_HOURS", "").strip()
    if not raw:
        return parse_hours(DEFAULT_HOURS)
    try:
        return parse_hours(raw)
    except ValueError as exc:
        logger.error("HELPLINE_HOURS ignored (%s); using %s", exc, DEFAULT_HOURS)
        return parse_hours(DEFAULT_HOURS)


def describe_opening(opening: datetime | None, language: str) -> str:
    """'Monday at 08:00' / 'Isnin pukul 08:00' (Malaysia time), for the bot to say."""
    if opening is None:
        return "-"
    day = DAY_NAMES["ms" if language == "ms" else "en"][opening.weekday()]
    joiner = " pukul " if language == "ms" else " at "
    return f"{day}{joiner}{opening:%H:%M}"
