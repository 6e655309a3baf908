"""QRG 4: supporting documents, submission (supporting_documents_form) and the status."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from backend.domain import registration as rules
from bot.actions import backend_client
from bot.actions.form_validation import AnswersOnlyFormValidation
from bot.actions.language import current_language
from bot.actions.registration_lookup import registration_or_reply, reply_if_submitted

logger = logging.getLogger(__name__)

CONFIRM = "documents_submit_confirm"
FIELD_NAMES = {
    "business_entity": ("business entity", "entiti perniagaan"),
    "sub_entity": ("sub-business entity", "sub-entiti perniagaan"),
    "sub_entity_item": ("sub-business entity list", "senarai sub-entiti"),
    "registration_no": ("registration number", "nombor pendaftaran"),
    "employer_name": ("employer name", "nama majikan"),
    "industry_code": ("industry", "industri"),
    "address_line1": ("address", "alamat"),
    "postcode": ("postcode", "poskod"),
    "city": ("city", "bandar"),
    "state": ("state", "negeri"),
    "phone": ("phone", "telefon"),
    "induction_office": ("induction venue", "tempat induksi"),
}


def document_name(doc_type: str, language: str) -> str:
    row = rules.document_types().get(doc_type) or {}
    return row.get("name_ms" if language == "ms" else "name_en") or doc_type


def checklist_text(checklist: list[dict[str, Any]], language: str) -> str:
    lines = []
    for item in checklist:
        name = item.get("name_ms" if language == "ms" else "name_en") or item.get("doc_type")
        # A generated form still has to be printed, signed and uploaded: ticked only once it is.
        mark = "✅" if item.get("uploaded") else "⬜"
        optional = (
            "" if item.get("mandatory") else (" (pilihan)" if language == "ms" else " (optional)")
        )
        if item.get("generated") and not item.get("uploaded"):
            optional += " — borang di bawah" if language == "ms" else " — form below"
        lines.append(f"{mark} {name}{optional}")
    return "\n".join(lines)


def uploaded_text(documents: list[dict[str, Any]], language: str) -> str:
    """The uploaded listing: file, what it is filed as, and its description and remarks."""
    lines = []
    for number, row in enumerate(documents, start=1):
        parts = [
            f"{number}. {row.get('filename') or '-'}",
            document_name(row["doc_type"], language),
        ]
        parts += [text for text in (row.get("description"), row.get("remarks")) if text]
        lines.append(" — ".join(parts))
    return "\n".join(lines)


def missing_text(data: dict[str, Any], language: str) -> str:
    index = 1 if language == "ms" else 0
    parts = [
        FIELD_NAMES.get(field, (field, field))[index] for field in data.get("missing_fields") or []
    ]
    parts += [document_name(doc, language) for doc in data.get("missing_documents") or []]
    if data.get("needs_employee"):
        parts.append(
            "sekurang-kurangnya seorang pekerja" if language == "ms" else "at least one employee"
        )
    return "\n".join(f"- {part}" for part in parts)


_registration_or_reply = registration_or_reply


class ActionStartDocuments(Action):
    """Checklist, the generated forms to print and sign, the upload link; then asks to submit."""

    def name(self) -> str:
        return "action_start_documents"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        not_ready = [SlotSet("documents_ready", False)]
        view = await _registration_or_reply(dispatcher, tracker)
        if not view:
            return not_ready
        language = current_language(tracker)
        ids = [SlotSet("registration_id", view.get("id"))]
        if reply_if_submitted(view, dispatcher):
            return [*not_ready, *ids]
        client = backend_client.backend()
        registration_id = int(view["id"])
        try:
            docs = await client.registration_call(
                tracker.sender_id, "GET", f"/{registration_id}/documents"
            )
            forms = await client.registration_call(
                tracker.sender_id, "GET", f"/{registration_id}/forms"
            )
            link = await client.registration_call(
                tracker.sender_id, "POST", f"/{registration_id}/upload-link"
            )
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return not_ready
        except backend_client.BackendError as error:
            logger.warning("documents refused: %s %s", error.status, error.code)
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return not_ready
        dispatcher.utter_message(
            response="utter_documents_checklist",
            checklist=checklist_text(docs.get("checklist") or [], language),
        )
        uploaded = docs.get("documents") or []
        if uploaded:
            dispatcher.utter_message(
                response="utter_documents_uploaded",
                count=len(uploaded),
                documents=uploaded_text(uploaded, language),
            )
        for form in forms.get("forms") or []:
            title = form.get("title_ms") if language == "ms" else form.get("title")
            title = title or form.get("kind", "")
            dispatcher.utter_message(
                response="utter_documents_form",
                title=title,
                json_message={
                    "document": {"url": form["url"], "filename": f"{form.get('kind', 'form')}.pdf"}
                },
            )
        if link.get("url"):
            dispatcher.utter_message(
                response="utter_documents_upload_link",
                hours=int(link.get("expires_in_seconds", 86400)) // 3600,
                json_message={"link": {"url": link["url"], "title": "ASSIST upload"}},
            )
        return [*ids, SlotSet(CONFIRM, None), SlotSet("documents_ready", True)]


class ActionStartSubmission(Action):
    """'Submit my registration': straight to the 'Proceed for submission?' question."""

    def name(self) -> str:
        return "action_start_submission"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        view = await _registration_or_reply(dispatcher, tracker)
        if not view:
            return [SlotSet("documents_ready", False)]
        if reply_if_submitted(view, dispatcher):
            return [SlotSet("documents_ready", False)]
        return [
            SlotSet("registration_id", view.get("id")),
            SlotSet(CONFIRM, None),
            SlotSet("documents_ready", True),
        ]


class ValidateSupportingDocumentsForm(AnswersOnlyFormValidation):
    def name(self) -> str:
        return "validate_supporting_documents_form"

    async def validate_documents_submit_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {CONFIRM: "yes" if value == "yes" else "no"}


class ActionSubmitRegistration(Action):
    def name(self) -> str:
        return "action_submit_registration"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        done = [SlotSet(CONFIRM, None)]
        if tracker.get_slot(CONFIRM) != "yes":
            dispatcher.utter_message(response="utter_documents_later")
            return done
        registration_id = tracker.get_slot("registration_id")
        if not registration_id:
            dispatcher.utter_message(response="utter_employee_register_employer_first")
            return done
        language = current_language(tracker)
        try:
            result = await backend_client.backend().registration_call(
                tracker.sender_id, "POST", f"/{int(registration_id)}/submit"
            )
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return done
        except backend_client.BackendError as error:
            if error.code == "incomplete":
                dispatcher.utter_message(
                    response="utter_registration_incomplete_submit",
                    missing=missing_text(error.data, language),
                )
            elif error.code == "already_submitted":
                dispatcher.utter_message(
                    response="utter_registration_status_submitted",
                    reference=tracker.get_slot("registration_reference") or "-",
                    employer_code=error.data.get("employer_code") or "-",
                )
            elif error.code == "employer_exists":
                dispatcher.utter_message(
                    response="utter_registration_employer_exists",
                    employer_code=error.data.get("employer_code") or "-",
                )
            elif error.code == "not_logged_in":
                dispatcher.utter_message(response="utter_registration_login_first")
            else:
                logger.warning("submit refused: %s %s", error.status, error.code)
                dispatcher.utter_message(response="utter_service_unavailable_general")
            return done
        dispatcher.utter_message(
            response="utter_registration_submitted",
            employer_name=result.get("employer_name") or "",
            employer_code=result.get("employer_code") or "",
        )
        for letter in result.get("letters") or []:
            title = letter.get("title_ms") if language == "ms" else letter.get("title")
            dispatcher.utter_message(
                response="utter_documents_form",
                title=title or letter.get("kind", ""),
                json_message={
                    "document": {
                        "url": letter["url"],
                        "filename": f"{letter.get('kind', 'letter')}.pdf",
                    }
                },
            )
        return [*done, SlotSet("registration_reference", result.get("reference"))]


class ActionRegistrationStatus(Action):
    def name(self) -> str:
        return "action_registration_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        view = await _registration_or_reply(dispatcher, tracker)
        if not view:
            return []
        if not reply_if_submitted(view, dispatcher):
            data = {
                "missing_fields": view.get("missing_fields"),
                "missing_documents": view.get("missing_documents"),
                "needs_employee": not view.get("employees_count"),
            }
            missing = missing_text(data, current_language(tracker))
            if missing:
                dispatcher.utter_message(
                    response="utter_registration_status_draft",
                    reference=view.get("reference", ""),
                    missing=missing,
                )
            else:
                dispatcher.utter_message(
                    response="utter_registration_status_ready", reference=view.get("reference", "")
                )
        return [SlotSet("registration_id", view.get("id"))]
