"""Chat login for the action server (service token): OTP request/verify and terms."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.db import get_db
from backend.deps import Clock, get_app_settings, get_clock, require_service_token
from backend.services import auth as service
from backend.settings import Settings

router = APIRouter(
    prefix="/api/v1/auth", tags=["auth"], dependencies=[Depends(require_service_token)]
)


class OtpRequest(BaseModel):
    sender_id: str = Field(min_length=1, max_length=128)
    email: str
    language: str = "en"


class OtpVerify(BaseModel):
    sender_id: str = Field(min_length=1, max_length=128)
    email: str
    code: str


class TermsIn(BaseModel):
    sender_id: str = Field(min_length=1, max_length=128)


@router.post("/otp")
def request_otp(
    body: OtpRequest,
    db: Annotated[Session, Depends(get_db)],
    settings: Annotated[Settings, Depends(get_app_settings)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> dict[str, Any]:
    return service.request_code(db, body.sender_id, body.email, body.language, settings, clock())


@router.post("/otp/verify")
def verify_otp(
    body: OtpVerify,
    db: Annotated[Session, Depends(get_db)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> dict[str, Any]:
    return service.verify_code(db, body.sender_id, body.email, body.code, clock())


@router.post("/terms")
def accept_terms(
    body: TermsIn,
    db: Annotated[Session, Depends(get_db)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> dict[str, Any]:
    return service.accept_terms(db, body.sender_id, clock())
