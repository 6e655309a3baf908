"""One month's SOCSO (Act 4) and EIS (Act 800) contribution for an employer (pure, no I/O).

Every amount comes from :func:`backend.domain.rates.quote` (the fixed-amount tables); nothing
here multiplies a percentage. Amounts are ``Decimal`` with two places.

Reading of the employee statuses (QRG 5/6 "status, start/end date, salary", and the §4 text file
codes), documented because PERKESO's screens do not spell it out:

- ``working`` (no code): employed the whole month; the table row for the wage paid.
- ``B`` new: started in the month (``event_date`` = start date, must not be after the month).
- ``H`` left: left in the month (``event_date`` = last day, must not be before the month).
- ``M`` died: as ``H`` (``event_date`` = date of death).
- ``S`` sick leave on a PERKESO benefit, ``T`` unpaid leave.
- Whatever the status, the contribution is the table row for the **wages actually paid for the
  month**; a month with no wages (typically S or T, or an H/B with nothing paid) is ``0.00`` for
  every share, and the line is still reported so PERKESO sees the event. A part month pays the
  row for the part-month wage: the table is applied to the wage, never pro-rated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from backend.domain import rates
from backend.domain.rates import QuoteError, WorkerFacts

ZERO = Decimal("0.00")
Act = Literal["act4", "act800", "both"]
ACTS: tuple[str, ...] = ("act4", "act800", "both")
STATUSES: dict[str, str] = {
    "working": "employed all month",
    "B": "new employee (started this month)",
    "H": "left this month",
    "M": "died",
    "S": "sick leave on a PERKESO benefit",
    "T": "unpaid leave",
}
EVENT_STATUSES = ("B", "H", "M")


class ContributionError(ValueError):
    """A line cannot be computed; ``code`` names the rule, ``field`` the input."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.code = code
        self.message = f"{field}: {message}"


@dataclass(frozen=True)
class EmployeeMonth:
    """One employee's facts for one contribution month."""

    employee_ref: str
    wage: Decimal
    status: str = "working"
    event_date: date | None = None
    category: int | None = None
    facts: WorkerFacts | None = None
    eis_applies: bool | None = None  # overrides the quote's EIS reading when the caller knows


@dataclass(frozen=True)
class Shares:
    socso_employer: Decimal = ZERO
    socso_employee: Decimal = ZERO
    skbbk_employee: Decimal = ZERO
    eis_employer: Decimal = ZERO
    eis_employee: Decimal = ZERO
    category: int | None = None

    @property
    def act4(self) -> Decimal:
        return self.socso_employer + self.socso_employee + self.skbbk_employee

    @property
    def act800(self) -> Decimal:
        return self.eis_employer + self.eis_employee

    @property
    def total(self) -> Decimal:
        return self.act4 + self.act800

    def for_act(self, act: str) -> Shares:
        """Only the schemes the act covers (SKBBK is part of Act 4)."""
        if act == "act4":
            return Shares(
                self.socso_employer,
                self.socso_employee,
                self.skbbk_employee,
                category=self.category,
            )
        if act == "act800":
            return Shares(
                eis_employer=self.eis_employer,
                eis_employee=self.eis_employee,
                category=self.category,
            )
        return self


def _month_bounds(month: tuple[int, int]) -> tuple[date, date]:
    year, mon = month
    first = date(year, mon, 1)
    nxt = date(year + (mon == 12), mon % 12 + 1, 1)
    return first, date.fromordinal(nxt.toordinal() - 1)


def check_status(line: EmployeeMonth, month: tuple[int, int]) -> None:
    """Status and event date make sense for the month, else :class:`ContributionError`."""
    if line.status not in STATUSES:
        raise ContributionError("status", "invalid_status", "must be working, B, H, M, S or T")
    first, last = _month_bounds(month)
    if line.status in EVENT_STATUSES and line.event_date is None:
        raise ContributionError(
            "event_date", "event_date_required", f"status {line.status} needs its date"
        )
    if line.status == "B" and line.event_date and line.event_date > last:
        raise ContributionError(
            "event_date", "starts_after_month", "a new employee cannot start after the month"
        )
    if line.status in ("H", "M") and line.event_date and line.event_date > last:
        raise ContributionError(
            "event_date",
            "ends_after_month",
            "the date is after this month: the employee is still working this month",
        )
    if line.status in ("H", "M") and line.event_date and line.event_date < first:
        raise ContributionError(
            "event_date",
            "ended_before_month",
            "the employee left before this month: leave them out of this month",
        )


def employee_shares(line: EmployeeMonth, month: tuple[int, int], act: str = "both") -> Shares:
    """The employee's shares for the month from the tables, limited to ``act``."""
    if act not in ACTS:
        raise ContributionError("act", "invalid_act", "must be act4, act800 or both")
    check_status(line, month)
    if not isinstance(line.wage, Decimal) or line.wage < 0:
        raise ContributionError("wage", "invalid_wage", "must be a Decimal of 0.00 or more")
    if line.wage == 0:
        return Shares(category=line.category)
    try:
        q = rates.quote(line.wage, month, category=line.category, facts=line.facts)
    except QuoteError as exc:
        raise ContributionError(exc.field, exc.code, exc.message.split(": ", 1)[-1]) from exc
    eis_employer, eis_employee = q.eis_employer, q.eis_employee
    if line.eis_applies is False:
        eis_employer = eis_employee = ZERO
    elif line.eis_applies is True and q.eis_employer == ZERO and month >= (2018, 1):
        eis_row = rates.load_tables().eis
        ceiling = rates.ceiling_for(date(*month, 1))
        row = eis_row.row_ending_at(ceiling) if line.wage > ceiling else eis_row.row_for(line.wage)
        eis_employer, eis_employee = row.employer, row.employee
    return Shares(
        socso_employer=q.socso_employer,
        socso_employee=q.socso_employee,
        skbbk_employee=q.skbbk_employee,
        eis_employer=eis_employer,
        eis_employee=eis_employee,
        category=q.category,
    ).for_act(act)


@dataclass
class Totals:
    employees: int = 0
    wages: Decimal = ZERO
    socso_employer: Decimal = ZERO
    socso_employee: Decimal = ZERO
    skbbk_employee: Decimal = ZERO
    eis_employer: Decimal = ZERO
    eis_employee: Decimal = ZERO
    lines: list[Shares] = field(default_factory=list)

    @property
    def act4(self) -> Decimal:
        return self.socso_employer + self.socso_employee + self.skbbk_employee

    @property
    def act800(self) -> Decimal:
        return self.eis_employer + self.eis_employee

    @property
    def total(self) -> Decimal:
        return self.act4 + self.act800


def month_totals(lines: list[EmployeeMonth], month: tuple[int, int], act: str = "both") -> Totals:
    """Shares per line and totals per act; every line counts as an employee (even at 0.00)."""
    totals = Totals()
    for line in lines:
        shares = employee_shares(line, month, act)
        totals.lines.append(shares)
        totals.employees += 1
        totals.wages += line.wage
        totals.socso_employer += shares.socso_employer
        totals.socso_employee += shares.socso_employee
        totals.skbbk_employee += shares.skbbk_employee
        totals.eis_employer += shares.eis_employer
        totals.eis_employee += shares.eis_employee
    return totals
