"""``POST /api/v1/portal-applications`` (service token): QRG 1 on the user's behalf."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy.orm import Session

from backend.db import get_db
from backend.deps import Clock, get_app_settings, get_clock, require_service_token
from backend.services import portal_applications as service
from backend.settings import Settings

router = APIRouter(
    prefix="/api/v1/portal-applications",
    tags=["portal applications"],
    dependencies=[Depends(require_service_token)],
)


class PortalApplicationIn(BaseModel):
    """Strings as the user typed them: the service validates and normalises each one."""

    sender_id: str | None = None
    full_name: str
    mykad: str
    email: str
    mobile: str
    company_name: str
    company_role: str
    language: str = "en"


@router.post("", status_code=201)
def create_application(
    body: PortalApplicationIn,
    db: Annotated[Session, Depends(get_db)],
    settings: Annotated[Settings, Depends(get_app_settings)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> dict[str, Any]:
    result = service.apply(db, service.ApplicationInput(**body.model_dump()), settings, clock())
    return {
        "id": result.application.id,
        "reference": result.application.reference,
        "form_pdf_url": result.form_pdf_url,
        "email": result.application.email,
        "email_sent": result.email_sent,
    }
