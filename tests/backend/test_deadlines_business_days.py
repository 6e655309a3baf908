"""Due dates, FCLB worked examples, business days per state and the bank-counter date."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

import pytest

from backend.domain import business_days as bd
from backend.domain.deadlines import FclbRules, due_date, fclb, late_months


def test_due_date_is_15th_of_next_month() -> None:
    assert due_date((2025, 1)) == date(2025, 2, 15)
    assert due_date((2025, 12)) == date(2026, 1, 15)


def test_due_date_roll_back_flag() -> None:
    # 15 Feb 2025 is a Saturday: rolled back to Friday 14 Feb only when the flag is on.
    def working(d: date) -> bool:
        return bd.is_business_day(d, "Selangor")

    assert due_date((2025, 1), working) == date(2025, 2, 15)
    assert due_date((2025, 1), working, roll_back_to_working_day=True) == date(2025, 2, 14)


def test_fclb_worked_examples() -> None:
    due = date(2025, 2, 15)
    # On time: nothing.
    assert fclb(D("43.90"), due, due).interest == D("0.00")
    # RM43.90, 10 days late: 43.90 × 6% × 10/365 = RM0.08 → minimum RM5.
    small = fclb(D("43.90"), due, date(2025, 2, 25))
    assert (small.days_late, small.raw, small.interest) == (10, D("0.08"), D("5.00"))
    # RM10,000, 40 days late: 65.76 → rounded up to the next RM5 = 70.00 (2 part-months, min 10).
    big = fclb(D("10000.00"), due, date(2025, 3, 27))
    assert (big.days_late, big.late_months, big.raw, big.interest) == (
        40,
        2,
        D("65.76"),
        D("70.00"),
    )
    # RM2,000, 100 days late: 32.88 → 35.00 (4 part-months → minimum 20).
    assert fclb(D("2000.00"), due, date(2025, 5, 26)).interest == D("35.00")
    # RM200, 100 days late: 3.29 < 4 × RM5 → 20.00.
    assert fclb(D("200.00"), due, date(2025, 5, 26)).interest == D("20.00")
    # Configurable: one RM5 minimum, round to the sen.
    rules = FclbRules(minimum_per_late_month=False, rounding_step=D("0.01"))
    assert fclb(D("10000.00"), due, date(2025, 3, 27), rules).interest == D("65.76")
    assert fclb(D("200.00"), due, date(2025, 5, 26), rules).interest == D("5.00")


def test_late_months() -> None:
    due = date(2025, 2, 15)
    assert late_months(due, date(2025, 2, 16)) == 1
    assert late_months(due, date(2025, 3, 15)) == 1
    assert late_months(due, date(2025, 3, 16)) == 2


def test_weekends_per_state() -> None:
    friday = date(2025, 1, 10)
    assert not bd.is_business_day(friday, "Kelantan")
    assert bd.is_business_day(friday, "Selangor")
    sunday = date(2025, 1, 12)
    assert bd.is_business_day(sunday, "KTN")
    assert not bd.is_business_day(sunday, "SGR")
    assert bd.weekend_days("Kedah") == bd.weekend_days("Terengganu") == {4, 5}
    with pytest.raises(bd.UnknownState):
        bd.state_code("Atlantis")


def test_next_business_day_across_public_holiday() -> None:
    # Malaysia Day, Tue 16 Sep 2025: Monday 15 → Wednesday 17 in Selangor.
    assert bd.next_business_day(date(2025, 9, 15), "Selangor") == date(2025, 9, 17)
    # Kelantan: Thursday → (Fri, Sat weekend) → Sunday.
    assert bd.next_business_day(date(2025, 1, 9), "Kelantan") == date(2025, 1, 12)
    # Selangor: Friday → Monday.
    assert bd.next_business_day(date(2025, 1, 10), "Selangor") == date(2025, 1, 13)
    assert bd.previous_business_day(date(2025, 1, 13), "Selangor") == date(2025, 1, 10)


def test_state_holiday() -> None:
    # Birthday of the Sultan of Kelantan, 29–30 Sep 2026, is a holiday only there.
    assert bd.holiday_name(date(2026, 9, 29), "Kelantan")
    assert bd.holiday_name(date(2026, 9, 29), "Selangor") is None


def test_counter_availability_cutoff() -> None:
    # Monday 13 Jan 2025, 17:59 Malaysian time (09:59 UTC) → Tuesday.
    assert bd.counter_available_date(datetime(2025, 1, 13, 9, 59), "Selangor") == date(2025, 1, 14)
    # 18:00 or later → counts as Tuesday → Wednesday.
    assert bd.counter_available_date(datetime(2025, 1, 13, 10, 0), "Selangor") == date(2025, 1, 15)
    # Kelantan, Thursday 16:00 → Sunday (Friday–Saturday weekend).
    assert bd.counter_available_date(datetime(2025, 1, 9, 8, 0), "Kelantan") == date(2025, 1, 12)
    # Before a public holiday: Monday 15 Sep 2025 10:00 → Wednesday 17 Sep.
    assert bd.counter_available_date(datetime(2025, 9, 15, 2, 0), "Selangor") == date(2025, 9, 17)
