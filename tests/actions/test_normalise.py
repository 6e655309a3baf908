"""What employers type (issue 8): wages, months, dates and identifiers normalised one way."""

from datetime import date
from decimal import Decimal

import pytest

from bot.actions.normalise import (
    NormaliseError,
    find_all,
    find_contribution_reference,
    find_date,
    find_employer_code,
    find_month,
    find_mykad,
    find_ssm_number,
    parse_date,
    parse_month,
    parse_mykad_number,
    parse_wage,
    words_to_number,
)

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RM3k", "3000.00"),
        ("rm 3.5k", "3500.00"),
        ("3,000.50", "3000.50"),
        ("RM 2,950", "2950.00"),
        ("2950 ringgit", "2950.00"),
        ("3 ribu", "3000.00"),
        ("tiga ribu", "3000.00"),
        ("tiga ribu lima ratus", "3500.00"),
        ("seribu lapan ratus", "1800.00"),
        ("dua ribu tujuh ratus lima puluh", "2750.00"),
        ("tiga ribu setengah", "3500.00"),
        ("2 ribu 500", "2500.00"),
        ("three thousand two hundred", "3200.00"),
        ("RM1,800.5", "1800.50"),
    ],
)
def test_parse_wage_accepts_how_people_write_amounts(text, expected):
    assert parse_wage(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "wage_empty"),
        ("saya tak tahu", "money_not_a_number"),
        ("-300", "money_negative"),
        ("0", "wage_not_positive"),
        ("2950.505", "money_too_many_decimals"),
        ("RM3,00,0", "money_not_a_number"),
    ],
)
def test_parse_wage_refuses_with_a_reason(text, code):
    with pytest.raises(NormaliseError) as info:
        parse_wage(text)
    assert info.value.code == code


def test_words_that_are_not_numbers_never_become_a_wage():
    assert words_to_number("saya nak tahu") is None
    assert words_to_number("dua belas") == Decimal(12)
    assert words_to_number("sebelas ribu") == Decimal(11000)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Oktober 2026", "2026-10"),
        ("caruman october 2025", "2025-10"),
        ("10/2026", "2026-10"),
        ("10-2026", "2026-10"),
        ("2026-09", "2026-09"),
        ("oct 26", "2026-10"),
        ("bulan lepas", "2026-10"),
        ("caruman bln lepas", "2026-10"),
        ("last month", "2026-10"),
        ("gaji bulan ni", "2026-11"),
        ("this month", "2026-11"),
        ("dua bulan lepas", "2026-09"),
        ("Disember", "2025-12"),  # no year: the latest December not after this month
        ("Mac", "2026-03"),
        ("May 2026", "2026-05"),
    ],
)
def test_find_month(text, expected):
    assert find_month(text, TODAY) == expected


def test_may_without_a_year_is_not_a_month_and_dates_are_not_months():
    assert find_month("may I know the rate", TODAY) is None
    assert find_month("start 1/3/2026", TODAY) is None
    assert find_month("nothing here", TODAY) is None


def test_parse_month_refuses_future_and_missing_months():
    assert parse_month("bulan depan", TODAY, allow_future=True) == "2026-12"
    with pytest.raises(NormaliseError) as info:
        parse_month("bulan depan", TODAY)
    assert info.value.code == "month_in_future"
    with pytest.raises(NormaliseError) as info:
        parse_month("bila-bila", TODAY)
    assert info.value.code == "month_not_found"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1/3/2026", date(2026, 3, 1)),
        ("01-03-2026", date(2026, 3, 1)),
        ("1.3.26", date(2026, 3, 1)),
        ("01 03 2026", date(2026, 3, 1)),
        ("mula kerja 1hb Mac 2026", date(2026, 3, 1)),
        ("1 March 2026", date(2026, 3, 1)),
        ("March 1, 2026", date(2026, 3, 1)),
        ("15 Ogos 1990", date(1990, 8, 15)),
        ("2026-03-01", date(2026, 3, 1)),
        ("semalam", date(2026, 11, 25)),
        ("hari ini", TODAY),
    ],
)
def test_find_date_is_day_first(text, expected):
    assert find_date(text, TODAY) == expected


def test_impossible_dates_are_refused():
    assert find_date("31/02/2026", TODAY) is None
    with pytest.raises(NormaliseError) as info:
        parse_date("30 Februari 2026", TODAY)
    assert info.value.code == "date_invalid"


def test_mykad_with_and_without_dashes():
    assert find_mykad("IC sy 900101-14-5678 ya") == "900101145678"
    assert find_mykad("900101145678") == "900101145678"
    assert find_mykad("900101 14 5678") == "900101145678"
    assert find_mykad("call 012-345 6789") is None
    assert find_mykad("9001011456789") is None  # 13 digits
    kad = parse_mykad_number("my ic is 900101-14-5678", TODAY)
    assert kad.number == "900101145678" and kad.birth_date == date(1990, 1, 1)
    assert kad.gender == "female"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("no IC", "mykad_length"),
        ("901301-14-5678", "mykad_date"),
        ("900101-00-5678", "mykad_place"),
    ],
)
def test_invalid_mykad_has_a_reason(text, code):
    with pytest.raises(NormaliseError) as info:
        parse_mykad_number(text, TODAY)
    assert info.value.code == code


def test_employer_code_ssm_number_and_references():
    assert find_employer_code("kod majikan e1100050233z") == "E1100050233Z"
    assert find_employer_code("E 1100050233 Z") == "E1100050233Z"
    assert find_employer_code("E11000502Z") is None
    assert find_ssm_number("SSM 2020 01 012345") == "202001012345"
    assert find_ssm_number("202001012345") == "202001012345"
    assert find_ssm_number("no lama 1312525-a") == "1312525-A"
    assert find_ssm_number("2020 09 012345") is None  # entity type 09 does not exist
    assert find_contribution_reference("bayar acr 123456789012") == "ACR123456789012"
    assert find_contribution_reference("ECR-123456789012") == "ECR123456789012"


def test_find_all_reads_one_message():
    found = find_all("majikan E1100050233Z, pekerja 900101-14-5678, caruman bulan lepas", TODAY)
    assert found.employer_code == "E1100050233Z"
    assert found.mykad == "900101145678"
    assert found.month == "2026-10"
    assert found.ssm_number is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RM3K", "3000.00"),
        ("rm3,000", "3000.00"),
        ("RM 3 000", "3000.00"),  # a space as the thousands separator, never RM3
        ("RM 12 500.50", "12500.50"),
        ("2,500/=", "2500.00"),
        ("RM3k sebulan", "3000.00"),
        ("RM2,500 per month", "2500.00"),
        ("3000/bulan", "3000.00"),
        ("myr 2500", "2500.00"),
        ("3.5 ribu", "3500.00"),
        ("lima ratus ringgit", "500.00"),
        ("seribu dua ratus", "1200.00"),
        ("dua ribu lima ratus lima puluh", "2550.00"),
        ("sepuluh ribu", "10000.00"),
        ("three thousand five hundred and fifty", "3550.00"),
    ],
)
def test_parse_wage_more_shapes(text, expected):
    assert parse_wage(text) == Decimal(expected)


def test_two_figures_in_a_row_are_not_added_up():
    assert words_to_number("3 000") is None
    assert words_to_number("2 ribu 500") == Decimal(2500)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Okt 2026", "2026-10"),
        ("okt. 2026", "2026-10"),
        ("Okt'26", "2026-10"),
        ("OKTOBER 2026", "2026-10"),
        ("oktober, 2026", "2026-10"),
        ("Oct-2026", "2026-10"),
        ("10.2026", "2026-10"),
        ("10/26", "2026-10"),
        ("2026/10", "2026-10"),
        ("Sept 2026", "2026-09"),
        ("bulan 10 2026", "2026-10"),
        ("bulan 10 tahun 2025", "2025-10"),
        ("caruman bulan 9", "2026-09"),
        ("bulan 12", "2025-12"),  # no year: the latest December not after this month
        ("bln lps", "2026-10"),
        ("bulan oktober tahun 2026", "2026-10"),
        ("previous month", "2026-10"),
    ],
)
def test_find_month_more_shapes(text, expected):
    assert find_month(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1-Mac-2026", date(2026, 3, 1)),
        ("1 Mac 26", date(2026, 3, 1)),
        ("1-Oct-26", date(2026, 10, 1)),
        ("12hb Oktober 2026", date(2026, 10, 12)),
        ("1st March 2026", date(2026, 3, 1)),
        ("tarikh mula 15/10/2026", date(2026, 10, 15)),
        ("01.03.2026", date(2026, 3, 1)),
    ],
)
def test_find_date_more_malaysian_shapes(text, expected):
    assert find_date(text, TODAY) == expected


def test_identifiers_with_dashes_spaces_and_old_numbers():
    assert find_mykad("ic: 900101145678") == "900101145678"
    assert find_mykad("900101 - 14 - 5678") == "900101145678"
    assert find_employer_code("e-1100050233-z") == "E1100050233Z"
    assert find_ssm_number("2020-01-012345") == "202001012345"
    assert find_ssm_number("ssm no 201901000005 (1312525-A)") == "201901000005"
    assert find_ssm_number("(1312525-a)") == "1312525-A"
    assert find_ssm_number("no perniagaan SA0123456-a") == "SA0123456-A"
    assert find_ssm_number("002345678-W") == "002345678-W"
