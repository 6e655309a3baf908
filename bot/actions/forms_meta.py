"""Names shared by the action modules: forms, their slots, the intents that interrupt a form."""

from __future__ import annotations

PORTAL_ID_FIELDS = (
    "applicant_name",
    "mykad",
    "email",
    "mobile",
    "company_name",
    "company_role",
)
PORTAL_ID_SLOTS = (*PORTAL_ID_FIELDS, "portal_id_confirm")
LOGIN_SLOTS = ("login_email", "login_code", "terms_accepted")
RATE_SLOTS = ("wage_amount", "quote_month")
EMPLOYER_REG_FIELDS = (
    "reg_business_entity",
    "reg_sub_entity",
    "reg_sub_entity_item",
    "reg_registration_no",
    "reg_employer_name",
    "reg_industry",
    "reg_address",
    "reg_postcode",
    "reg_city",
    "reg_email",
    "reg_phone",
    "reg_induction_office",
)
EMPLOYER_REG_SLOTS = (*EMPLOYER_REG_FIELDS, "employer_registration_confirm")
LOCAL_EMPLOYEE_SLOTS = (
    "emp_id_type",
    "emp_id_no",
    "emp_name",
    "emp_dob",
    "emp_gender",
    "emp_person_confirm",
    "emp_start_date",
    "emp_wage",
)
FOREIGN_EMPLOYEE_FIELDS = (
    "fw_ssfw_no",
    "fw_name",
    "fw_dob",
    "fw_gender",
    "fw_nationality",
    "fw_passport_no",
    "fw_passport_start",
    "fw_passport_end",
    "fw_permit_no",
    "fw_permit_start",
    "fw_permit_end",
    "fw_kin_name",
    "fw_kin_phone",
    "fw_kin_relationship",
    "fw_start_date",
    "fw_wage",
)
FOREIGN_EMPLOYEE_SLOTS = (
    *FOREIGN_EMPLOYEE_FIELDS,
    "fw_person_confirm",
    "fw_documents",
    "fw_confirm",
)
DOMESTIC_REG_FIELDS = (
    "dom_entity",
    "dom_nationality",
    "dom_id_no",
    "dom_employer_name",
    "dom_worker_type",
    "dom_worker_residency",
    "dom_address",
    "dom_postcode",
    "dom_city",
    "dom_email",
    "dom_phone",
    "dom_induction_office",
)
DOMESTIC_REG_SLOTS = (*DOMESTIC_REG_FIELDS, "dom_confirm")

FORM_SLOTS: dict[str, tuple[str, ...]] = {
    "portal_id_form": PORTAL_ID_SLOTS,
    "login_form": LOGIN_SLOTS,
    "rate_quote_form": RATE_SLOTS,
    "employer_registration_form": EMPLOYER_REG_SLOTS,
    "local_employee_form": LOCAL_EMPLOYEE_SLOTS,
    "foreign_employee_form": FOREIGN_EMPLOYEE_SLOTS,
    "domestic_employer_registration_form": DOMESTIC_REG_SLOTS,
    "supporting_documents_form": ("documents_submit_confirm",),
    # issue 4 (the backend draft of a contribution stays, as a saved draft)
    "contribution_form": (
        "contrib_employer_id",
        "act",
        "contrib_month",
        "contrib_type",
        "contrib_event_date",
        "contrib_wage",
        "contrib_confirm",
        "contrib_submit_confirm",
        "contrib_lines",
        "contrib_index",
        "contrib_view",
        "contrib_id",
        "contrib_edit_one",
    ),
    "payment_form": ("pay_selection", "pay_model"),
    "bank_counter_form": ("slip_reference",),
}

# Slots filled from whatever the user types; their answers never switch the language.
FREE_TEXT_SLOTS = frozenset(
    {*PORTAL_ID_FIELDS, "login_email", "login_code", "wage_amount", *EMPLOYER_REG_FIELDS}
    | {"emp_id_no", "emp_name", "emp_dob", "emp_start_date", "emp_wage"}
    | {"contrib_month", "contrib_wage", "contrib_event_date", "slip_reference", "pay_selection"}
    | set(FOREIGN_EMPLOYEE_FIELDS)
    | set(DOMESTIC_REG_FIELDS)
)

# Intents that are not an answer to the form's question.
INTERRUPTING_INTENTS = frozenset(
    {
        "cancel",
        "help",
        "faq",
        "change_language",
        "out_of_scope",
        "greet",
        "goodbye",
        "ask_password",
        "resume",
        "apply_portal_id",
        "login",
        "ask_contribution_rate",
        "register_employer",
        "accept_terms",
        "register_local_employee",
        "list_employees",
        "upload_documents",
        "submit_registration",
        "ask_registration_status",
        "register_foreign_employee",
        "register_domestic_employer",
        "discard_draft",
        "submit_contribution",
        "ask_deadline",
        "ask_late_interest",
        "get_contribution_text_file",
        "pay_online",
        "pay_at_bank",
    }
)

# How the summary and the error messages name each field, per language.
FIELD_LABELS: dict[str, dict[str, str]] = {
    "applicant_name": {"en": "full name", "ms": "Nama penuh"},
    "mykad": {"en": "MyKad number", "ms": "Nombor MyKad"},
    "email": {"en": "email address", "ms": "Alamat e-mel"},
    "mobile": {"en": "mobile number", "ms": "Nombor telefon bimbit"},
    "company_name": {"en": "company name", "ms": "Nama syarikat"},
    "company_role": {"en": "position", "ms": "Jawatan"},
}


def label_vars(field: str) -> dict[str, str]:
    labels = FIELD_LABELS.get(field, {"en": field, "ms": field})
    return {
        "field_label": labels["en"],
        "field_label_ms": labels["ms"],
        "field_label_ms_lower": labels["ms"].lower(),
    }
