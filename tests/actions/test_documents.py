"""QRG 4: documents checklist, forms, upload link, submission and status (backend mocked)."""

from bot.actions.documents import (
    ActionRegistrationStatus,
    ActionStartDocuments,
    ActionStartSubmission,
    ActionSubmitRegistration,
    ValidateSupportingDocumentsForm,
    missing_text,
)
from tests.actions.conftest import Unreachable, error, make_tracker, responses, run, slot_values

BASE = "/api/v1/registrations/7"
DRAFT = {"id": 7, "reference": "CRN1", "status": "draft", "employer_name": "Maju Jaya"}


def routes(fake, **extra):
    fake.routes[f"GET {BASE}"] = (200, DRAFT)
    fake.routes[f"GET {BASE}/documents"] = (
        200,
        {
            "checklist": [
                {
                    "doc_type": "ssm_extract",
                    "mandatory": True,
                    "name_en": "SSM company extract",
                    "name_ms": "Ekstrak syarikat SSM",
                    "uploaded": 1,
                },
                {
                    "doc_type": "borang_sip_1",
                    "mandatory": True,
                    "name_en": "Borang SIP 1",
                    "name_ms": "Borang SIP 1",
                    "uploaded": 0,
                },
            ],
            "documents": [],
        },
    )
    fake.routes[f"GET {BASE}/forms"] = (
        200,
        {
            "forms": [
                {
                    "kind": "borang_sip_1",
                    "title": "Borang SIP 1",
                    "title_ms": "Borang SIP 1",
                    "url": "http://x/files/registration-pdf/1?t=a",
                }
            ]
        },
    )
    fake.routes[f"POST {BASE}/upload-link"] = (
        200,
        {"url": "http://x/upload/tok", "expires_in_seconds": 86400},
    )
    fake.routes.update(extra)


async def test_checklist_forms_and_upload_link(domain, fake_backend):
    routes(fake_backend)
    tracker = make_tracker(slots={"registration_id": 7})
    events, messages = await run(ActionStartDocuments(), tracker, domain)
    assert responses(messages) == [
        "utter_documents_checklist",
        "utter_documents_form",
        "utter_documents_upload_link",
    ]
    assert "✅ SSM company extract" in messages[0]["checklist"]
    assert "⬜ Borang SIP 1" in messages[0]["checklist"]
    assert messages[1]["custom"]["document"]["url"].endswith("?t=a")
    assert messages[2]["custom"]["link"]["url"] == "http://x/upload/tok"
    assert messages[2]["hours"] == 24
    assert slot_values(events)["documents_ready"] is True


async def test_documents_when_already_submitted(domain, fake_backend):
    fake_backend.routes[f"GET {BASE}"] = (
        200,
        {**DRAFT, "status": "submitted", "employer_code": "E1400000007K"},
    )
    events, messages = await run(
        ActionStartDocuments(), make_tracker(slots={"registration_id": 7}), domain
    )
    assert responses(messages) == ["utter_registration_status_submitted"]
    assert slot_values(events)["documents_ready"] is False


async def test_documents_need_a_login(domain, fake_backend):
    fake_backend.routes["GET /api/v1/registrations"] = (401, error("not_logged_in"))
    events, messages = await run(ActionStartDocuments(), make_tracker(), domain)
    assert responses(messages) == ["utter_registration_login_first"]
    assert slot_values(events)["documents_ready"] is False


async def test_start_submission(domain, fake_backend):
    fake_backend.routes[f"GET {BASE}"] = (200, DRAFT)
    events, messages = await run(
        ActionStartSubmission(), make_tracker(slots={"registration_id": 7}), domain
    )
    assert messages == [] and slot_values(events)["documents_ready"] is True


async def test_confirm_slot(domain):
    form = ValidateSupportingDocumentsForm()
    tracker = make_tracker(
        active_loop="supporting_documents_form",
        requested_slot="documents_submit_confirm",
        slot_events={"documents_submit_confirm": "yes"},
    )
    events, _ = await run(form, tracker, domain)
    assert slot_values(events)["documents_submit_confirm"] == "yes"


async def test_submit_success_gives_code_and_letters(domain, fake_backend):
    fake_backend.routes[f"POST {BASE}/submit"] = (
        200,
        {
            "status": "submitted",
            "reference": "CRN1",
            "employer_code": "E1400000007K",
            "employer_name": "Maju Jaya",
            "letters": [
                {
                    "kind": "success",
                    "title": "Successful Registration",
                    "title_ms": "Pendaftaran Berjaya",
                    "url": "http://x/l",
                }
            ],
        },
    )
    tracker = make_tracker(
        slots={"registration_id": 7, "documents_submit_confirm": "yes", "language": "ms"}
    )
    events, messages = await run(ActionSubmitRegistration(), tracker, domain)
    assert responses(messages) == ["utter_registration_submitted", "utter_documents_form"]
    assert messages[0]["employer_code"] == "E1400000007K"
    assert messages[1]["title"] == "Pendaftaran Berjaya"
    assert slot_values(events)["documents_submit_confirm"] is None


async def test_submit_incomplete_says_what_is_missing(domain, fake_backend):
    fake_backend.routes[f"POST {BASE}/submit"] = (
        422,
        error(
            "incomplete",
            missing_fields=["phone"],
            missing_documents=["borang_sip_1"],
            needs_employee=True,
        ),
    )
    tracker = make_tracker(slots={"registration_id": 7, "documents_submit_confirm": "yes"})
    _, messages = await run(ActionSubmitRegistration(), tracker, domain)
    assert responses(messages) == ["utter_registration_incomplete_submit"]
    assert "- phone" in messages[0]["missing"] and "at least one employee" in messages[0]["missing"]


async def test_submit_not_now_and_backend_down(domain, fake_backend):
    tracker = make_tracker(slots={"registration_id": 7, "documents_submit_confirm": "no"})
    _, messages = await run(ActionSubmitRegistration(), tracker, domain)
    assert responses(messages) == ["utter_documents_later"]
    assert fake_backend.requests == []
    fake_backend.routes[f"POST {BASE}/submit"] = Unreachable()
    tracker = make_tracker(slots={"registration_id": 7, "documents_submit_confirm": "yes"})
    _, messages = await run(ActionSubmitRegistration(), tracker, domain)
    assert responses(messages) == ["utter_service_unavailable_general"]


async def test_status(domain, fake_backend):
    fake_backend.routes[f"GET {BASE}"] = (
        200,
        {**DRAFT, "missing_fields": [], "missing_documents": [], "employees_count": 0},
    )
    _, messages = await run(
        ActionRegistrationStatus(), make_tracker(slots={"registration_id": 7}), domain
    )
    assert responses(messages) == ["utter_registration_status_draft"]
    fake_backend.routes[f"GET {BASE}"] = (
        200,
        {**DRAFT, "missing_fields": [], "missing_documents": [], "employees_count": 2},
    )
    _, messages = await run(
        ActionRegistrationStatus(), make_tracker(slots={"registration_id": 7}), domain
    )
    assert responses(messages) == ["utter_registration_status_ready"]


def test_missing_text_in_malay():
    text = missing_text({"missing_fields": ["postcode"], "needs_employee": True}, "ms")
    assert "- poskod" in text and "sekurang-kurangnya seorang pekerja" in text


def test_a_generated_form_is_ticked_only_once_uploaded():
    from bot.actions.documents import checklist_text

    text = checklist_text(
        [
            {"doc_type": "borang_1", "name_en": "Borang 1", "mandatory": True,
             "generated": "borang_1", "uploaded": 0},
            {"doc_type": "borang_2", "name_en": "Borang 2", "mandatory": True,
             "generated": "borang_2", "uploaded": 1},
        ],
        "en",
    )  # fmt: skip
    assert text.splitlines() == ["⬜ Borang 1 — form below", "✅ Borang 2"]


async def test_the_uploaded_listing_names_each_file_with_its_description_and_remarks(
    domain, fake_backend
):
    routes(fake_backend)
    checklist = fake_backend.routes[f"GET {BASE}/documents"][1]["checklist"]
    fake_backend.routes[f"GET {BASE}/documents"] = (
        200,
        {
            "checklist": checklist,
            "documents": [
                {
                    "doc_type": "ssm_extract",
                    "filename": "extract.pdf",
                    "description": "Company extract 2026",
                    "remarks": "certified copy",
                },
                {
                    "doc_type": "foreign_worker_passport",
                    "filename": "photo-7.jpg",
                    "description": None,
                    "remarks": "passport",
                },
            ],
        },
    )
    tracker = make_tracker(slots={"registration_id": 7, "language": "ms"})
    _, messages = await run(ActionStartDocuments(), tracker, domain)
    assert responses(messages)[:2] == ["utter_documents_checklist", "utter_documents_uploaded"]
    assert messages[1]["count"] == 2
    lines = messages[1]["documents"].split("\n")
    assert lines[0].startswith("1. extract.pdf — ")
    assert lines[0].endswith("Company extract 2026 — certified copy")
    assert lines[1].startswith("2. photo-7.jpg — Halaman pasport") and lines[1].endswith("passport")
