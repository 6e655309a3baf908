"""The ASSIST text file: round trip, paddings, line endings, every error with its line; CSV."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from backend.domain.textfile import (
    COMBINED_LEN,
    SINGLE_LEN,
    Record,
    Worker,
    format_combined,
    format_single,
    generate_text_file,
    parse_payroll_csv,
    parse_text_file,
)

CODE = "E1100050233Z"
TODAY = date(2026, 11, 26)


def record(id_no: str = "900101145678", wage: int = 195000, month=(2026, 10), **kw) -> Record:  # type: ignore[no-untyped-def]
    base = dict(
        line=0,
        kind="combined",
        employer_code=CODE,
        mycoid="201901000005",
        id_no=id_no,
        name="Siti Nurhaliza bt Ahmad",
        month=month,
        wage_sen=wage,
        socso_employer_sen=3415,
        socso_employee_sen=975,
        eis_employer_sen=390,
        eis_employee_sen=390,
        skbbk_employee_sen=1465,
    )
    base.update(kw)
    return Record(**base)  # type: ignore[arg-type]


def test_round_trip_v2() -> None:
    records = [record(), record("850315105123", name="Tan Ah Kow", mycoid="")]
    text = generate_text_file(records)
    assert text.count("\r\n") == 2 and text.isascii()
    assert all(len(line) == COMBINED_LEN for line in text.split("\r\n")[:-1])
    assert "SITI NURHALIZA BT AHMAD" in text
    result = parse_text_file(text, CODE, TODAY)
    assert result.ok, result.errors
    assert result.kind == "combined"
    got = result.records[0]
    assert (got.wage_sen, got.socso_employer_sen, got.skbbk_employee_sen) == (195000, 3415, 1465)
    assert (
        got.month == (2026, 10) and got.version == "v2.0" and got.name == "SITI NURHALIZA BT AHMAD"
    )
    assert [r.line for r in result.records] == [1, 2]


def test_field_positions() -> None:
    line = format_combined(record())
    assert line[0:12] == CODE
    assert line[194:200] == "102026"
    assert line[200:214] == "00000000195000"
    assert line[214:220] == "003415" and line[238:244] == "001465"
    assert line[244:] == " " * 34


def test_lf_endings_space_padding_and_v1_filler() -> None:
    line = format_combined(record(month=(2025, 1), skbbk_employee_sen=None), version="v1.0")
    assert line[238:244] == "      "
    spaced = line[:200] + "195000".rjust(14) + " 3415".rjust(6) + line[220:]
    result = parse_text_file(spaced + "\n" + line, CODE, TODAY)
    assert result.ok, result.errors
    assert result.records[0].wage_sen == 195000 and result.records[0].socso_employer_sen == 3415
    assert result.records[1].version == "v1.0"


def test_every_error_with_its_line() -> None:
    good = format_combined(record())
    lines = [
        good,  # 1 ok
        good[:-1],  # 2 wrong length
        "A3702171474Y" + good[12:],  # 3 wrong employer code
        good[:194] + "122026" + good[200:],  # 4 future month
        good[:214] + "009999" + good[220:],  # 5 amount does not match the table
        format_combined(record("111111111111")),  # 6 unknown employee
        good[:200] + "0000000019X000" + good[214:],  # 7 not a number
        good[:194] + "132026" + good[200:],  # 8 bad month
        "",  # 9 blank: skipped
        format_single(record(kind="socso", amount_sen=4390)),  # 10 mixed lengths
    ]
    known = {"900101145678": Worker(category=1, eis_applies=True)}
    result = parse_text_file("\r\n".join(lines) + "\r\n", CODE, TODAY, lookup=known.get)
    codes = {(e.line, e.code) for e in result.errors}
    assert codes == {
        (2, "wrong_length"),
        (3, "wrong_employer_code"),
        (4, "future_month"),
        (5, "amount_mismatch"),
        (6, "unknown_employee"),
        (7, "not_a_number"),
        (8, "invalid_month"),
        (10, "mixed_lengths"),
    }
    assert [r.line for r in result.records] == [1]
    assert "277 characters" in next(e.message for e in result.errors if e.line == 2)


def test_skbbk_mismatch_and_category_two() -> None:
    bad = format_combined(record(skbbk_employee_sen=1))
    result = parse_text_file(bad, CODE, TODAY)
    assert [e.code for e in result.errors] == ["amount_mismatch"]
    cat2 = record(
        wage=300000, socso_employer_sen=3690, socso_employee_sen=0, eis_employer_sen=0,
        eis_employee_sen=0, skbbk_employee_sen=None, month=(2025, 3),
    )  # fmt: skip
    assert parse_text_file(format_combined(cat2, "v1.0"), CODE, TODAY).ok


def test_single_scheme_file() -> None:
    rows = [
        record(kind="socso", amount_sen=4390),
        record(kind="socso", amount_sen=0, status="T", employment_date=None),
        record(kind="socso", amount_sen=4390, status="B", employment_date=date(2026, 10, 3)),
        record(kind="socso", amount_sen=4391),
        record(kind="socso", amount_sen=4390, status="H", employment_date=None),
    ]
    text = "\n".join(format_single(r) for r in rows)
    assert all(len(x) == SINGLE_LEN for x in text.split("\n"))
    result = parse_text_file(text, CODE, TODAY)
    assert result.kind == "socso"
    assert [r.status for r in result.records] == ["", "T", "B"]
    assert result.records[2].employment_date == date(2026, 10, 3)
    assert {(e.line, e.code) for e in result.errors} == {
        (4, "amount_mismatch"),
        (5, "missing_date"),
    }
    eis = parse_text_file(
        format_single(record(kind="eis", amount_sen=780)), CODE, TODAY, single_scheme="eis"
    )
    assert eis.ok and eis.kind == "eis"


def test_empty_and_non_ascii() -> None:
    assert parse_text_file("", CODE, TODAY).errors[0].code == "empty_file"
    line = format_combined(record())
    odd = line[:50] + "É" + line[51:]
    assert parse_text_file(odd, CODE, TODAY).errors[0].code == "not_ascii"


def test_generation_upper_ascii() -> None:
    line = format_combined(record(name="Zoë d'Almeida"))
    assert "ZOE D'ALMEIDA" in line


@pytest.mark.parametrize("sep", [",", ";"])
def test_csv_with_header(sep: str) -> None:
    text = (
        f"Name{sep}IC No{sep}Salary\n"
        f'Siti{sep}900101-14-5678{sep}"1,950.00"\n'
        f"Ali{sep}850315105123{sep}abc\n"
    )
    result = parse_payroll_csv(text)
    assert result.header
    assert [(r.line, r.id_no, r.name, r.wage) for r in result.rows] == [
        (2, "900101145678", "Siti", D("1950.00"))
    ]
    assert [(e.line, e.code) for e in result.errors] == [(3, "invalid_wage")]


def test_csv_without_header() -> None:
    result = parse_payroll_csv(b"900101145678,Siti,1950\r\n850315105123,Ali,0\r\n,X,1\r\n")
    assert not result.header
    assert [r.wage for r in result.rows] == [D("1950.00"), D("0.00")]
    assert [(e.line, e.code) for e in result.errors] == [(3, "missing_id")]


def _xlsx(rows: list[list[object]]) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_payroll() -> None:
    from backend.domain.textfile import parse_payroll_xlsx

    data = _xlsx(
        [
            ["Nama", "No KP", "Gaji"],
            ["Siti", "900101-14-5678", 1950.5],
            ["Ali", 850315105123, 3000],
            ["Bad", "X1", "abc"],
        ]
    )
    result = parse_payroll_xlsx(data)
    assert result.header
    assert [(r.line, r.id_no, r.wage) for r in result.rows] == [
        (2, "900101145678", D("1950.50")),
        (3, "850315105123", D("3000.00")),
    ]
    assert [(e.line, e.code) for e in result.errors] == [(4, "invalid_wage")]
    assert parse_payroll_xlsx(b"not a workbook").errors[0].code == "not_xlsx"


def test_single_file_status_and_date_errors() -> None:
    good = format_single(
        record(kind="socso", amount_sen=4390, status="B", employment_date=date(2026, 10, 3))
    )
    bad_status = good[:222] + "Q"
    bad_date = good[:214] + "31022026" + good[222:]
    blank_name = good[:44] + " " * 150 + good[194:]
    blank_id = good[:32] + " " * 12 + good[44:]
    result = parse_text_file(
        "\n".join([good, bad_status, bad_date, blank_name, blank_id]), CODE, TODAY
    )
    assert [(e.line, e.code) for e in result.errors] == [
        (2, "invalid_status"),
        (3, "invalid_date"),
        (4, "missing_name"),
        (5, "missing_id"),
    ]
    assert len(result.records) == 1
