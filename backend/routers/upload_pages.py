"""``GET/POST /upload/<token>``: the browser page where an employer uploads documents.

The token (from ``POST /api/v1/registrations/{id}/upload-link``) is the only credential: signed,
bound to one registration and its account, valid 24 hours. Files are checked exactly as the
API checks them (content, 10 MB).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from backend.db import get_db
from backend.deps import Clock, get_app_settings, get_clock
from backend.errors import ApiError
from backend.models import Employer
from backend.routers.pages import _language as page_language
from backend.routers.pages import templates
from backend.services import registration_documents as documents
from backend.services.page_strings import strings
from backend.services.registrations import checklist_status
from backend.services.upload_page_strings import UPLOAD_REASONS_MS, upload_strings
from backend.settings import Settings

router = APIRouter(tags=["pages"], include_in_schema=False)

Db = Annotated[Session, Depends(get_db)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]


def _page(
    request: Request,
    db: Session,
    employer: Employer | None,
    context: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    lang = page_language(request)
    u = upload_strings(lang)
    if employer is None:
        name, ctx = "message.html", {"heading": u["invalid_title"], "message": u["invalid"]}
    else:
        name = "upload.html"
        ctx = {
            "employer": employer,
            "checklist": checklist_status(db, employer),
            "documents": documents.listing(db, employer),
            "closed": employer.status != "draft",
            "action": request.url.path,
            **context,
        }
    response = templates.TemplateResponse(
        request, name, {"lang": lang, "t": strings(lang), "u": u, **ctx}, status_code=status_code
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/upload/{token}", response_class=HTMLResponse)
def upload_page(token: str, request: Request, db: Db, settings: AppSettings) -> HTMLResponse:
    employer = documents.employer_for_token(db, settings, token)
    # ?doc=<type>: the chat's link for one item (a foreign worker's passport pages) opens on it.
    selected = request.query_params.get("doc", "")
    return _page(request, db, employer, {"selected": selected}, 200 if employer else 403)


@router.post("/upload/{token}", response_class=HTMLResponse)
async def upload_submit(
    token: str,
    request: Request,
    db: Db,
    settings: AppSettings,
    clock: Annotated[Clock, Depends(get_clock)],
    doc_type: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    remarks: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    employer = documents.employer_for_token(db, settings, token)
    if employer is None:
        return _page(request, db, None, {}, 403)
    lang = page_language(request)
    u = upload_strings(lang)
    if file is None or not file.filename:
        return _page(request, db, employer, {"error": u["no_file"], "selected": doc_type}, 422)
    data = await file.read(documents.MAX_UPLOAD_BYTES + 1)
    try:
        documents.add(
            db, settings, employer, doc_type, description, remarks, file.filename, data, clock()
        )
    except ApiError as exc:
        db.rollback()
        detail = exc.detail if isinstance(exc.detail, dict) else {}
        message = str(detail.get("message", "upload refused"))
        if lang == "ms":
            message = UPLOAD_REASONS_MS.get(str(detail.get("reason")), message)
        return _page(
            request, db, employer, {"error": message, "selected": doc_type}, exc.status_code
        )
    notice = u["done"].format(name=file.filename)
    return _page(request, db, employer, {"notice": notice, "selected": doc_type})
