"""SOCSO (Act 4), EIS (Act 800) and SKBBK amounts for one worker's month (pure, no I/O).

The law is a table of fixed amounts per wage band, so this module only ever looks amounts up
in the CSVs under ``backend/data/rates/``; it never multiplies a percentage. Which table applies
depends on the month (ceilings, scheme start dates) and on the worker (age, residency, domestic
work), following ``shared/domain/README.md`` §2.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from backend.domain.money import format_ringgit

RATES_DIR = Path(__file__).resolve().parent.parent / "data" / "rates"
ZERO = Decimal("0.00")
CENT = Decimal("0.01")

# (first month in force, ceiling): wages above the ceiling pay the ceiling's row.
CEILINGS: tuple[tuple[date, Decimal], ...] = (
    (date(2016, 6, 1), Decimal("4000.00")),
    (date(2022, 9, 1), Decimal("5000.00")),
    (date(2024, 10, 1), Decimal("6000.00")),
)
FIRST_MONTH = CEILINGS[0][0]
EIS_START = date(2018, 1, 1)
FOREIGN_START = date(2019, 1, 1)
FOREIGN_FULL_COVER = date(2024, 7, 1)
DOMESTIC_START = date(2021, 6, 1)
SKBBK_START = date(2026, 6, 1)

Residency = Literal["local", "foreign"]
WorkerType = Literal["regular", "domestic"]


class QuoteError(ValueError):
    """A quote input is unusable; ``field`` and ``code`` say which and why."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.code = code
        self.message = f"{field}: {message}"


@dataclass(frozen=True)
class Band:
    number: int
    wage_from: Decimal
    wage_to: Decimal | None
    employer: Decimal
    employee: Decimal


@dataclass(frozen=True)
class RateTable:
    """One schedule: bands in wage order, each with fixed employer/employee amounts."""

    name: str
    bands: tuple[Band, ...]
    sources: tuple[str, ...]

    def row_for(self, wage: Decimal) -> Band:
        """The band whose range holds ``wage`` ("exceeds X but not Y")."""
        for band in self.bands:
            if band.wage_to is None or wage <= band.wage_to:
                return band
        return self.bands[-1]

    def row_ending_at(self, ceiling: Decimal) -> Band:
        for band in self.bands:
            if band.wage_to == ceiling:
                return band
        raise LookupError(f"{self.name} has no band ending at {ceiling}")


def _read_csv(name: str) -> tuple[list[dict[str, str]], tuple[str, ...]]:
    path = RATES_DIR / name
    lines = path.read_text(encoding="utf-8").splitlines()
    sources = tuple(line.lstrip("# ").strip() for line in lines if line.startswith("#"))
    rows = list(csv.DictReader(line for line in lines if not line.startswith("#")))
    return rows, sources


def _money(text: str) -> Decimal:
    return Decimal(text).quantize(CENT)


def _load(name: str, file: str, employer_col: str | None, employee_col: str) -> RateTable:
    rows, sources = _read_csv(file)
    bands = tuple(
        Band(
            number=int(row["band_no"]),
            wage_from=_money(row["wage_from"]),
            wage_to=_money(row["wage_to"]) if row["wage_to"] else None,
            employer=_money(row[employer_col]) if employer_col else ZERO,
            employee=_money(row[employee_col]),
        )
        for row in rows
    )
    return RateTable(name=name, bands=bands, sources=sources)


@dataclass(frozen=True)
class Tables:
    socso_cat1: RateTable
    socso_cat2: RateTable
    eis: RateTable
    skbbk_cat1: RateTable
    skbbk_cat2: RateTable


@lru_cache
def load_tables() -> Tables:
    """Read the four CSVs once per process."""
    return Tables(
        socso_cat1=_load("SOCSO first category", "socso_cat1.csv", "employer_rm", "employee_rm"),
        socso_cat2=_load("SOCSO second category", "socso_cat2.csv", "employer_rm", "employee_rm"),
        eis=_load("EIS", "eis.csv", "employer_rm", "employee_rm"),
        skbbk_cat1=_load("SKBBK", "socso_skbbk_2026.csv", None, "skbbk_employee_cat1_rm"),
        skbbk_cat2=_load("SKBBK", "socso_skbbk_2026.csv", None, "skbbk_employee_cat2_rm"),
    )


@dataclass(frozen=True)
class WorkerFacts:
    """What decides the category and EIS cover when the caller does not know the category."""

    date_of_birth: date
    residency: Residency = "local"
    worker_type: WorkerType = "regular"
    first_contribution_date: date | None = None


@dataclass
class Quote:
    month: tuple[int, int]
    wage: Decimal
    category: int | None
    band_from: Decimal
    band_to: Decimal | None
    socso_employer: Decimal = ZERO
    socso_employee: Decimal = ZERO
    eis_employer: Decimal = ZERO
    eis_employee: Decimal = ZERO
    skbbk_employee: Decimal = ZERO
    rules: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``GET /api/v1/rates/quote`` (amounts as two-place strings)."""
        year, month = self.month
        return {
            "month": f"{year:04d}-{month:02d}",
            "wage": format_ringgit(self.wage),
            "category": self.category,
            "band": {
                "from": format_ringgit(self.band_from),
                "to": format_ringgit(self.band_to) if self.band_to is not None else None,
            },
            "socso": {
                "employer": format_ringgit(self.socso_employer),
                "employee": format_ringgit(self.socso_employee),
            },
            "eis": {
                "employer": format_ringgit(self.eis_employer),
                "employee": format_ringgit(self.eis_employee),
            },
            "skbbk": {"employee": format_ringgit(self.skbbk_employee)},
            "rules": list(self.rules),
        }


def ceiling_for(first_day: date) -> Decimal:
    """The wage ceiling in force in the month starting ``first_day``."""
    if first_day < FIRST_MONTH:
        raise QuoteError(
            "month",
            "month_out_of_scope",
            "months before 2016-06 used the old RM3,000 eligibility rules and are not covered; "
            "give a month from 2016-06 onwards",
        )
    ceiling = CEILINGS[0][1]
    for start, value in CEILINGS:
        if first_day >= start:
            ceiling = value
    return ceiling


def age_on(born: date, on: date) -> int:
    """Completed years on ``on``."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _rm(value: Decimal) -> str:
    return f"RM{value:,.2f}"


def _band_text(band_from: Decimal, band_to: Decimal | None) -> str:
    if band_to is None:
        return f"wages above {_rm(band_from - CENT)}"
    if band_from == ZERO:
        return f"wages up to {_rm(band_to)}"
    return f"wages of {_rm(band_from)} to {_rm(band_to)}"


def _socso_category(
    facts: WorkerFacts, first_day: date, rules: list[str]
) -> tuple[int | None, bool]:
    """(category or None when SOCSO does not apply, employer-only Employment Injury flag)."""
    age = age_on(facts.date_of_birth, first_day)
    first_age = (
        age_on(facts.date_of_birth, facts.first_contribution_date)
        if facts.first_contribution_date
        else None
    )
    domestic = facts.worker_type == "domestic"
    if domestic and first_day < DOMESTIC_START:
        rules.append(
            "Domestic workers are covered by SOCSO only from June 2021, so nothing is due."
        )
        return None, False
    if facts.residency == "foreign":
        if first_day < FOREIGN_START:
            rules.append(
                "Foreign workers are covered by SOCSO only from January 2019, so nothing is due."
            )
            return None, False
        if first_day < FOREIGN_FULL_COVER:
            who = "foreign domestic workers" if domestic else "foreign workers"
            rules.append(
                f"Before July 2024 {who} had Employment Injury cover only: the second-category "
                "table applies and only the employer pays."
            )
            return 2, True
        rules.append("From July 2024 foreign workers follow the same category rules as locals.")
    if age >= 60:
        rules.append(
            "The worker is 60 or older at the start of the month: second category "
            "(Employment Injury only), paid by the employer alone."
        )
        return 2, False
    if first_age is not None and first_age >= 55:
        rules.append(
            "The worker's first contribution was at age 55 or later: second category "
            "(Employment Injury only), paid by the employer alone."
        )
        return 2, False
    rules.append(
        "The worker is under 60 and first contributed before 55: first category "
        "(Employment Injury and Invalidity), shared by employer and employee."
    )
    return 1, False


def _eis_applies(facts: WorkerFacts, first_day: date, rules: list[str]) -> bool:
    if facts.residency == "foreign":
        rules.append("Foreign workers are not covered by EIS.")
        return False
    if facts.worker_type == "domestic" and first_day < DOMESTIC_START:
        rules.append("Local domestic workers are covered by EIS only from June 2021.")
        return False
    age = age_on(facts.date_of_birth, first_day)
    if age < 18:
        rules.append("The worker is under 18, so EIS does not apply.")
        return False
    if age >= 60:
        rules.append("The worker is 60 or older, so EIS contributions have stopped.")
        return False
    if facts.first_contribution_date is not None:
        if age_on(facts.date_of_birth, facts.first_contribution_date) >= 57:
            rules.append(
                "The worker first contributed at 57 or later with no EIS before 57, "
                "so EIS does not apply."
            )
            return False
    rules.append("EIS applies (local worker aged 18 to 59): employer and employee each pay it.")
    return True


def quote(
    wage: Decimal,
    month: tuple[int, int],
    category: int | None = None,
    facts: WorkerFacts | None = None,
) -> Quote:
    """Contributions due for ``wage`` in ``month`` (year, month).

    Give either ``category`` (1 or 2) or ``facts``; with facts the category and EIS cover are
    derived from the worker's age, residency and domestic status for that month.
    """
    if not isinstance(wage, Decimal):
        raise QuoteError("wage", "invalid_wage", "must be a Decimal amount in ringgit")
    if wage <= 0:
        raise QuoteError("wage", "invalid_wage", "must be more than zero, e.g. 2950.00")
    if wage != wage.quantize(CENT):
        raise QuoteError("wage", "invalid_wage", "must have at most two decimals, e.g. 2950.00")
    wage = wage.quantize(CENT)
    year, mon = month
    try:
        first_day = date(year, mon, 1)
    except ValueError as exc:
        raise QuoteError(
            "month", "invalid_month", "must be a month as YYYY-MM, e.g. 2025-01"
        ) from exc
    if (category is None) == (facts is None):
        raise QuoteError(
            "category",
            "invalid_category",
            "give either the category (1 or 2) or the worker's date of birth, not both or neither",
        )
    if category is not None and category not in (1, 2):
        raise QuoteError("category", "invalid_category", "must be 1 or 2")
    if facts is not None and facts.date_of_birth >= first_day:
        raise QuoteError(
            "date_of_birth", "invalid_date_of_birth", "must be before the contribution month"
        )
    if facts is not None and facts.residency not in ("local", "foreign"):
        raise QuoteError("residency", "invalid_residency", "must be local or foreign")
    if facts is not None and facts.worker_type not in ("regular", "domestic"):
        raise QuoteError("worker_type", "invalid_worker_type", "must be regular or domestic")

    tables = load_tables()
    ceiling = ceiling_for(first_day)
    rules: list[str] = []
    if wage > ceiling:
        band_from, band_to = ceiling + CENT, None
        rules.append(
            f"The wage ceiling for {year:04d}-{mon:02d} is {_rm(ceiling)}: wages above it pay "
            f"the amounts of the {_rm(ceiling - Decimal(100) + CENT)} to {_rm(ceiling)} band."
        )

        def pick(table: RateTable) -> Band:
            return table.row_ending_at(ceiling)
    else:
        row = tables.socso_cat1.row_for(wage)
        band_from, band_to = row.wage_from, row.wage_to

        def pick(table: RateTable) -> Band:
            return table.row_for(wage)

    rules.append(
        f"SOCSO and EIS are fixed amounts per wage band; {_rm(wage)} falls in the band for "
        f"{_band_text(band_from, band_to)}."
    )
    result = Quote(
        month=(year, mon),
        wage=wage,
        category=None,
        band_from=band_from,
        band_to=band_to,
        rules=rules,
    )

    employer_only = False
    if facts is not None:
        cat, employer_only = _socso_category(facts, first_day, rules)
    else:
        cat = category
        rules.append(
            "First category (Employment Injury and Invalidity), shared by employer and employee."
            if cat == 1
            else "Second category (Employment Injury only), paid by the employer alone."
        )
    result.category = cat
    if cat is not None:
        socso = pick(tables.socso_cat1 if cat == 1 else tables.socso_cat2)
        result.socso_employer = socso.employer
        result.socso_employee = ZERO if employer_only else socso.employee

    if first_day < EIS_START:
        rules.append("EIS started in January 2018, so none is due for this month.")
        eis = False
    elif facts is not None:
        eis = cat is not None and _eis_applies(facts, first_day, rules)
    elif cat == 1:
        rules.append(
            "EIS is assumed to apply (a first-category worker is usually a local aged 18 to 59); "
            "give the date of birth and residency for an exact answer."
        )
        eis = True
    else:
        rules.append(
            "EIS is assumed not to apply (second-category workers are usually 60 or older or "
            "foreign); give the date of birth and residency for an exact answer."
        )
        eis = False
    if eis:
        eis_row = pick(tables.eis)
        result.eis_employer, result.eis_employee = eis_row.employer, eis_row.employee

    if cat is not None and first_day >= SKBBK_START:
        skbbk_table = tables.skbbk_cat1 if cat == 1 else tables.skbbk_cat2
        last = skbbk_table.bands[-1]
        row = last if last.wage_to is not None and wage > last.wage_to else pick(skbbk_table)
        result.skbbk_employee = row.employee
        rules.append(
            f"From June 2026 the employee also pays LINDUNG 24 Jam (SKBBK), {_rm(row.employee)} "
            "for this band; this amount comes from an unofficial transcription and is "
            "unconfirmed until PERKESO publishes the official table."
        )
    return result


@dataclass(frozen=True)
class Coverage:
    """Which schemes cover a worker in a month: SOCSO category (None = none) and EIS."""

    category: int | None
    employer_only: bool
    eis: bool
    rules: tuple[str, ...]


def coverage(facts: WorkerFacts, first_day: date) -> Coverage:
    """The category and EIS rules of :func:`quote` without the amounts (used by registration)."""
    rules: list[str] = []
    category, employer_only = _socso_category(facts, first_day, rules)
    if first_day < EIS_START:
        rules.append("EIS started in January 2018, so none is due for this month.")
        eis = False
    else:
        eis = category is not None and _eis_applies(facts, first_day, rules)
    return Coverage(category, employer_only, eis, tuple(rules))
