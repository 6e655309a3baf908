"""The filled 'Borang Permohonan Enrolment Penggunaan Portal ASSIST' (QRG 1) as a PDF.

PERKESO's own form is a download the employer fills and emails to idportal@perkeso.gov.my; this
renders the same six fields, bilingual, so the user gets a copy of what was submitted for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

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


def render_portal_form(data: PortalFormData, path: Path) -> Path:
    """Write the form to ``path`` (folders created) and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    styles = getSampleStyleSheet()
    small = ParagraphStyle("small", parent=styles["Normal"], fontSize=8.5, leading=11)
    normal = ParagraphStyle("cell", parent=styles["Normal"], fontSize=10, leading=13)
    label = ParagraphStyle("label", parent=normal, fontName="Helvetica-Bold")
    centre_bold = ParagraphStyle(
        "hdr", parent=styles["Normal"], fontName="Helvetica-Bold", fontSize=12, alignment=1
    )
    centre = ParagraphStyle("hdr2", parent=styles["Normal"], fontSize=9.5, alignment=1)
    title = ParagraphStyle(
        "title", parent=styles["Title"], fontSize=12.5, leading=16, spaceAfter=2, alignment=1
    )
    subtitle = ParagraphStyle("subtitle", parent=centre, fontName="Helvetica-Oblique")

    def cell(text: str) -> Paragraph:
        return Paragraph(escape(text), normal)

    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title="Borang Permohonan Enrolment Penggunaan Portal ASSIST",
        author="ASSIST Assistant",
        subject=f"Portal ID application {data.reference}",
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
    table = Table(
        [[Paragraph(escape(k), label), cell(v)] for k, v in fields],
        colWidths=[72 * mm, 98 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#EEF2F7")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    meta = Table(
        [
            [Paragraph("<b>No. Rujukan / Reference</b>", normal), cell(data.reference)],
            [Paragraph("<b>Tarikh / Date</b>", normal), cell(when)],
        ],
        colWidths=[72 * mm, 98 * mm],
    )
    meta.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.6, colors.black)]))
    story = [
        Paragraph("PERTUBUHAN KESELAMATAN SOSIAL (PERKESO)", centre_bold),
        Paragraph("Social Security Organisation, Malaysia", centre),
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
