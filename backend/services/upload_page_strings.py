"""English and Malay wording of the document upload page (same approach as page_strings)."""

from __future__ import annotations

UPLOAD_STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Upload supporting documents",
        "intro": "Registration {reference} ({name}). Choose the document, then the file.",
        "doc_type": "Document",
        "mandatory": "required",
        "file": "File",
        "file_hint": "PDF, JPEG or PNG, at most 10 MB.",
        "description": "Description (optional)",
        "remarks": "Remarks (optional)",
        "button": "Upload",
        "checklist": "Checklist",
        "document": "Document",
        "required": "Required",
        "status": "Status",
        "yes": "Yes",
        "no": "No",
        "uploaded_n": "Uploaded ({n})",
        "not_uploaded": "Not uploaded yet",
        "uploaded": "Uploaded files",
        "done": "Thank you: {name} was uploaded. You can upload another file or go back to the "
        "chat.",
        "closed": "This registration was submitted; no more files can be added here.",
        "invalid_title": "This upload link does not work",
        "invalid": "The link is not valid or has expired (links last 24 hours). Ask the "
        "assistant in the chat for a new one.",
        "no_file": "Choose a file to upload.",
    },
    "ms": {
        "title": "Muat naik dokumen sokongan",
        "intro": "Pendaftaran {reference} ({name}). Pilih dokumen, kemudian fail.",
        "doc_type": "Dokumen",
        "mandatory": "wajib",
        "file": "Fail",
        "file_hint": "PDF, JPEG atau PNG, maksimum 10 MB.",
        "description": "Keterangan (pilihan)",
        "remarks": "Catatan (pilihan)",
        "button": "Muat naik",
        "checklist": "Senarai semak",
        "document": "Dokumen",
        "required": "Wajib",
        "status": "Status",
        "yes": "Ya",
        "no": "Tidak",
        "uploaded_n": "Dimuat naik ({n})",
        "not_uploaded": "Belum dimuat naik",
        "uploaded": "Fail yang dimuat naik",
        "done": "Terima kasih: {name} telah dimuat naik. Anda boleh memuat naik fail lain atau "
        "kembali ke sembang.",
        "closed": "Pendaftaran ini telah dihantar; tiada fail lagi boleh ditambah di sini.",
        "invalid_title": "Pautan muat naik ini tidak berfungsi",
        "invalid": "Pautan tidak sah atau telah tamat tempoh (pautan sah 24 jam). Minta pautan "
        "baharu daripada pembantu dalam sembang.",
        "no_file": "Pilih fail untuk dimuat naik.",
        "too_large": "Fail melebihi 10 MB.",
    },
}
# Reasons the upload page words itself in Malay (English uses the API message).
UPLOAD_REASONS_MS = {
    "too_large": "Fail ini melebihi had 10 MB.",
    "type_not_allowed": "Hanya fail PDF, JPEG dan PNG diterima (disemak mengikut kandungan).",
    "pdf_broken": "Fail ini kelihatan seperti PDF tetapi tidak boleh dibuka.",
    "pdf_encrypted": "PDF ini dilindungi kata laluan; muat naik salinan tanpa kata laluan.",
    "pdf_empty": "PDF ini tiada halaman.",
    "png_broken": "Imej PNG ini rosak.",
    "jpeg_broken": "Imej JPEG ini rosak.",
    "empty": "Fail ini kosong.",
}


def upload_strings(language: str) -> dict[str, str]:
    return UPLOAD_STRINGS.get(language, UPLOAD_STRINGS["en"])
