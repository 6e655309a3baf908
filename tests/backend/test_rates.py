"""Quote rules from shared/domain/README.md §2, checked against the README's check rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from backend.domain.money import MoneyError, parse_ringgit
from backend.domain.rates import QuoteError, WorkerFacts, quote

D = Decimal


def q(wage: str, month: tuple[int, int], category: int | None = None, **facts):  # type: ignore[no-untyped-def]
    worker = WorkerFacts(**facts) if facts else None
    return quote(D(wage), month, category=category, facts=worker).to_dict()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2950", "2950.00"),
        ("2,950.00", "2950.00"),
        ("RM2,950", "2950.00"),
        ("RM 3k", "3000.00"),
        ("3.5k", "3500.00"),
        ("rm 1,900.01", "1900.01"),
    ],
)
def test_parse_ringgit_accepts(text: str, expected: str) -> None:
    assert parse_ringgit(text) == D(expected)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("-5", "money_negative"),
        ("2.555", "money_too_many_decimals"),
        ("two thousand", "money_not_a_number"),
        ("2,95", "money_not_a_number"),
        ("", "money_empty"),
    ],
)
def test_parse_ringgit_refuses(text: str, code: str) -> None:
    with pytest.raises(MoneyError) as err:
        parse_ringgit(text)
    assert err.value.code == code
    assert isinstance(err.value, ValueError)


def test_check_rows_from_readme() -> None:
    row = q("2000", (2025, 1), 1)
    assert row["band"] == {"from": "1900.01", "to": "2000.00"}
    assert row["socso"] == {"employer": "34.15", "employee": "9.75"}
    row = q("2950", (2025, 1), 1)
    assert row["socso"] == {"employer": "51.65", "employee": "14.75"}
    assert q("2950", (2025, 1), 2)["socso"] == {"employer": "36.90", "employee": "0.00"}
    top = q("6000", (2025, 1), 1)
    assert top["socso"] == {"employer": "104.15", "employee": "29.75"}
    assert top["eis"] == {"employer": "11.90", "employee": "11.90"}
    assert q("6000", (2025, 1), 2)["socso"]["employer"] == "74.40"


@pytest.mark.parametrize(
    ("wage", "band_from", "band_to"),
    [
        ("30.00", "0.00", "30.00"),
        ("30.01", "30.01", "50.00"),
        ("1900.00", "1800.01", "1900.00"),
        ("1900.01", "1900.01", "2000.00"),
        ("6000.00", "5900.01", "6000.00"),
        ("6000.01", "6000.01", None),
    ],
)
def test_band_edges(wage: str, band_from: str, band_to: str | None) -> None:
    assert q(wage, (2025, 1), 1)["band"] == {"from": band_from, "to": band_to}


def test_band_edge_amounts_differ() -> None:
    assert q("30.00", (2025, 1), 1)["socso"]["employer"] == "0.40"
    assert q("30.01", (2025, 1), 1)["socso"]["employer"] == "0.70"
    above = q("6000.01", (2025, 1), 1)
    assert above["socso"] == {"employer": "104.15", "employee": "29.75"}


def test_ceilings_by_month() -> None:
    aug22 = q("7000", (2022, 8), 1)
    sep22 = q("7000", (2022, 9), 1)
    assert aug22["band"] == {"from": "4000.01", "to": None}
    assert aug22["eis"]["employee"] == "7.90"
    assert sep22["band"] == {"from": "5000.01", "to": None}
    assert sep22["eis"]["employee"] == "9.90"
    sep24 = q("7000", (2024, 9), 1)
    oct24 = q("7000", (2024, 10), 1)
    assert sep24["eis"]["employee"] == "9.90"
    assert oct24["eis"]["employee"] == "11.90"
    assert oct24["socso"]["employer"] == "104.15"
    # Below the old ceiling the amounts are the same rows.
    assert q("2000", (2020, 1), 1)["socso"] == q("2000", (2025, 1), 1)["socso"]
    # 5,500 in 2024-09 pays the RM5,000 row; in 2024-10 its own band.
    assert q("5500", (2024, 9), 1)["socso"] != q("5500", (2024, 10), 1)["socso"]
    assert any("ceiling" in rule for rule in sep22["rules"])


def test_month_before_2016_06_out_of_scope() -> None:
    with pytest.raises(QuoteError) as err:
        q("2000", (2016, 5), 1)
    assert err.value.field == "month"
    assert q("2000", (2016, 6), 1)["socso"]["employer"] == "34.15"


def test_categories_from_facts() -> None:
    # Aged 59 at the start of 2025-01 (born 1965-02-01) → cat 1; 60 (born 1965-01-01) → cat 2.
    assert q("3000", (2025, 1), date_of_birth=date(1965, 2, 1))["category"] == 1
    sixty = q("3000", (2025, 1), date_of_birth=date(1965, 1, 1))
    assert sixty["category"] == 2
    assert sixty["socso"] == {"employer": "36.90", "employee": "0.00"}
    assert sixty["eis"] == {"employer": "0.00", "employee": "0.00"}
    late = q(
        "3000",
        (2025, 1),
        date_of_birth=date(1968, 1, 1),
        first_contribution_date=date(2023, 3, 1),  # aged 55
    )
    assert late["category"] == 2
    early = q(
        "3000",
        (2025, 1),
        date_of_birth=date(1968, 1, 1),
        first_contribution_date=date(2022, 12, 31),
    )
    assert early["category"] == 1


def test_foreign_workers_by_month() -> None:
    dob = date(1990, 1, 1)
    before = q("3000", (2024, 6), date_of_birth=dob, residency="foreign")
    assert before["category"] == 2
    assert before["socso"] == {"employer": "36.90", "employee": "0.00"}
    assert before["eis"]["employer"] == "0.00"
    after = q("3000", (2024, 7), date_of_birth=dob, residency="foreign")
    assert after["category"] == 1
    assert after["socso"] == {"employer": "51.65", "employee": "14.75"}
    assert after["eis"] == {"employer": "0.00", "employee": "0.00"}
    none = q("3000", (2018, 12), date_of_birth=dob, residency="foreign")
    assert none["category"] is None
    assert none["socso"] == {"employer": "0.00", "employee": "0.00"}


@pytest.mark.parametrize(
    ("born", "covered"),
    [
        (date(2007, 2, 1), False),  # 17 at 2025-01-01
        (date(2007, 1, 1), True),  # 18
        (date(1965, 2, 1), True),  # 59
        (date(1965, 1, 1), False),  # 60
    ],
)
def test_eis_ages(born: date, covered: bool) -> None:
    eis = q("3000", (2025, 1), date_of_birth=born)["eis"]
    assert (eis["employee"] != "0.00") is covered


def test_eis_first_contribution_at_57() -> None:
    facts = {"date_of_birth": date(1967, 6, 1)}
    at57 = q("3000", (2025, 1), first_contribution_date=date(2024, 6, 1), **facts)
    assert at57["eis"]["employee"] == "0.00"
    assert at57["category"] == 2  # also first contribution at 55+
    at56 = q("3000", (2025, 1), first_contribution_date=date(2024, 5, 31), **facts)
    assert at56["eis"]["employee"] == "5.90"


def test_eis_not_before_2018() -> None:
    assert q("3000", (2017, 12), date_of_birth=date(1990, 1, 1))["eis"]["employee"] == "0.00"
    assert q("3000", (2018, 1), date_of_birth=date(1990, 1, 1))["eis"]["employee"] == "5.90"


def test_domestic_workers() -> None:
    dob = date(1990, 1, 1)
    local_early = q("2000", (2021, 5), date_of_birth=dob, worker_type="domestic")
    assert local_early["socso"]["employer"] == "0.00" and local_early["category"] is None
    local = q("2000", (2021, 6), date_of_birth=dob, worker_type="domestic")
    assert local["category"] == 1
    assert local["eis"]["employee"] == "3.90"
    foreign = q("2000", (2021, 6), date_of_birth=dob, worker_type="domestic", residency="foreign")
    assert foreign["category"] == 2
    assert foreign["socso"] == {"employer": "24.40", "employee": "0.00"}
    assert foreign["eis"]["employee"] == "0.00"
    foreign_later = q(
        "2000", (2024, 7), date_of_birth=dob, worker_type="domestic", residency="foreign"
    )
    assert foreign_later["socso"] == {"employer": "34.15", "employee": "9.75"}
    assert foreign_later["eis"]["employee"] == "0.00"


def test_skbbk_starts_june_2026() -> None:
    assert q("1700", (2026, 5), 1)["skbbk"]["employee"] == "0.00"
    june = q("1700", (2026, 6), 1)
    assert june["skbbk"]["employee"] == "12.35"
    assert any("unconfirmed" in rule for rule in june["rules"])
    assert q("9000", (2026, 6), 1)["skbbk"]["employee"] == "44.65"


def test_rules_are_sentences() -> None:
    rules = q("2950", (2025, 1), date_of_birth=date(1990, 1, 1))["rules"]
    assert rules and all(r[0].isupper() and r.endswith(".") for r in rules)


# ---- HTTP ----


def test_quote_endpoint(client) -> None:  # type: ignore[no-untyped-def]
    res = client.get(
        "/api/v1/rates/quote", params={"wage": "RM2,000", "month": "2025-01", "category": "1"}
    )
    assert res.status_code == 200
    body = res.json()
    assert body["month"] == "2025-01" and body["wage"] == "2000.00" and body["category"] == 1
    assert body["band"] == {"from": "1900.01", "to": "2000.00"}
    assert body["socso"] == {"employer": "34.15", "employee": "9.75"}
    assert body["eis"] == {"employer": "3.90", "employee": "3.90"}
    assert body["skbbk"] == {"employee": "0.00"}
    res = client.get(
        "/api/v1/rates/quote",
        params={
            "wage": "2950",
            "month": "2025-01",
            "date_of_birth": "1990-05-31",
            "residency": "local",
            "worker_type": "regular",
        },
    )
    assert res.status_code == 200 and res.json()["category"] == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"wage": "abc", "month": "2025-01", "category": "1"}, "wage"),
        ({"wage": "-1", "month": "2025-01", "category": "1"}, "wage"),
        ({"wage": "10.555", "month": "2025-01", "category": "1"}, "wage"),
        ({"month": "2025-01", "category": "1"}, "wage"),
        ({"wage": "2000", "month": "2025-13", "category": "1"}, "month"),
        ({"wage": "2000", "month": "Jan 2025", "category": "1"}, "month"),
        ({"wage": "2000", "month": "2015-01", "category": "1"}, "month"),
        ({"wage": "2000", "month": "2025-01", "category": "3"}, "category"),
        ({"wage": "2000", "month": "2025-01"}, "category"),
        ({"wage": "2000", "month": "2025-01", "date_of_birth": "1990-02-30"}, "date_of_birth"),
        (
            {"wage": "2000", "month": "2025-01", "date_of_birth": "1990-01-01", "residency": "x"},
            "residency",
        ),
    ],
)
def test_quote_endpoint_422(client, params: dict[str, str], field: str) -> None:  # type: ignore[no-untyped-def]
    res = client.get("/api/v1/rates/quote", params=params)
    assert res.status_code == 422
    detail = res.json()["detail"]
    assert detail["message"].startswith(f"{field}:")
    assert detail["code"]


def test_wage_message_names_example(client) -> None:  # type: ignore[no-untyped-def]
    res = client.get(
        "/api/v1/rates/quote", params={"wage": "lots", "month": "2025-01", "category": "1"}
    )
    assert res.json()["detail"]["message"] == (
        "wage: must be a number of ringgit with at most two decimals, e.g. 2950.00"
    )


def test_healthz(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/healthz").json() == {"status": "ok"}
