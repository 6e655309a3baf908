"""PDFs of employer registration (QRG 4): the forms to sign and the four letters after submit.

Forms: Borang 1 (employer registration), Borang 2 (employees, with the foreign worker details),
Borang SIP 1 (EIS employer registration), Borang Pendaftaran DS (domestic workers' employer).
Letters: Registration Acknowledgement, Induction, Successful Registration, EIS Rejection.
All use the house style of :mod:`backend.services.portal_form_pdf`; bilingual where PERKESO's
own forms are.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from backend.domain import registration as rules
from backend.domain.identifiers import format_mykad
from backend.domain.money import format_ringgit
from backend.models import Employee, Employer
from backend.services.portal_form_pdf import field_table, letterhead, new_document, pdf_styles

FORM_TITLES = {
    "borang_1": ("BORANG 1 — PENDAFTARAN MAJIKAN", "Form 1 — Employer Registration"),
    "borang_2": (
        "BORANG 2 — PENDAFTARAN PEKERJA / PEKERJA ASING",
        "Form 2 — Employee / Foreign Worker Registration",
    ),
    "borang_sip_1": (
        "BORANG SIP 1 — PENDAFTARAN MAJIKAN SISTEM INSURANS PEKERJAAN",
        "Form SIP 1 — Employment Insurance System Employer Registration",
    ),
    "borang_ds": (
        "BORANG PENDAFTARAN DS — MAJIKAN PEKERJA DOMESTIK",
        "Domestic Worker Registration Form (Employer of Domestic Workers)",
    ),
}
LETTER_TITLES = {
    "acknowledgement": ("SURAT AKUAN PENERIMAAN PENDAFTARAN", "Registration Acknowledgement"),
    "induction": ("SURAT INDUKSI MAJIKAN", "Induction Letter"),
    "success": ("SURAT PENDAFTARAN BERJAYA", "Successful Registration"),
    "eis_rejection": (
        "SURAT PENOLAKAN SISTEM INSURANS PEKERJAAN (SIP)",
        "EIS Rejection Letter",
    ),
}


def _entity_text(employer: Employer) -> str:
    if not employer.business_entity:
        return "-"
    try:
        entity = rules.entity(employer.business_entity)
        parts = [entity["name_en"]]
        if employer.sub_entity:
            sub = rules.sub_entity(employer.business_entity, employer.sub_entity)
            parts.append(sub["name_en"])
            if employer.sub_entity_item:
                item = rules.sub_entity_item(
                    employer.business_entity, employer.sub_entity, employer.sub_entity_item
                )
                if item:
                    parts.append(item["name_en"])
    except rules.RegistrationError:
        return employer.business_entity
    return " / ".join(parts)


def _industry_text(employer: Employer) -> str:
    if not employer.industry_code:
        return "-"
    try:
        row = rules.industry(employer.industry_code)
    except rules.RegistrationError:
        return employer.industry_code
    return f"{row['code']} — {row['name_en']}"


def office_text(employer: Employer) -> str:
    if not employer.induction_office:
        return "-"
    try:
        row = rules.office(employer.induction_office)
    except rules.RegistrationError:
        return employer.induction_office
    return f"{row['name']}, {row['address']}"


def address_text(employer: Employer) -> str:
    parts = [
        employer.address_line1,
        employer.address_line2,
        " ".join(p for p in (employer.postcode, employer.city) if p),
        rules.state_name(employer.state) if employer.state else None,
    ]
    return ", ".join(p for p in parts if p) or "-"


def _id_text(id_type: str | None, number: str | None) -> str:
    if not number:
        return "-"
    return format_mykad(number) if id_type == "mykad" and len(number) == 12 else number


def _employer_rows(employer: Employer) -> list[tuple[str, str]]:
    rows = [
        ("No. Rujukan / Reference", employer.reference),
        ("Nama Majikan / Employer Name", employer.employer_name or "-"),
        ("Entiti Perniagaan / Business Entity", _entity_text(employer)),
    ]
    if employer.registration_type == "domestic":
        rows += [
            ("Warganegara / Nationality", (employer.nationality or "-").title()),
            (
                "No. KP / Pasport Majikan / Employer's IC / Passport No.",
                _id_text(employer.owner_id_type, employer.registration_no),
            ),
            (
                "Jenis Pekerja Domestik / Domestic Worker Type",
                (employer.domestic_worker_type or "-").replace("_", " ").title(),
            ),
        ]
    else:
        rows += [
            ("No. Pendaftaran (SSM) / Registration No.", employer.registration_no or "-"),
            ("Industri (MSIC) / Industry", _industry_text(employer)),
        ]
    rows += [
        ("Alamat / Address", address_text(employer)),
        ("E-mel / Email", employer.email or "-"),
        ("No. Telefon / Phone No.", employer.phone or "-"),
        ("Tempat Induksi / Induction Venue", office_text(employer)),
    ]
    if employer.employer_code:
        rows.insert(1, ("Kod Majikan / Employer Code", employer.employer_code))
    return rows


def _employees_table(employees: Sequence[Employee], styles: dict) -> Table:  # type: ignore[type-arg]
    small = styles["small"]
    header = ["No.", "Nama / Name", "No. ID", "Tarikh Lahir / DOB", "Mula / Start", "Gaji / Wage"]
    data: list[list[Flowable | str]] = [[Paragraph(f"<b>{h}</b>", small) for h in header]]
    for number, emp in enumerate(employees, start=1):
        id_no = _id_text(emp.id_type, emp.id_no)
        if emp.residency == "foreign":
            id_no = f"{id_no} ({emp.nationality or 'foreign'})"
            if emp.permit_no:
                id_no += f"; permit {emp.permit_no}"
        data.append(
            [
                str(number),
                Paragraph(escape(emp.name), small),
                Paragraph(escape(id_no), small),
                emp.date_of_birth.strftime("%d/%m/%Y"),
                emp.start_date.strftime("%d/%m/%Y"),
                f"RM{format_ringgit(emp.monthly_wage)}",
            ]
        )
    table = Table(data, colWidths=[10 * mm, 48 * mm, 42 * mm, 24 * mm, 24 * mm, 22 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF2F7")),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def render_form(
    kind: str, employer: Employer, employees: Sequence[Employee], path: Path, now: datetime
) -> Path:
    """Write one of :data:`FORM_TITLES` pre-filled for signing."""
    styles = pdf_styles()
    title_ms, title_en = FORM_TITLES[kind]
    doc = new_document(path, f"{title_ms} / {title_en}", f"{title_en} {employer.reference}")
    story: list[Flowable] = [
        *letterhead(styles),
        Spacer(1, 6 * mm),
        Paragraph(escape(title_ms), styles["title"]),
        Paragraph(escape(title_en), styles["subtitle"]),
        Spacer(1, 6 * mm),
        Paragraph("<b>Maklumat Majikan / Employer Details</b>", styles["normal"]),
        Spacer(1, 2 * mm),
        field_table(_employer_rows(employer), styles),
    ]
    if kind == "borang_sip_1":
        story += [
            Spacer(1, 4 * mm),
            Paragraph(
                "Majikan ini mendaftar di bawah Akta Sistem Insurans Pekerjaan 2017 (Akta 800). / "
                "This employer registers under the Employment Insurance System Act 2017 "
                "(Act 800).",
                styles["normal"],
            ),
        ]
    if kind in ("borang_2", "borang_ds", "borang_sip_1") and employees:
        story += [
            Spacer(1, 5 * mm),
            Paragraph("<b>Maklumat Pekerja / Employee Details</b>", styles["normal"]),
            Spacer(1, 2 * mm),
            _employees_table(
                [e for e in employees if kind != "borang_sip_1" or e.eis_eligible], styles
            ),
        ]
    story += [
        Spacer(1, 8 * mm),
        Paragraph("<b>Akuan / Declaration</b>", styles["normal"]),
        Spacer(1, 1.5 * mm),
        Paragraph(
            "Saya mengaku bahawa maklumat di atas adalah benar. / I declare that the information "
            "above is true.",
            styles["normal"],
        ),
        Spacer(1, 14 * mm),
        Paragraph(
            "Tandatangan &amp; cop / Signature &amp; stamp: ______________________ &nbsp; "
            "Tarikh / Date: ____________",
            styles["normal"],
        ),
        Spacer(1, 6 * mm),
        Paragraph(
            f"Dijana oleh ASSIST Assistant pada / Generated by ASSIST Assistant on "
            f"{now:%d/%m/%Y %H:%M} UTC. Cetak, tandatangan dan muat naik semula. / Print, sign "
            "and upload it again.",
            styles["small"],
        ),
    ]
    doc.build(story)
    return path


def _letter_body(
    kind: str, employer: Employer, employees: Sequence[Employee]
) -> list[tuple[str, str]]:
    """(Malay, English) paragraphs of each letter."""
    name = employer.employer_name or "-"
    code = employer.employer_code or "-"
    if kind == "acknowledgement":
        return [
            (
                f"Permohonan pendaftaran majikan {name} (rujukan {employer.reference}) telah "
                f"diterima pada {employer.submitted_at:%d/%m/%Y}.",
                f"The employer registration of {name} (reference {employer.reference}) was "
                f"received on {employer.submitted_at:%d/%m/%Y}.",
            ),
            (
                f"Bilangan pekerja yang didaftarkan: {len(employees)}.",
                f"Employees registered: {len(employees)}.",
            ),
        ]
    if kind == "induction":
        return [
            (
                f"Majikan {name} ({code}) dijemput menghadiri sesi induksi majikan di "
                f"{office_text(employer)}. Pejabat akan menghubungi anda untuk tarikh sesi.",
                f"Employer {name} ({code}) is invited to the employer induction session at "
                f"{office_text(employer)}. The office will contact you with the date.",
            ),
            (
                "Sesi ini menerangkan caruman bulanan PERKESO (Akta 4) dan SIP (Akta 800), "
                "tarikh akhir pada 15hb bulan berikutnya, dan faedah caruman lewat (FCLB).",
                "The session explains monthly SOCSO (Act 4) and EIS (Act 800) contributions, "
                "the deadline of the 15th of the following month, and late-payment interest "
                "(FCLB).",
            ),
        ]
    if kind == "success":
        return [
            (
                f"Pendaftaran berjaya. Kod majikan {name} ialah {code}. Gunakan kod ini untuk "
                "semua caruman dan urusan dengan PERKESO.",
                f"Registration is successful. The employer code of {name} is {code}. Use this "
                "code for every contribution and dealing with PERKESO.",
            ),
            (
                "Caruman bagi setiap bulan perlu dibayar selewat-lewatnya pada 15hb bulan "
                "berikutnya.",
                "Each month's contributions are due by the 15th of the following month.",
            ),
        ]
    rejected = [e for e in employees if not e.eis_eligible]
    names = "; ".join(f"{e.name} ({e.coverage_note})" for e in rejected)
    return [
        (
            f"Pekerja berikut di bawah majikan {name} ({code}) tidak dilindungi oleh Sistem "
            f"Insurans Pekerjaan (Akta 800): {names}",
            f"The following employees of {name} ({code}) are not covered by the Employment "
            f"Insurance System (Act 800): {names}",
        ),
        (
            "Caruman PERKESO (Akta 4) masih perlu dibayar bagi mereka mengikut kategori masing-"
            "masing.",
            "SOCSO (Act 4) contributions are still due for them in their category.",
        ),
    ]


def render_letter(
    kind: str, employer: Employer, employees: Sequence[Employee], path: Path, now: datetime
) -> Path:
    """Write one of :data:`LETTER_TITLES` for a submitted registration."""
    styles = pdf_styles()
    title_ms, title_en = LETTER_TITLES[kind]
    doc = new_document(path, f"{title_ms} / {title_en}", f"{title_en} {employer.employer_code}")
    story: list[Flowable] = [
        *letterhead(styles),
        Spacer(1, 6 * mm),
        Paragraph(f"Tarikh / Date: {now:%d/%m/%Y}", styles["normal"]),
        Spacer(1, 3 * mm),
        Paragraph(escape(employer.employer_name or "-"), styles["label"]),
        Paragraph(escape(address_text(employer)), styles["normal"]),
        Spacer(1, 6 * mm),
        Paragraph(escape(title_ms), styles["title"]),
        Paragraph(escape(title_en), styles["subtitle"]),
        Spacer(1, 5 * mm),
        field_table(
            [
                ("Kod Majikan / Employer Code", employer.employer_code or "-"),
                ("Nama Majikan / Employer Name", employer.employer_name or "-"),
                ("No. Rujukan / Reference", employer.reference),
            ],
            styles,
        ),
        Spacer(1, 5 * mm),
    ]
    for malay, english in _letter_body(kind, employer, employees):
        story += [
            Paragraph(escape(malay), styles["normal"]),
            Spacer(1, 1 * mm),
            Paragraph(f"<i>{escape(english)}</i>", styles["normal"]),
            Spacer(1, 4 * mm),
        ]
    story += [
        Spacer(1, 6 * mm),
        Paragraph(
            "Surat ini dijana oleh komputer dan tidak memerlukan tandatangan. / This letter is "
            "computer-generated and needs no signature.",
            styles["small"],
        ),
    ]
    doc.build(story)
    return path
