"""PDFs of issue 4, drawn with reportlab like the portal form: the FPX payment receipt (QRG 7)
and the ACR/ECR slip taken to a bank counter (QRG 8 layout).

The slip's header is the employer's PERKESO state office with its address, read from the same
data file registration uses for induction venues (``backend/data/registration/offices.json``,
transcribed from PERKESO's office directory; its ``_sources`` line marks the addresses as
unconfirmed). A state with no office there falls back to the head office, and the counter banks
come from ``backend/data/contributions/counter_slip.json``. Neither address is confirmed by the
shared domain reference, so an office without ``"confirmed": true`` is printed with a short
note saying so (see ``backend/data/contributions/README.md``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

SLIP_DATA = Path(__file__).resolve().parents[1] / "data" / "contributions" / "counter_slip.json"
OFFICES: dict[str, str] = {
    "01": "Johor", "02": "Kedah", "03": "Kelantan", "04": "Melaka", "05": "Negeri Sembilan",
    "06": "Pahang", "07": "Pulau Pinang", "08": "Perak", "09": "Perlis", "10": "Selangor",
    "11": "Terengganu", "12": "Sabah", "13": "Sarawak", "14": "Wilayah Persekutuan Kuala Lumpur",
    "15": "Wilayah Persekutuan Labuan", "16": "Wilayah Persekutuan Putrajaya",
}  # fmt: skip


@lru_cache
def slip_data() -> dict[str, Any]:
    """``counter_slip.json``: head office, counter banks, the unconfirmed-address note."""
    return json.loads(SLIP_DATA.read_text(encoding="utf-8"))


def counter_banks(language: str = "en") -> list[str]:
    key = "name_ms" if language == "ms" else "name_en"
    return [bank[key] for bank in slip_data()["counter_banks"]]


def state_office(state_code: str | None) -> dict[str, str] | None:
    """The ``kind: state`` office of the state numbered ``state_code`` in offices.json."""
    from backend.domain import registration

    name = OFFICES.get(state_code or "", "").lower()
    if not name:
        return None
    for state in registration.states():
        names = {state["name_en"].lower(), state["name_ms"].lower()}
        if any(n and (n == name or name.endswith(" " + n)) for n in names):
            found = [o for o in registration.offices(state["code"]) if o.get("kind") == "state"]
            return found[0] if found else None
    return None


def slip_office(state_code: str | None) -> dict[str, Any]:
    """The office printed on the slip: ``name``, ``address`` and whether it is ``confirmed``."""
    office = state_office(state_code)
    if office:
        return {
            "name": office["name"],
            "address": office["address"],
            "confirmed": bool(office.get("confirmed", False)),
        }
    head = slip_data()["head_office"]
    state = OFFICES.get(state_code or "", "")
    name = f"PERKESO Pejabat Negeri {state}" if state else head["name"]
    return {"name": name, "address": head["address"], "confirmed": bool(head.get("confirmed"))}


def office_lines(state_code: str | None) -> list[str]:
    office = slip_office(state_code)
    return [office["name"], office["address"]]


def _rm(value: Decimal) -> str:
    return f"RM{value:,.2f}"


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    normal = ParagraphStyle("n", parent=base["Normal"], fontSize=10, leading=13)
    return {
        "normal": normal,
        "small": ParagraphStyle("s", parent=normal, fontSize=8.5, leading=11),
        "label": ParagraphStyle("l", parent=normal, fontName="Helvetica-Bold"),
        "head": ParagraphStyle(
            "h", parent=normal, fontName="Helvetica-Bold", fontSize=12, alignment=1
        ),
        "centre": ParagraphStyle("c", parent=normal, alignment=1),
        "note": ParagraphStyle(
            "o", parent=normal, fontSize=7.5, leading=9, alignment=1, textColor=colors.grey
        ),
        "title": ParagraphStyle(
            "t", parent=base["Title"], fontSize=13, leading=16, spaceAfter=2, alignment=1
        ),
    }


def _grid(rows: list[tuple[str, str]], st: dict[str, ParagraphStyle]) -> Table:
    table = Table(
        [[Paragraph(escape(k), st["label"]), Paragraph(escape(v), st["normal"])] for k, v in rows],
        colWidths=[70 * mm, 100 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#EEF2F7")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _doc(path: Path, title: str, subject: str) -> SimpleDocTemplate:
    path.parent.mkdir(parents=True, exist_ok=True)
    return SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title,
        author="ASSIST Assistant",
        subject=subject,
    )


@dataclass(frozen=True)
class ReceiptData:
    receipt_no: str
    paid_at: datetime  # Malaysian time
    employer_name: str
    employer_code: str
    buyer_email: str
    business_model: str
    bank_name: str
    fpx_txn_id: str
    seller_order_no: str
    amount: Decimal
    items: list[tuple[str, str, Decimal]] = field(default_factory=list)  # (ref, month, amount)
    late_interest: Decimal = Decimal("0.00")


def render_receipt(data: ReceiptData, path: Path) -> Path:
    st = _styles()
    doc = _doc(path, f"Resit / Receipt {data.receipt_no}", f"FPX payment {data.seller_order_no}")
    items = Table(
        [["ACR / ECR", "Bulan / Month", "Amaun / Amount"]]
        + [[ref, month, _rm(amount)] for ref, month, amount in data.items]
        + [["", "Jumlah / Total", _rm(data.amount)]],
        colWidths=[70 * mm, 50 * mm, 50 * mm],
    )
    items.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("ALIGN", (2, 0), (2, -1), "RIGHT"),
            ]
        )
    )
    story = [
        Paragraph("PERTUBUHAN KESELAMATAN SOSIAL (PERKESO)", st["head"]),
        Paragraph("Social Security Organisation, Malaysia", st["centre"]),
        Spacer(1, 5 * mm),
        Paragraph("RESIT PEMBAYARAN / PAYMENT RECEIPT", st["title"]),
        Spacer(1, 4 * mm),
        _grid(
            [
                ("No. Resit / Receipt No.", data.receipt_no),
                ("Tarikh / Date", data.paid_at.strftime("%d/%m/%Y %I:%M:%S %p")),
                ("Majikan / Employer", data.employer_name),
                ("Kod Majikan / Employer Code", data.employer_code),
                ("Status", "SUCCESSFUL"),
                ("ID Transaksi FPX / FPX Transaction ID", data.fpx_txn_id),
                ("No. Pesanan Penjual / Seller Order No.", data.seller_order_no),
                ("Bank Pembeli / Buyer Bank", data.bank_name),
                (
                    "Model Perniagaan / Business Model",
                    "Personal (B2C)" if data.business_model == "B2C" else "Corporate (B2B1)",
                ),
                ("E-mel / Email", data.buyer_email),
                ("Amaun / Amount", _rm(data.amount)),
                ("Kod / Code", "00"),
            ],
            st,
        ),
        Spacer(1, 5 * mm),
        items,
    ]
    if data.late_interest > 0:
        story += [
            Spacer(1, 5 * mm),
            Paragraph(
                "<b>Notis Faedah Caruman Lewat Bayar (FCLB) / Late-payment interest notice:</b> "
                f"{_rm(data.late_interest)} — 6% setahun bagi setiap hari lewat, minimum RM5.00 / "
                "6% a year for each day late, minimum RM5.00. Amaun dianggarkan; PERKESO akan "
                "menghantar notis rasmi. / Estimated; PERKESO sends the official notice.",
                st["small"],
            ),
        ]
    story += [
        Spacer(1, 6 * mm),
        Paragraph(
            "Resit ini dijana oleh ASSIST Assistant (simulator FPX). / This receipt was generated "
            "by ASSIST Assistant (FPX simulator).",
            st["small"],
        ),
    ]
    doc.build(story)
    return path


@dataclass(frozen=True)
class SlipData:
    reference: str  # ACR… or ECR…
    act: str  # act4 | act800
    state_code: str | None
    employer_name: str
    employer_code: str
    employer_address: str
    contribution_type: str
    medium: str
    period: str  # MM/YYYY
    total_employees: int
    amount: Decimal
    submitted_at: datetime  # Malaysian time
    available_on: date
    remarks: str = ""


def _either(names: list[str], word: str) -> str:
    """['Maybank', 'RHB Bank', 'Public Bank'] → 'Maybank, RHB Bank or Public Bank'."""
    return f"{', '.join(names[:-1])} {word} {names[-1]}" if len(names) > 1 else "".join(names)


def _address_note(state_code: str | None, st: dict[str, ParagraphStyle]) -> list[Paragraph]:
    """Under an unconfirmed office address, one small line saying so (both languages)."""
    if slip_office(state_code)["confirmed"]:
        return []
    note = slip_data()["unconfirmed_address_note"]
    return [Paragraph(escape(f"{note['ms']} / {note['en']}"), st["note"])]


def render_counter_slip(data: SlipData, path: Path) -> Path:
    st = _styles()
    scheme = "SOCSO (Akta 4 / Act 4)" if data.act == "act4" else "SIP / EIS (Akta 800 / Act 800)"
    heading = (
        "ACKNOWLEDGEMENT CONTRIBUTION RECEIVED (ACR)"
        if data.act == "act4"
        else "EMPLOYEE CONTRIBUTION RECEIVED (ECR)"
    )
    doc = _doc(path, f"{data.reference}", f"{heading} {data.period}")
    story = [
        Paragraph("PERTUBUHAN KESELAMATAN SOSIAL (PERKESO)", st["head"]),
        *[Paragraph(escape(line), st["centre"]) for line in office_lines(data.state_code)],
        *_address_note(data.state_code, st),
        Spacer(1, 5 * mm),
        Paragraph(heading, st["title"]),
        Paragraph(f"<b>{escape(data.reference)}</b>", st["title"]),
        Spacer(1, 4 * mm),
        Paragraph("<b>Maklumat Majikan / Employer Details</b>", st["normal"]),
        Spacer(1, 2 * mm),
        _grid(
            [
                ("Nama Majikan / Employer Name", data.employer_name),
                ("Kod Majikan / Employer Code", data.employer_code),
                ("Alamat / Address", data.employer_address or "-"),
            ],
            st,
        ),
        Spacer(1, 4 * mm),
        Paragraph("<b>Maklumat Caruman / Contribution Details</b>", st["normal"]),
        Spacer(1, 2 * mm),
        _grid(
            [
                ("Skim / Scheme", scheme),
                ("Jenis / Type", data.contribution_type),
                ("Medium", data.medium),
                ("Tempoh / Period", data.period),
                ("Jumlah Pekerja / Total Employees", str(data.total_employees)),
                ("Amaun / Amount", _rm(data.amount)),
                ("Tarikh Hantar / Submitted", data.submitted_at.strftime("%d/%m/%Y %I:%M %p")),
            ],
            st,
        ),
        Spacer(1, 4 * mm),
        Paragraph("<b>Maklumat Penerima / Receiver Details</b>", st["normal"]),
        Spacer(1, 2 * mm),
        _grid(
            [
                ("Penerima / Receiver", "PERTUBUHAN KESELAMATAN SOSIAL (PERKESO)"),
                ("No. Rujukan / Reference No.", data.reference),
                ("Amaun / Amount", _rm(data.amount)),
            ],
            st,
        ),
        Spacer(1, 4 * mm),
        Paragraph("<b>Untuk Kegunaan Bank / For Bank Use</b>", st["normal"]),
        Spacer(1, 2 * mm),
        _grid(
            [
                ("Nama Bank / Bank", ""),
                ("Cawangan / Branch", ""),
                ("Tarikh Terima / Date Received", ""),
                ("Tandatangan & Cop / Signature & Stamp", ""),
            ],
            st,
        ),
        Spacer(1, 4 * mm),
        Paragraph("<b>Catatan / Remarks</b>", st["normal"]),
        Paragraph(
            escape(
                f"Bayar di kaunter {_either(counter_banks('ms'), 'atau')}. Nombor ini "
                f"boleh dibayar di kaunter mulai {data.available_on:%d/%m/%Y}. Semak resit "
                f"sebelum meninggalkan bank. / Pay at a {_either(counter_banks('en'), 'or')} "
                f"counter. The number is available at the counter from "
                f"{data.available_on:%d/%m/%Y} (next business day for contributions submitted "
                "before 6.00 PM). Check the receipt before leaving the bank."
            )
            + (f" {escape(data.remarks)}" if data.remarks else ""),
            st["small"],
        ),
    ]
    doc.build(story)
    return path
