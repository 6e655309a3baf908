"""Text-file import and receipt PDF timings: ``.venv/bin/python -m bench.textfile_import``.

- parse + validate a generated 10,000-line ASSIST v2.0 text file (every line's amounts checked
  against the rate tables through an employee lookup), medians of 5 runs;
- render one FPX receipt PDF with reportlab, median of 5 runs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from backend.domain.contributions import EmployeeMonth, employee_shares
from backend.domain.textfile import Record, Worker, generate_text_file, parse_text_file, to_sen
from backend.services.contribution_pdfs import ReceiptData, render_receipt
from bench.common import median

CODE = "E1100050233Z"
MONTH = (2026, 10)


def make_file(lines: int) -> tuple[str, dict[str, Worker]]:
    records, workers = [], {}
    for i in range(lines):
        id_no = f"9001011{i:05d}"
        wage = Decimal(1000 + (i * 37) % 6000) + Decimal("0.50")
        shares = employee_shares(EmployeeMonth(id_no, wage, category=1), MONTH)
        workers[id_no] = Worker(category=1, eis_applies=True)
        records.append(
            Record(
                i + 1, "combined", CODE, "201901000005", id_no, f"Employee Number {i}", MONTH,
                to_sen(wage), to_sen(shares.socso_employer), to_sen(shares.socso_employee),
                to_sen(shares.eis_employer), to_sen(shares.eis_employee),
                to_sen(shares.skbbk_employee),
            )
        )  # fmt: skip
    return generate_text_file(records), workers


def time_parse(text: str, workers: dict[str, Worker], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        result = parse_text_file(text, CODE, date(2026, 11, 26), workers.get)
        out.append(time.perf_counter() - start)
        assert result.ok, result.errors[:3]
    return out


def time_receipt(runs: int) -> list[float]:
    data = ReceiptData(
        receipt_no="R2026111000000001",
        paid_at=datetime(2026, 11, 10, 10, 0),
        employer_name="TAN HARDWARE SDN BHD",
        employer_code=CODE,
        buyer_email="boss@example.com",
        business_model="B2C",
        bank_name="SBI Bank A",
        fpx_txn_id="2611100200001234",
        seller_order_no="PAY2611100000001",
        amount=Decimal("120.45"),
        items=[
            ("ACR261000000011", "2026-10", Decimal("112.65")),
            ("ECR261000000011", "2026-10", Decimal("7.80")),
        ],
    )
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(runs):
            start = time.perf_counter()
            render_receipt(data, Path(tmp) / f"r{n}.pdf")
            out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    text, workers = make_file(args.lines)
    parse = time_parse(text, workers, args.runs)
    pdf = time_receipt(args.runs)
    print(f"text file: {args.lines} lines, {len(text):,} bytes")
    print(f"parse + validate: median {median(parse):.3f} s ({args.runs} runs)")
    print(f"  per line: {median(parse) / args.lines * 1e6:.1f} µs")
    print(f"receipt PDF: median {median(pdf) * 1000:.1f} ms ({args.runs} runs)")


if __name__ == "__main__":
    main()
