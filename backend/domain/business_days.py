"""Malaysian business days per state (pure; public holidays from the ``holidays`` package).

Weekends: Friday–Saturday in Kedah, Kelantan and Terengganu; Saturday–Sunday elsewhere (Johor
returned to Saturday–Sunday on 1 Jan 2025). Public holidays are the federal ones plus the
state's own, from ``holidays.Malaysia(subdiv=<state code>)``.

QRG 8: an ACR/ECR "is available at the counter the next business day" for a contribution
submitted **before 6.00 PM** (Malaysian time). Our reading for a submission at or after 6.00 PM:
it counts as submitted the next calendar day, so the number is available the business day after
that one's next business day (Monday 7 PM → Wednesday when both days are working days).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

MYT = ZoneInfo("Asia/Kuala_Lumpur")
COUNTER_CUTOFF = time(18, 0)
FRI_SAT_STATES = frozenset({"02", "03", "11"})  # Kedah, Kelantan, Terengganu
FRIDAY, SATURDAY, SUNDAY = 4, 5, 6

_ALIASES: dict[str, str] = {
    "johor": "01", "jhr": "01", "kedah": "02", "kdh": "02", "kelantan": "03", "ktn": "03",
    "melaka": "04", "malacca": "04", "mlk": "04", "negeri sembilan": "05", "nsn": "05",
    "pahang": "06", "phg": "06", "pulau pinang": "07", "penang": "07", "png": "07",
    "perak": "08", "prk": "08", "perlis": "09", "pls": "09", "selangor": "10", "sgr": "10",
    "terengganu": "11", "trg": "11", "sabah": "12", "sbh": "12", "sarawak": "13", "swk": "13",
    "kuala lumpur": "14", "wilayah persekutuan kuala lumpur": "14", "kul": "14",
    "wp kuala lumpur": "14", "labuan": "15", "wilayah persekutuan labuan": "15", "lbn": "15",
    "putrajaya": "16", "wilayah persekutuan putrajaya": "16", "pjy": "16",
}  # fmt: skip


class UnknownState(ValueError):
    pass


def state_code(state: str | None) -> str:
    """'Kelantan', 'KTN' or '03' → '03'; None or '' means Kuala Lumpur (federal holidays only)."""
    if not state:
        return "14"
    key = " ".join(state.strip().lower().replace("-", " ").split())
    if key.isdigit() and 1 <= int(key) <= 16:
        return f"{int(key):02d}"
    if key in _ALIASES:
        return _ALIASES[key]
    raise UnknownState(f"{state!r} is not a Malaysian state or federal territory")


def weekend_days(state: str | None) -> frozenset[int]:
    return (
        frozenset({FRIDAY, SATURDAY})
        if state_code(state) in FRI_SAT_STATES
        else frozenset({SATURDAY, SUNDAY})
    )


@lru_cache(maxsize=256)
def _holidays(code: str, year: int) -> holidays.HolidayBase:
    return holidays.Malaysia(subdiv=code, years=year)


def holiday_name(day: date, state: str | None) -> str | None:
    return _holidays(state_code(state), day.year).get(day)


def is_business_day(day: date, state: str | None) -> bool:
    return day.weekday() not in weekend_days(state) and holiday_name(day, state) is None


def next_business_day(day: date, state: str | None) -> date:
    """The first business day strictly after ``day``."""
    candidate = day + timedelta(days=1)
    while not is_business_day(candidate, state):
        candidate += timedelta(days=1)
    return candidate


def previous_business_day(day: date, state: str | None) -> date:
    """The last business day strictly before ``day``."""
    candidate = day - timedelta(days=1)
    while not is_business_day(candidate, state):
        candidate -= timedelta(days=1)
    return candidate


def to_local(moment: datetime) -> datetime:
    """Naive datetimes are UTC (how the database stores them)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(MYT)


def counter_available_date(submitted_at: datetime, state: str | None) -> date:
    """When a bank counter can take the ACR/ECR of a contribution submitted at ``submitted_at``."""
    local = to_local(submitted_at)
    day = local.date()
    if local.time() >= COUNTER_CUTOFF:
        day += timedelta(days=1)
    return next_business_day(day, state)
