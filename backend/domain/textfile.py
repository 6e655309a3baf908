"""The ASSIST bulk contribution text file and CSV payroll sheets (pure, no I/O).

Layouts (``shared/domain/README.md`` §4), positions 1-based inclusive:

Combined SOCSO + EIS, 278 characters — employer code 1–12, MyCoID/SSM 13–32, ID no. 33–44,
name 45–194, month MMYYYY 195–200, wages (sen) 201–214, SOCSO employer 215–220, SOCSO employee
221–226, EIS employer 227–232, EIS employee 233–238, SKBBK employee 239–244 (v2.0; blank filler in
v1.0), filler 245–278.

Older SOCSO-only or EIS-only, 223 characters — employer code 1–12, MyCoID 13–32, ID 33–44, name
45–194, month 195–200, amount (sen, both shares together) 201–214, employment date DDMMYYYY
215–222 (blank when no event), status 223 (B/H/M/S/T, blank when working).

Parsing accepts CRLF or LF, numbers padded with zeros or spaces; it reports every bad line with
its number and reason and never stops at the first. Generation writes v2.0: upper-case ASCII
names, CRLF, amounts in sen right-justified and zero-padded.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache

from backend.domain.contributions import ContributionError, EmployeeMonth, employee_shares
from backend.domain.money import MoneyError, parse_ringgit
from backend.domain.rates import load_tables

COMBINED_LEN = 278
SINGLE_LEN = 223
SINGLE_STATUSES = ("B", "H", "M", "S", "T")
_DIGITS = re.compile(r"^\d+$")


def to_sen(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def from_sen(sen: int) -> Decimal:
    return (Decimal(sen) / 100).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Worker:
    """What the lookup callback knows about an employee (for the amount check)."""

    category: int | None = None
    facts: object | None = None  # rates.WorkerFacts
    eis_applies: bool | None = None
    name: str | None = None


Lookup = Callable[[str], Worker | None]


@dataclass(frozen=True)
class Record:
    """One employee's line; amounts in sen. ``kind`` is combined, socso or eis."""

    line: int
    kind: str
    employer_code: str
    mycoid: str
    id_no: str
    name: str
    month: tuple[int, int]
    wage_sen: int | None = None  # combined only
    socso_employer_sen: int = 0
    socso_employee_sen: int = 0
    eis_employer_sen: int = 0
    eis_employee_sen: int = 0
    skbbk_employee_sen: int | None = None  # None: v1.0 filler
    amount_sen: int | None = None  # 223-character files only
    employment_date: date | None = None
    status: str = ""

    @property
    def version(self) -> str:
        if self.kind != "combined":
            return "single"
        return "v1.0" if self.skbbk_employee_sen is None else "v2.0"


@dataclass(frozen=True)
class LineError:
    line: int
    code: str
    message: str
    values: dict[str, str] | None = None  # for a reply worded in the user's language

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"line": self.line, "code": self.code, "message": self.message}
        if self.values:
            out["values"] = dict(self.values)
        return out


@dataclass
class ParseResult:
    kind: str | None = None
    records: list[Record] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    lines_read: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def split_lines(data: bytes | str) -> list[str]:
    """CRLF or LF; a final line ending is optional."""
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    text = text.removeprefix("\ufeff")
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


class _Bad(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _number(text: str, what: str, required: bool = True) -> int | None:
    value = text.strip().lstrip("0") or ("0" if text.strip() else "")
    if not value:
        if required:
            raise _Bad("missing_number", f"{what} is blank")
        return None
    if not _DIGITS.match(value):
        raise _Bad("not_a_number", f"{what} {text.strip()!r} is not a whole number of sen")
    return int(value)


def _month(text: str, today: date) -> tuple[int, int]:
    if not (_DIGITS.match(text) and len(text) == 6 and 1 <= int(text[:2]) <= 12):
        raise _Bad("invalid_month", f"contribution month {text!r} is not MMYYYY")
    month = (int(text[2:]), int(text[:2]))
    if month > (today.year, today.month):
        raise _Bad("future_month", f"contribution month {text} is in the future")
    if month < (2016, 6):
        raise _Bad("month_out_of_scope", f"contribution month {text} is before June 2016")
    return month


def _ddmmyyyy(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        if not _DIGITS.match(text):
            raise ValueError
        return date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError as exc:
        raise _Bad("invalid_date", f"employment date {text!r} is not DDMMYYYY") from exc


def _parse_line(
    line_no: int, raw: str, kind: str, employer_code: str | None, today: date
) -> Record:
    if not raw.isascii():
        raise _Bad("not_ascii", "the line has characters that are not plain ASCII")
    code = raw[0:12].strip().upper()
    if employer_code is not None and code != employer_code.upper():
        raise _Bad(
            "wrong_employer_code",
            f"employer code {code!r} is not this employer's ({employer_code})",
        )
    id_no = raw[32:44].strip()
    if not id_no:
        raise _Bad("missing_id", "the ID number (positions 33–44) is blank")
    name = raw[44:194].strip()
    if not name:
        raise _Bad("missing_name", "the employee name (positions 45–194) is blank")
    month = _month(raw[194:200], today)
    common = dict(
        line=line_no,
        kind=kind,
        employer_code=code,
        mycoid=raw[12:32].strip(),
        id_no=id_no,
        name=name,
        month=month,
    )
    if kind == "combined":
        return Record(
            **common,  # type: ignore[arg-type]
            wage_sen=_number(raw[200:214], "wages"),
            socso_employer_sen=_number(raw[214:220], "SOCSO employer share") or 0,
            socso_employee_sen=_number(raw[220:226], "SOCSO employee share") or 0,
            eis_employer_sen=_number(raw[226:232], "EIS employer share") or 0,
            eis_employee_sen=_number(raw[232:238], "EIS employee share") or 0,
            skbbk_employee_sen=_number(raw[238:244], "SKBBK employee share", required=False),
        )
    status = raw[222:223].strip().upper()
    if status and status not in SINGLE_STATUSES:
        raise _Bad("invalid_status", f"status {status!r} is not B, H, M, S or T")
    employment_date = _ddmmyyyy(raw[214:222])
    if status in ("B", "H", "M") and employment_date is None:
        raise _Bad("missing_date", f"status {status} needs the employment date (DDMMYYYY)")
    return Record(
        **common,  # type: ignore[arg-type]
        amount_sen=_number(raw[200:214], "contribution amount"),
        employment_date=employment_date,
        status=status,
    )


def _check_combined(record: Record, worker: Worker | None) -> str | None:
    """None when the shares match the table for that wage and month, else the reason."""
    assert record.wage_sen is not None
    wage = from_sen(record.wage_sen)
    given = (
        record.socso_employer_sen,
        record.socso_employee_sen,
        record.eis_employer_sen,
        record.eis_employee_sen,
    )
    candidates: list[tuple[int, ...]] = []
    options = (
        [(worker.category, worker.facts, worker.eis_applies)]
        if worker is not None and (worker.category is not None or worker.facts is not None)
        else [(1, None, True), (1, None, False), (2, None, False), (2, None, True)]
    )
    skbbk_expected: set[int] = set()
    for category, facts, eis in options:
        try:
            shares = employee_shares(
                EmployeeMonth(
                    record.id_no,
                    wage,
                    category=category,
                    facts=facts,  # type: ignore[arg-type]
                    eis_applies=eis,
                ),
                record.month,
            )
        except ContributionError as exc:
            return exc.message
        expected = (
            to_sen(shares.socso_employer),
            to_sen(shares.socso_employee),
            to_sen(shares.eis_employer),
            to_sen(shares.eis_employee),
        )
        candidates.append(expected)
        if expected == given:
            skbbk_expected.add(to_sen(shares.skbbk_employee))
    if not skbbk_expected:
        want = candidates[0]
        return (
            f"the amounts {given} (sen: SOCSO employer, employee, EIS employer, employee) do not "
            f"match the table for wages RM{wage} in {record.month[1]:02d}/{record.month[0]}"
            f" (expected {want})"
        )
    if record.skbbk_employee_sen is not None and record.skbbk_employee_sen not in skbbk_expected:
        return (
            f"the SKBBK share {record.skbbk_employee_sen} sen does not match the table "
            f"({sorted(skbbk_expected)[0]} sen)"
        )
    return None


@lru_cache(maxsize=256)
def _table_totals(month: tuple[int, int], scheme: str) -> frozenset[int]:
    """Every employer+employee total the tables allow for ``scheme`` in ``month`` (sen); cached,
    since a 10,000-line file asks for the same month on every line."""
    from backend.domain.rates import ceiling_for

    tables = load_tables()
    first_day = date(month[0], month[1], 1)
    ceiling = ceiling_for(first_day)
    chosen = (
        ((tables.socso_cat1, tables.skbbk_cat1), (tables.socso_cat2, tables.skbbk_cat2))
        if scheme == "socso"
        else ((tables.eis, None),)
    )
    allowed = {0}
    for table, skbbk in chosen:
        for band in table.bands:
            if band.wage_from <= ceiling:
                allowed.add(to_sen(band.employer + band.employee))
                if scheme == "socso":
                    allowed.add(to_sen(band.employer))  # employer-only Employment Injury
                if skbbk is not None and first_day >= date(2026, 6, 1):
                    # From June 2026 the employee's SKBBK may be counted in the amount too.
                    extra = skbbk.row_for(band.wage_to or band.wage_from).employee
                    allowed.add(to_sen(band.employer + band.employee + extra))
    return frozenset(allowed)


def parse_text_file(
    data: bytes | str,
    employer_code: str | None,
    today: date,
    lookup: Lookup | None = None,
    single_scheme: str = "socso",
) -> ParseResult:
    """Parse and validate every line; ``single_scheme`` says what a 223-character file holds.

    ``lookup(id_no)`` returns the employee's :class:`Worker` or None (→ ``unknown_employee``);
    without it, employees are not checked and amounts are checked against every category.
    """
    result = ParseResult()
    lines = split_lines(data)
    result.lines_read = len(lines)
    kinds = {COMBINED_LEN: "combined", SINGLE_LEN: single_scheme}
    for index, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        if len(raw) not in kinds:
            result.errors.append(
                LineError(
                    index,
                    "wrong_length",
                    f"the line has {len(raw)} characters; a combined SOCSO+EIS record has "
                    f"{COMBINED_LEN} and a SOCSO-only or EIS-only record {SINGLE_LEN}",
                )
            )
            continue
        kind = kinds[len(raw)]
        if result.kind is None:
            result.kind = kind
        elif kind != result.kind:
            result.errors.append(
                LineError(
                    index,
                    "mixed_lengths",
                    f"the line has {len(raw)} characters but the file's first record has "
                    f"{COMBINED_LEN if result.kind == 'combined' else SINGLE_LEN}",
                )
            )
            continue
        try:
            record = _parse_line(index, raw, kind, employer_code, today)
        except _Bad as bad:
            result.errors.append(LineError(index, bad.code, bad.message))
            continue
        worker = None
        if lookup is not None:
            worker = lookup(record.id_no)
            if worker is None:
                result.errors.append(
                    LineError(
                        index,
                        "unknown_employee",
                        f"ID {record.id_no} is not a registered employee of this employer",
                    )
                )
                continue
        if kind == "combined":
            reason = _check_combined(record, worker)
        else:
            allowed = _table_totals(record.month, "socso" if kind == "socso" else "eis")
            reason = (
                None
                if record.amount_sen in allowed
                else f"the amount {record.amount_sen} sen is not a {kind.upper()} table amount "
                f"for {record.month[1]:02d}/{record.month[0]}"
            )
        if reason:
            result.errors.append(LineError(index, "amount_mismatch", reason))
            continue
        result.records.append(record)
    if not lines or all(not line.strip() for line in lines):
        result.errors.append(LineError(0, "empty_file", "the file has no records"))
    return result


# --- generation -----------------------------------------------------------------------------


def ascii_upper(text: str) -> str:
    """'Siti Nurhaliza bt. Ahmad' → 'SITI NURHALIZA BT. AHMAD'; accents dropped, never raises."""
    folded = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii")
    return " ".join(folded.upper().split())


def _num(value: int, width: int) -> str:
    if value < 0 or len(str(value)) > width:
        raise ValueError(f"{value} does not fit in {width} digits")
    return f"{value:0{width}d}"


def format_combined(record: Record, version: str = "v2.0") -> str:
    """One 278-character record (no line ending)."""
    year, mon = record.month
    skbbk = _num(record.skbbk_employee_sen or 0, 6) if version == "v2.0" else " " * 6
    line = (
        record.employer_code.upper().ljust(12)[:12]
        + ascii_upper(record.mycoid).ljust(20)[:20]
        + record.id_no.ljust(12)[:12]
        + ascii_upper(record.name).ljust(150)[:150]
        + f"{mon:02d}{year:04d}"
        + _num(record.wage_sen or 0, 14)
        + _num(record.socso_employer_sen, 6)
        + _num(record.socso_employee_sen, 6)
        + _num(record.eis_employer_sen, 6)
        + _num(record.eis_employee_sen, 6)
        + skbbk
        + " " * 34
    )
    assert len(line) == COMBINED_LEN
    return line


def format_single(record: Record) -> str:
    """One 223-character SOCSO-only or EIS-only record (no line ending)."""
    year, mon = record.month
    when = record.employment_date.strftime("%d%m%Y") if record.employment_date else " " * 8
    line = (
        record.employer_code.upper().ljust(12)[:12]
        + ascii_upper(record.mycoid).ljust(20)[:20]
        + record.id_no.ljust(12)[:12]
        + ascii_upper(record.name).ljust(150)[:150]
        + f"{mon:02d}{year:04d}"
        + _num(record.amount_sen or 0, 14)
        + when
        + (record.status or " ")[:1]
    )
    assert len(line) == SINGLE_LEN
    return line


def generate_text_file(records: list[Record], version: str = "v2.0") -> str:
    """The combined file, CRLF after every record (ASCII only)."""
    return "".join(format_combined(r, version) + "\r\n" for r in records)


# --- CSV payroll sheets ---------------------------------------------------------------------

_ID_HEADERS = ("id", "ic", "mykad", "no", "id no", "id_no", "ic no", "no kp", "ssfw", "passport")
_NAME_HEADERS = ("name", "nama", "employee", "employee name", "pekerja")
_WAGE_HEADERS = ("wage", "wages", "salary", "gaji", "upah", "amount", "pay")


@dataclass(frozen=True)
class PayrollRow:
    line: int
    id_no: str
    name: str
    wage: Decimal


@dataclass
class PayrollResult:
    rows: list[PayrollRow] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    header: bool = False


def _pick(header: list[str], names: tuple[str, ...]) -> int | None:
    for i, cell in enumerate(header):
        key = cell.strip().lower().replace(".", "").replace("_", " ")
        if key in names or any(key.startswith(n + " ") for n in names):
            return i
    return None


def parse_payroll_csv(data: bytes | str) -> PayrollResult:
    """Columns ID, name, wage (in that order, or named by a header row, detected)."""
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    text = text.removeprefix("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    return parse_payroll_rows(list(csv.reader(io.StringIO(text), dialect)))


def _cell_text(value: object) -> str:
    """A spreadsheet cell as text; numbers without float noise (1950.0 → '1950.00')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        number = Decimal(repr(value))
        return str(number.quantize(Decimal("0.01"))) if number % 1 else str(int(number))
    return str(value)


def parse_payroll_xlsx(data: bytes) -> PayrollResult:
    """The first worksheet of an .xlsx payroll sheet, read like the CSV (needs openpyxl)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises several kinds for a file that is not a workbook
        result = PayrollResult()
        result.errors.append(LineError(0, "not_xlsx", "the file is not an Excel .xlsx workbook"))
        return result
    sheet = book.worksheets[0]
    rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return parse_payroll_rows(rows)


def parse_payroll_rows(rows: list[list[str]]) -> PayrollResult:
    """Rows of cells → payroll rows; a first row whose wage is not an amount is the header."""
    result = PayrollResult()
    columns = (0, 1, 2)
    start = 0
    first = next(((i, r) for i, r in enumerate(rows) if any(c.strip() for c in r)), None)
    if first is not None:
        i, row = first
        wage_cell = row[2] if len(row) > 2 else ""
        try:
            parse_ringgit(wage_cell)
        except MoneyError:
            result.header = True
            start = i + 1
            picked = (
                _pick(row, _ID_HEADERS),
                _pick(row, _NAME_HEADERS),
                _pick(row, _WAGE_HEADERS),
            )
            if None not in picked:
                columns = picked  # type: ignore[assignment]
    for index, row in enumerate(rows[start:], start=start + 1):
        if not any(c.strip() for c in row):
            continue
        if len(row) <= max(columns):
            result.errors.append(
                LineError(index, "missing_columns", "a row needs an ID, a name and a wage")
            )
            continue
        id_no = re.sub(r"[\s-]", "", row[columns[0]]).upper()
        name = " ".join(row[columns[1]].split())
        if not id_no:
            result.errors.append(LineError(index, "missing_id", "the ID is blank"))
            continue
        if not name:
            result.errors.append(LineError(index, "missing_name", "the name is blank"))
            continue
        try:
            wage = parse_ringgit(row[columns[2]])
        except MoneyError as exc:
            result.errors.append(LineError(index, "invalid_wage", f"wage: {exc.message}"))
            continue
        result.rows.append(PayrollRow(index, id_no, name, wage))
    if not result.rows and not result.errors:
        result.errors.append(LineError(0, "empty_file", "the sheet has no rows"))
    return result
