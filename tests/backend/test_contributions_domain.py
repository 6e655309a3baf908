"""Contribution shares through the rate tables: band edges, ceilings, statuses, totals per act."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from backend.domain.contributions import (
    ContributionError,
    EmployeeMonth,
    employee_shares,
    month_totals,
)
from backend.domain.rates import WorkerFacts


def shares(wage: str, month=(2025, 1), **kw):  # type: ignore[no-untyped-def]
    return employee_shares(EmployeeMonth("E1", D(wage), **{"category": 1, **kw}), month)


@pytest.mark.parametrize(
    ("wage", "socso", "eis"),
    [
        ("30.00", ("0.40", "0.10"), ("0.05", "0.05")),
        ("30.01", ("0.70", "0.20"), ("0.10", "0.10")),
        ("2000.00", ("34.15", "9.75"), ("3.90", "3.90")),
        ("2000.01", ("35.85", "10.25"), ("4.10", "4.10")),
    ],
)
def test_band_edges(wage: str, socso: tuple[str, str], eis: tuple[str, str]) -> None:
    s = shares(wage)
    assert (s.socso_employer, s.socso_employee) == (D(socso[0]), D(socso[1]))
    assert (s.eis_employer, s.eis_employee) == (D(eis[0]), D(eis[1]))


def test_qrg5_screen_total() -> None:
    assert shares("1950.00").act4 == D("43.90")


@pytest.mark.parametrize(
    ("month", "employer", "eis"),
    [
        ((2022, 8), "69.15", "7.90"),  # RM4,000 ceiling
        ((2022, 9), "86.65", "9.90"),  # RM5,000 from Sep 2022
        ((2024, 9), "86.65", "9.90"),
        ((2024, 10), "104.15", "11.90"),  # RM6,000 from Oct 2024
    ],
)
def test_each_ceiling_period(month: tuple[int, int], employer: str, eis: str) -> None:
    s = shares("10000.00", month)
    assert s.socso_employer == D(employer) and s.eis_employer == D(eis)


def test_skbbk_from_june_2026_only_in_act4() -> None:
    assert shares("2000.00", (2026, 5)).skbbk_employee == D("0.00")
    june = shares("2000.00", (2026, 6))
    assert june.skbbk_employee == D("14.65")
    assert june.for_act("act4").skbbk_employee == D("14.65")
    assert june.for_act("act800").skbbk_employee == D("0.00")


def test_second_category_and_facts() -> None:
    s = shares("3000.00", category=2)
    assert (s.socso_employer, s.socso_employee, s.eis_employer) == (D("36.90"), D("0"), D("0"))
    older = employee_shares(
        EmployeeMonth("E", D("3000.00"), facts=WorkerFacts(date(1960, 1, 1))), (2025, 1)
    )
    assert older.category == 2 and older.eis_employee == 0


@pytest.mark.parametrize("status", ["S", "T", "working"])
def test_no_wages_means_zero(status: str) -> None:
    s = shares("0.00", status=status)
    assert s.total == D("0.00")


def test_event_statuses() -> None:
    # A part month pays the row for the part-month wage (never pro-rated).
    new = shares("950.00", status="B", event_date=date(2025, 1, 16))
    assert new.socso_employer == shares("950.00").socso_employer
    with pytest.raises(ContributionError) as exc:
        shares("950.00", status="B")
    assert exc.value.code == "event_date_required"
    with pytest.raises(ContributionError) as exc:
        shares("950.00", status="B", event_date=date(2025, 2, 1))
    assert exc.value.code == "starts_after_month"
    with pytest.raises(ContributionError) as exc:
        shares("950.00", status="H", event_date=date(2024, 12, 31))
    assert exc.value.code == "ended_before_month"
    with pytest.raises(ContributionError) as exc:
        shares("950.00", status="H", event_date=date(2025, 2, 1))
    assert exc.value.code == "ends_after_month"
    assert shares("100.00", status="M", event_date=date(2025, 1, 3)).total > 0
    with pytest.raises(ContributionError):
        shares("100.00", status="X")


def test_totals_per_act() -> None:
    lines = [
        EmployeeMonth("A", D("1950.00"), category=1),
        EmployeeMonth("B", D("3000.00"), category=2),
        EmployeeMonth("C", D("0.00"), category=1, status="T"),
    ]
    both = month_totals(lines, (2025, 1), "both")
    assert both.employees == 3
    assert both.act4 == D("43.90") + D("36.90")
    assert both.act800 == D("7.80")
    assert both.total == both.act4 + both.act800
    act4 = month_totals(lines, (2025, 1), "act4")
    assert act4.act800 == 0 and act4.total == both.act4
    act800 = month_totals(lines, (2025, 1), "act800")
    assert act800.total == D("7.80")
    with pytest.raises(ContributionError):
        month_totals(lines, (2025, 1), "act9")


def test_eis_override() -> None:
    s = shares("2000.00", category=2, eis_applies=True)
    assert s.eis_employer == D("3.90")
    assert shares("2000.00", eis_applies=False).eis_employer == 0
