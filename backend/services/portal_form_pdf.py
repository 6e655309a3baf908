"""The filled 'Borang Permohonan Enrolment Penggunaan Portal ASSIST' (QRG 1) as a PDF.

PERKESO's own form is a download the employer fills and emails to idportal@perkeso.gov.my; this
renders the same six fields, bilingual, so the user gets a copy of what was submitted for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from backend.domain.identifiers import format_mykad


@dataclass(frozen=True)
class PortalFormData:
    reference: str
    submitted_at: datetime
    full_name: str
    mykad: str
    email: str
    mobile: str
    company_name: str
    company_role: str


def pdf_styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles every generated form and letter uses (one look for all PDFs)."""
    styles = getSampleStyleSheet()
    normal = ParagraphStyle("cell", parent=styles["Normal"], fontSize=10, leading=13)
    centre = ParagraphStyle("hdr2", parent=styles["Normal"], fontSize=9.5, alignment=1)
    return {
        "small": ParagraphStyle("small", parent=styles["Normal"], fontSize=8.5, leading=11),
        "normal": normal,
        "label": ParagraphStyle("label", parent=normal, fontName="Helvetica-Bold"),
        "centre_bold": ParagraphStyle(
            "hdr", parent=styles["Normal"], fontName="Helvetica-Bold", fontSize=12, alignment=1
        ),
        "centre": centre,
        "title": ParagraphStyle(
            "title", parent=styles["Title"], fontSize=12.5, leading=16, spaceAfter=2, alignment=1
        ),
        "subtitle": ParagraphStyle("subtitle", parent=centre, fontName="Helvetica-Oblique"),
    }


def new_document(path: Path, title: str, subject: str) -> SimpleDocTemplate:
    """An A4 document with the house margins; folders are created."""
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


def letterhead(styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    return [
        Paragraph("PERTUBUHAN KESELAMATAN SOSIAL (PERKESO)", styles["centre_bold"]),
        Paragraph("Social Security Organisation, Malaysia", styles["centre"]),
    ]


def field_table(
    rows: list[tuple[str, str]], styles: dict[str, ParagraphStyle], shaded: bool = True
) -> Table:
    """Label/value rows in the bordered two-column table of the forms."""
    table = Table(
        [
            [Paragraph(escape(k), styles["label"]), Paragraph(escape(v), styles["normal"])]
            for k, v in rows
        ],
        colWidths=[72 * mm, 98 * mm],
    )
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]
    if shaded:
        commands.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#EEF2F7")))
    table.setStyle(TableStyle(commands))
    return table


def render_portal_form(data: PortalFormData, path: Path) -> Path:
    """Write the form to ``path`` (folders created) and return it."""
    styles = pdf_styles()
    small, normal = styles["small"], styles["normal"]
    title, subtitle = styles["title"], styles["subtitle"]

    def cell(text: str) -> Paragraph:
        return Paragraph(escape(text), normal)

    doc = new_document(
        path,
        "Borang Permohonan Enrolment Penggunaan Portal ASSIST",
        f"Portal ID application {data.reference}",
    )
    when = data.submitted_at.strftime("%d/%m/%Y %H:%M") + " UTC"
    fields = [
        ("Nama Penuh / Full Name", data.full_name),
        ("No. Kad Pengenalan (MyKad) / MyKad No.", format_mykad(data.mykad)),
        ("E-mel (ID Pengguna) / Email (User ID)", data.email),
        ("No. Telefon Bimbit / Mobile No.", data.mobile),
        ("Nama Syarikat / Company Name", data.company_name),
        ("Jawatan / Position in Company", data.company_role),
    ]
    table = field_table(fields, styles)
    meta = Table(
        [
            [Paragraph("<b>No. Rujukan / Reference</b>", normal), cell(data.reference)],
            [Paragraph("<b>Tarikh / Date</b>", normal), cell(when)],
        ],
        colWidths=[72 * mm, 98 * mm],
    )
    meta.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.6, colors.black)]))
    story = [
        *letterhead(styles),
        Spacer(1, 6 * mm),
        Paragraph("BORANG PERMOHONAN ENROLMENT PENGGUNAAN PORTAL ASSIST", title),
        Paragraph("Application Form for ASSIST Portal User Enrolment", subtitle),
        Spacer(1, 6 * mm),
        meta,
        Spacer(1, 5 * mm),
        Paragraph("<b>Maklumat Pemohon / Applicant Details</b>", normal),
        Spacer(1, 2 * mm),
        table,
        Spacer(1, 6 * mm),
        Paragraph("<b>Akuan / Declaration</b>", normal),
        Spacer(1, 1.5 * mm),
        Paragraph(
            "Saya mengaku bahawa segala maklumat yang diberikan dalam borang ini adalah benar "
            "dan saya diberi kuasa oleh syarikat di atas untuk menggunakan Portal ASSIST bagi "
            "pihaknya.",
            normal,
        ),
        Spacer(1, 1.5 * mm),
        Paragraph(
            "I declare that all information given in this form is true and that I am authorised "
            "by the company above to use the ASSIST Portal on its behalf.",
            normal,
        ),
        Spacer(1, 4 * mm),
        Paragraph(
            "Diakui secara elektronik oleh / Declared electronically by: "
            f"<b>{escape(data.full_name)}</b> &nbsp; pada / on {escape(when)}",
            normal,
        ),
        Spacer(1, 8 * mm),
        Paragraph(
            "ID pengguna ialah alamat e-mel di atas. Kata laluan sementara dihantar ke e-mel "
            "tersebut; sila semak folder spam. / The user ID is the email address above. A "
            "temporary password is sent to that address; please check the spam folder.",
            small,
        ),
        Spacer(1, 2 * mm),
        Paragraph(
            "Disediakan oleh ASSIST Assistant berdasarkan borang PERKESO (dihantar ke "
            "idportal@perkeso.gov.my). / Prepared by ASSIST Assistant from PERKESO's form "
            "(sent to idportal@perkeso.gov.my).",
            small,
        ),
    ]
    doc.build(story)
    return path
