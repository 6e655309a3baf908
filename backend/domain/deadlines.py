"""When a month's contribution is due, and the late-payment interest (FCLB) on it (pure).

- Due date: the 15th of the month after the contribution month (confirmed). If the 15th is not a
  working day, the last working day before it (**unconfirmed**): applied only when
  ``roll_back_to_working_day`` is set (config ``DUE_DATE_ROLL_BACK``, default off).
- FCLB (Faedah Caruman Lewat Bayar): 6% a year for each day late (confirmed), computed as
  ``amount × 6% × days_late / 365``. Minimum RM5 "per month or part-month": our reading is RM5
  for each month or part-month of lateness (1–31 days late → at least RM5, 32–62 → RM10 …
  counted in calendar months from the due date); config ``FCLB_MINIMUM_PER_LATE_MONTH``.
  Above the minimum the amount is rounded **up** to the next RM5 (**unconfirmed** rounding:
  config ``FCLB_ROUNDING_STEP``, default 5.00; 0.01 means "round up to the sen").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class FclbRules:
    annual_rate: Decimal = Decimal("0.06")
    minimum: Decimal = Decimal("5.00")
    minimum_per_late_month: bool = True
    rounding_step: Decimal = Decimal("5.00")  # unconfirmed
    days_in_year: int = 365


def due_date(
    month: tuple[int, int],
    is_working_day: Callable[[date], bool] | None = None,
    roll_back_to_working_day: bool = False,
) -> date:
    """The 15th of the following month (rolled back to a working day only when asked)."""
    year, mon = month
    due = date(year + (mon == 12), mon % 12 + 1, 15)
    if roll_back_to_working_day and is_working_day is not None:
        while not is_working_day(due):
            due -= timedelta(days=1)
    return due


def days_late(due: date, paid: date) -> int:
    return max((paid - due).days, 0)


def late_months(due: date, paid: date) -> int:
    """Months or part-months between the due date and payment (0 when on time)."""
    if paid <= due:
        return 0
    months = (paid.year - due.year) * 12 + (paid.month - due.month)
    if paid.day > due.day:
        months += 1
    return max(months, 1)


def round_up(value: Decimal, step: Decimal) -> Decimal:
    units = (value / step).to_integral_value(rounding=ROUND_CEILING)
    return (units * step).quantize(CENT)


@dataclass(frozen=True)
class Fclb:
    days_late: int
    late_months: int
    raw: Decimal  # before minimum and rounding, to the sen (rounded up)
    minimum: Decimal
    interest: Decimal


def fclb(amount: Decimal, due: date, paid: date, rules: FclbRules | None = None) -> Fclb:
    """Late-payment interest on ``amount`` due on ``due`` and paid on ``paid``."""
    rules = rules or FclbRules()
    days = days_late(due, paid)
    months = late_months(due, paid)
    if days == 0 or amount <= 0:
        return Fclb(days, months, Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    raw = round_up(amount * rules.annual_rate * days / rules.days_in_year, CENT)
    minimum = rules.minimum * (months if rules.minimum_per_late_month else 1)
    interest = minimum if raw <= minimum else round_up(raw, rules.rounding_step)
    return Fclb(days, months, raw, minimum.quantize(CENT), interest)
