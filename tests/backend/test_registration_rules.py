"""Pure registration rules: SSM numbers, postcodes, phones, IDs, employer codes, coverage."""

from __future__ import annotations

from datetime import date

import pytest

from backend.domain import registration as rules
from backend.domain.rates import WorkerFacts, coverage

TODAY = date(2026, 1, 5)
COMPANY = ("01", "02")


@pytest.mark.parametrize(
    ("entity", "number", "tt"),
    [
        ("sdn_bhd", "201901012345", "01"),
        ("sdn_bhd", "2019 02 012345", "02"),
        ("berhad", "1965-01-000123", "01"),
        ("sole_proprietorship", "202003123456", "03"),
        ("partnership", "202003123457", "03"),
        ("llp", "202004000111", "04"),
        ("llp", "202005000111", "05"),
        ("llp", "202006000111", "06"),
    ],
)
def test_ssm_number_type_matches_entity(entity: str, number: str, tt: str) -> None:
    parsed = rules.parse_registration_number(entity, None, number, TODAY)
    assert parsed.format == "ssm" and parsed.entity_type == tt and len(parsed.number) == 12


@pytest.mark.parametrize(
    ("entity", "sub", "number"),
    [
        ("sdn_bhd", None, "202003123456"),  # a business number for a company
        ("sole_proprietorship", None, "201901012345"),  # a company number for a business
        ("llp", None, "201901012345"),
        ("sdn_bhd", "local_company", "201902012345"),  # foreign company under "local"
        ("llp", "professional_llp", "202004000111"),
    ],
)
def test_ssm_number_type_mismatch(entity: str, sub: str | None, number: str) -> None:
    with pytest.raises(rules.RegistrationError) as err:
        rules.parse_registration_number(entity, sub, number, TODAY)
    assert err.value.code == "ssm_type_mismatch"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("179901012345", "ssm_year"),
        ("202701012345", "ssm_year"),
        ("201907012345", "ssm_type"),
        ("201900012345", "ssm_type"),
        ("201901000000", "ssm_serial"),
        ("20190101234", "ssm_format"),
        ("ABCDEFGHIJKL", "ssm_format"),
    ],
)
def test_ssm_number_bad(number: str, code: str) -> None:
    with pytest.raises(rules.RegistrationError) as err:
        rules.parse_ssm_number(number, COMPANY, TODAY, "company")
    assert err.value.code == code


def test_ssm_year_bounds() -> None:
    assert rules.parse_ssm_number("180001000001", COMPANY, TODAY).year == 1800
    assert rules.parse_ssm_number("202601000001", COMPANY, TODAY).year == 2026


@pytest.mark.parametrize(
    ("entity", "text", "expected"),
    [
        ("sdn_bhd", "1312525-A", "1312525-A"),
        ("berhad", "1312525a", "1312525-A"),
        ("sole_proprietorship", "SA0123456-A", "SA0123456-A"),
        ("partnership", "001234567-K", "001234567-K"),
        ("llp", "LLP0012345-LGN", "LLP0012345-LGN"),
    ],
)
def test_old_format_accepted_beside_new(entity: str, text: str, expected: str) -> None:
    parsed = rules.parse_registration_number(entity, None, text, TODAY)
    assert parsed.format == "old" and parsed.number == expected


def test_old_company_format_not_for_business() -> None:
    with pytest.raises(rules.RegistrationError):
        rules.parse_registration_number("sole_proprietorship", None, "1312525-A", TODAY)


def test_free_numbers_for_societies_and_sabah_sarawak_licences() -> None:
    assert rules.parse_registration_number("society", "ros", "PPM-001-14-01012020", TODAY)
    sub = "local_authority_licence"
    assert rules.parse_registration_number("sole_proprietorship", sub, "KK/123/2020", TODAY)
    with pytest.raises(rules.RegistrationError):
        rules.parse_registration_number("society", "ros", "no digits", TODAY)


@pytest.mark.parametrize(
    ("postcode", "state"),
    [
        ("01000", "perlis"),
        ("05000", "kedah"),
        ("10400", "pulau_pinang"),
        ("15150", "kelantan"),
        ("20200", "terengganu"),
        ("25000", "pahang"),
        ("39000", "pahang"),
        ("30000", "perak"),
        ("40000", "selangor"),
        ("47300", "selangor"),
        ("50450", "kuala_lumpur"),
        ("62100", "putrajaya"),
        ("63000", "selangor"),
        ("70100", "negeri_sembilan"),
        ("75300", "melaka"),
        ("80000", "johor"),
        ("87000", "labuan"),
        ("88000", "sabah"),
        ("93000", "sarawak"),
    ],
)
def test_postcode_to_state(postcode: str, state: str) -> None:
    assert rules.state_for_postcode(postcode) == state
    assert rules.check_postcode_state(postcode, state) == state


def test_postcode_state_mismatch_and_bad_postcodes() -> None:
    with pytest.raises(rules.RegistrationError) as err:
        rules.check_postcode_state("50450", "selangor")
    assert err.value.code == "postcode_state_mismatch"
    assert "Kuala Lumpur" in err.value.message
    for bad, code in (("5045", "postcode_format"), ("00100", "postcode_unknown")):
        with pytest.raises(rules.RegistrationError) as err:
            rules.state_for_postcode(bad)
        assert err.value.code == code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03-2345 6789", "+60323456789"),
        ("04-234 5678", "+6042345678"),
        ("07-123 4567", "+6071234567"),
        ("09-765 4321", "+6097654321"),
        ("082-234 567", "+6082234567"),
        ("088-123456", "+6088123456"),
        ("012-345 6789", "+60123456789"),
        ("011-2345 6789", "+601123456789"),
        ("+60 3 2345 6789", "+60323456789"),
    ],
)
def test_phone_mobile_and_landline(text: str, expected: str) -> None:
    assert rules.normalise_phone(text) == expected


@pytest.mark.parametrize("text", ["03-234 567", "12345", "080-123 456", "02-2345 6789"])
def test_phone_bad(text: str) -> None:
    with pytest.raises(rules.RegistrationError):
        rules.normalise_phone(text)


def test_person_id_shapes() -> None:
    assert rules.normalise_person_id("old_ic", "a 1234567") == "A1234567"
    assert rules.normalise_person_id("army", "T123456") == "T123456"
    assert rules.normalise_person_id("police", "RF12345") == "RF12345"
    assert rules.normalise_person_id("passport", "a12345678") == "A12345678"
    for id_type, bad in (("old_ic", "12345678"), ("police", "123456"), ("passport", "ABCDEF")):
        with pytest.raises(rules.RegistrationError):
            rules.normalise_person_id(id_type, bad)


def test_reference_shape() -> None:
    assert rules.reference_for(125762, date(2021, 6, 1)) == "CRN06202100125762"
    assert len(rules.reference_for(1, TODAY)) == 17


def test_employer_code_shape_and_check_letter() -> None:
    code = rules.make_employer_code("E", "selangor", 123)
    assert code[0] == "E" and code[1:11] == "1200000123" and len(code) == 12
    assert rules.is_employer_code_shape(code) and rules.has_valid_check_letter(code)
    # s = 11*5 + (10*1 + 9*2 + 3*1 + 2*2 + 1*3) = 55 + 38 = 93; 93 mod 26 = 15 → "P"
    assert rules.check_letter("E", "1200000123") == "P"


def test_check_letter_catches_single_digit_and_adjacent_swap_errors() -> None:
    digits = "1200000123"
    good = rules.check_letter("E", digits)
    for i in range(10):
        for d in "0123456789":
            if d != digits[i]:
                changed = digits[:i] + d + digits[i + 1 :]
                assert rules.check_letter("E", changed) != good, changed
    for i in range(9):
        if digits[i] != digits[i + 1]:
            swapped = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
            assert rules.check_letter("E", swapped) != good, swapped


def test_user_entered_codes_checked_by_shape_only() -> None:
    # Real PERKESO codes use PERKESO's own (unknown) check: shape is all we validate.
    assert rules.is_employer_code_shape("E1100050233Z")
    assert rules.is_employer_code_shape("a3702171474y")
    assert not rules.is_employer_code_shape("E110005023Z")
    assert not rules.is_employer_code_shape("11100050233Z")


def test_start_date_rules() -> None:
    assert rules.check_start_date(date(2025, 12, 20), TODAY, date(2019, 1, 1)).warnings == []
    late = rules.check_start_date(date(2025, 11, 1), TODAY, None).warnings
    assert late and late[0]["code"] == "late_registration"
    with pytest.raises(rules.RegistrationError) as err:
        rules.check_start_date(date(2026, 1, 6), TODAY, None)
    assert err.value.code == "start_date_future"
    with pytest.raises(rules.RegistrationError) as err:
        rules.check_start_date(date(2018, 12, 31), TODAY, date(2019, 1, 1))
    assert err.value.code == "start_date_before_employer"


def test_passport_period() -> None:
    rules.check_period("passport", date(2022, 1, 1), date(2032, 1, 1), TODAY)
    with pytest.raises(rules.RegistrationError) as err:
        rules.check_period("passport", date(2016, 1, 1), date(2025, 1, 1), TODAY)
    assert err.value.code == "passport_expired"
    with pytest.raises(rules.RegistrationError) as err:
        rules.check_period("passport", date(2025, 1, 1), date(2024, 1, 1), TODAY)
    assert err.value.code == "passport_dates"


@pytest.mark.parametrize(
    ("born", "residency", "worker_type", "start", "category", "eis", "words"),
    [
        (date(1990, 1, 1), "local", "regular", date(2025, 12, 1), 1, True, "EIS applies"),
        (date(1960, 1, 1), "local", "regular", date(2025, 12, 1), 2, False, "60 or older"),
        (date(1969, 6, 1), "local", "regular", date(2025, 12, 1), 2, True, "55 or older"),
        (date(1967, 6, 1), "local", "regular", date(2025, 12, 1), 2, False, "57 or older"),
        (date(1990, 1, 1), "foreign", "regular", date(2025, 12, 1), 1, False, "foreign"),
        (date(1990, 1, 1), "local", "domestic", date(2025, 12, 1), 1, True, "domestic"),
        (date(1990, 1, 1), "foreign", "domestic", date(2025, 12, 1), 1, False, "foreign"),
        (date(2009, 6, 1), "local", "regular", date(2025, 12, 1), 1, False, "under 18"),
    ],
)
def test_employee_coverage(
    born: date,
    residency: str,
    worker_type: str,
    start: date,
    category: int,
    eis: bool,
    words: str,
) -> None:
    result = rules.employee_coverage(born, residency, worker_type, start, TODAY)
    assert (result.category, result.eis) == (category, eis)
    assert words in result.explanation
    assert result.explanation.count(".") == 1 and result.explanation.endswith(".")


def test_rates_coverage_matches_quote_rules() -> None:
    facts = WorkerFacts(date_of_birth=date(1990, 1, 1), residency="foreign")
    result = coverage(facts, date(2024, 3, 1))
    assert result.category == 2 and result.employer_only and not result.eis
    assert any("Foreign workers are not covered by EIS" in r for r in result.rules)


def test_outside_scheme_rule() -> None:
    assert rules.outside_scheme("indonesian", "foreign")
    assert not rules.outside_scheme("malaysian", "foreign")
    assert not rules.outside_scheme("indonesian", "local")


def test_catalogue_data() -> None:
    codes = {row["code"] for row in rules.business_entities()}
    assert codes == {
        "sole_proprietorship",
        "partnership",
        "sdn_bhd",
        "berhad",
        "llp",
        "society",
        "cooperative",
        "domestic_individual",
        "others",
    }
    assert [row["code"] for row in rules.industries()] == list("ABCDEFGHIJKLMNOPQRSTU")
    assert [row["code"] for row in rules.search_industries("restoran")] == ["I"]
    assert rules.search_industries("kilang")[0]["code"] == "C"
    states = {row["code"] for row in rules.states()}
    assert states == {row["state"] for row in rules.offices() if row["kind"] == "state"}
    assert {state for state, _, _ in rules.postcode_ranges()} == states
    for group in ("company", "business", "society", "cooperative", "others", "domestic"):
        assert any(item["mandatory"] for item in rules.checklist(group))


def test_domestic_entity_must_be_individual() -> None:
    with pytest.raises(rules.RegistrationError) as err:
        rules.check_entity_for_type("sdn_bhd", "domestic")
    assert err.value.code == "domestic_employer_must_be_individual"
    assert "individual" in err.value.message
    with pytest.raises(rules.RegistrationError):
        rules.check_entity_for_type("domestic_individual", "employer")
