"""Contributions (QRG 5–6) for the action server: service token + ``sender_id``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.db import get_db
from backend.deps import Clock, get_app_settings, get_clock, require_service_token
from backend.models import Employer
from backend.services import contributions as service
from backend.settings import Settings

router = APIRouter(
    prefix="/api/v1/contributions",
    tags=["contributions"],
    dependencies=[Depends(require_service_token)],
)

Db = Annotated[Session, Depends(get_db)]
Now = Annotated[Clock, Depends(get_clock)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]
SenderQ = Annotated[str, Query(min_length=1, max_length=128)]


class LineIn(BaseModel):
    employee_id: int | None = None
    id_no: str | None = None
    wage: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    status: str = "working"
    event_date: date | None = None


class ContributionIn(BaseModel):
    sender_id: str = Field(min_length=1, max_length=128)
    employer_id: int
    month: str
    type: str = "Monthly"
    act: str = "both"
    lines: list[LineIn] | None = None


class LinesIn(BaseModel):
    sender_id: str = Field(min_length=1, max_length=128)
    lines: list[LineIn]


class SenderIn(BaseModel):
    sender_id: str = Field(min_length=1, max_length=128)


class ImportIn(BaseModel):
    sender_id: str = Field(min_length=1, max_length=128)
    employer_id: int
    format: str = "text"  # text | csv | xlsx (content base64)
    content: str = Field(max_length=5_000_000)
    type: str = "Monthly"
    act: str = "both"
    month: str | None = None
    skip_bad_lines: bool = False


def _lines(items: list[LineIn] | None) -> list[service.LineInput] | None:
    if items is None:
        return None
    return [service.LineInput(**item.model_dump()) for item in items]


def _full(db: Session, row: Any, settings: Settings) -> dict[str, Any]:
    out = service.view(row, db.get(Employer, row.employer_id))
    if row.status == "submitted":
        out["slips"] = service.slips_view(db, row, settings)
    return out


@router.get("/pending")
def pending(sender_id: SenderQ, employer_id: int, db: Db, clock: Now) -> dict[str, Any]:
    account = service.acting_account(db, sender_id)
    now = clock()
    months = service.pending_months(db, account, employer_id, now.date(), service.config())
    return {"employer_id": employer_id, "pending": months}


@router.get("")
def list_all(
    sender_id: SenderQ,
    employer_id: int,
    db: Db,
    settings: AppSettings,
    status: str | None = None,
    unpaid: bool = False,
) -> dict[str, Any]:
    account = service.acting_account(db, sender_id)
    rows = service.list_contributions(db, account, employer_id, status, unpaid)
    return {"contributions": [_full(db, row, settings) for row in rows]}


@router.post("", status_code=201)
def create(body: ContributionIn, db: Db, clock: Now, settings: AppSettings) -> dict[str, Any]:
    account = service.acting_account(db, body.sender_id)
    row = service.create_draft(
        db,
        account,
        body.employer_id,
        body.month,
        body.type,
        body.act,
        _lines(body.lines),
        clock(),
        body.sender_id,
    )
    return _full(db, row, settings)


@router.post("/import", status_code=201)
def import_file(body: ImportIn, db: Db, clock: Now, settings: AppSettings) -> dict[str, Any]:
    account = service.acting_account(db, body.sender_id)
    row, errors, imported, notes = service.import_file(
        db,
        account,
        body.employer_id,
        body.content,
        body.format,
        body.type,
        body.act,
        body.month,
        body.skip_bad_lines,
        clock(),
        body.sender_id,
    )
    return {
        "contribution": _full(db, row, settings),
        "imported": imported,
        "skipped": len(errors),
        "errors": [e.to_dict() for e in errors],
        "notes": [n.to_dict() for n in notes],
    }


class UploadImportIn(BaseModel):
    sender_id: str = Field(min_length=1, max_length=128)
    skip_bad_lines: bool = True


@router.post("/uploads/{upload_id}/import", status_code=201)
def import_upload(
    upload_id: int, body: UploadImportIn, db: Db, clock: Now, settings: AppSettings
) -> dict[str, Any]:
    """A payroll file the user sent in the chat, imported again (usually skipping bad lines)."""
    from backend.services import contributions_upload

    account = service.acting_account(db, body.sender_id)
    upload = contributions_upload.upload_of(db, account, upload_id)
    out = contributions_upload.run_import(db, account, upload, body.skip_bad_lines, clock())
    row = db.get(service.Contribution, out["contribution"]["id"])
    out["contribution"] = _full(db, row, settings)
    return out


class TextFileLinkIn(BaseModel):
    sender_id: str = Field(min_length=1, max_length=128)
    employer_id: int
    month: str = Field(max_length=20)


@router.post("/textfile-link")
def text_file_link(
    body: TextFileLinkIn, db: Db, clock: Now, settings: AppSettings
) -> dict[str, Any]:
    """The month's v2.0 file as a signed download link for the chat (7 days)."""
    account = service.acting_account(db, body.sender_id)
    return service.textfile_link(
        db, account, body.employer_id, body.month, clock().date(), settings
    )


@router.get("/textfile", response_class=PlainTextResponse)
def text_file_month(
    sender_id: SenderQ, employer_id: int, month: str, db: Db, clock: Now
) -> PlainTextResponse:
    account = service.acting_account(db, sender_id)
    name, text = service.text_file_for_month(db, account, employer_id, month, clock().date())
    return _text_response(name, text)


def _text_response(name: str, text: str) -> PlainTextResponse:
    return PlainTextResponse(
        text,
        media_type="text/plain; charset=us-ascii",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/{contribution_id}")
def get_one(
    contribution_id: int, sender_id: SenderQ, db: Db, settings: AppSettings
) -> dict[str, Any]:
    account = service.acting_account(db, sender_id)
    return _full(db, service.contribution_of(db, account, contribution_id), settings)


@router.delete("/{contribution_id}")
def delete_draft(contribution_id: int, sender_id: SenderQ, db: Db) -> dict[str, Any]:
    """Cancel in the chat: the draft goes; a submitted contribution is refused (409)."""
    account = service.acting_account(db, sender_id)
    return service.delete_draft(db, account, contribution_id)


@router.put("/{contribution_id}/lines")
def replace_lines(
    contribution_id: int, body: LinesIn, db: Db, clock: Now, settings: AppSettings
) -> dict[str, Any]:
    account = service.acting_account(db, body.sender_id)
    row = service.update_draft(db, account, contribution_id, _lines(body.lines) or [], clock())
    return _full(db, row, settings)


@router.post("/{contribution_id}/complete")
def complete(
    contribution_id: int, body: SenderIn, db: Db, clock: Now, settings: AppSettings
) -> dict[str, Any]:
    account = service.acting_account(db, body.sender_id)
    return _full(db, service.complete(db, account, contribution_id, clock()), settings)


@router.post("/{contribution_id}/submit")
def submit(
    contribution_id: int, body: SenderIn, db: Db, clock: Now, settings: AppSettings
) -> dict[str, Any]:
    account = service.acting_account(db, body.sender_id)
    return _full(db, service.submit(db, account, contribution_id, clock()), settings)


@router.get("/{contribution_id}/textfile", response_class=PlainTextResponse)
def text_file(contribution_id: int, sender_id: SenderQ, db: Db) -> PlainTextResponse:
    account = service.acting_account(db, sender_id)
    name, text = service.text_file_for(db, account, contribution_id)
    return _text_response(name, text)


@router.get("/{contribution_id}/slips")
def slips(
    contribution_id: int, sender_id: SenderQ, db: Db, settings: AppSettings
) -> dict[str, Any]:
    account = service.acting_account(db, sender_id)
    row = service.contribution_of(db, account, contribution_id)
    return {"slips": service.slips_view(db, row, settings)}


# --- public: due date and late-payment interest (no login) ----------------------------------

public = APIRouter(prefix="/api/v1/deadlines", tags=["deadlines"])


@public.get("")
def deadline(
    month: str,
    state: str | None = None,
    amount: Annotated[Decimal | None, Query(ge=0, max_digits=14, decimal_places=2)] = None,
    paid_on: date | None = None,
) -> dict[str, Any]:
    """When ``month``'s contribution is due and, given ``amount`` and ``paid_on``, the FCLB."""
    from backend.domain import business_days, deadlines
    from backend.domain.money import format_ringgit
    from backend.errors import ApiError

    try:
        year, mon = (int(p) for p in month.split("-"))
        date(year, mon, 1)
    except ValueError as exc:
        raise ApiError(422, "invalid_month", "month: give it as YYYY-MM, e.g. 2026-10") from exc
    try:
        business_days.state_code(state)
    except business_days.UnknownState as exc:
        raise ApiError(422, "invalid_state", f"state: {exc}") from exc
    cfg = service.config()
    due = deadlines.due_date(
        (year, mon), lambda d: business_days.is_business_day(d, state), cfg.due_date_roll_back
    )
    rules = ["A month's contributions are due by the 15th of the following month."]
    if cfg.due_date_roll_back:
        rules.append(
            "When the 15th is not a working day, the last working day before it applies "
            "(unconfirmed)."
        )
    out: dict[str, Any] = {"month": f"{year:04d}-{mon:02d}", "due_date": due.isoformat()}
    if amount is not None and paid_on is not None:
        result = deadlines.fclb(amount, due, paid_on, cfg.fclb_rules())
        out["fclb"] = {
            "amount": format_ringgit(amount),
            "paid_on": paid_on.isoformat(),
            "days_late": result.days_late,
            "late_months": result.late_months,
            "raw": format_ringgit(result.raw),
            "interest": format_ringgit(result.interest),
        }
        rules.append(
            "Late-payment interest (FCLB) is 6% a year for each day late, at least RM5.00 for each "
            f"month or part-month late; above that it is rounded up to the next "
            f"RM{cfg.fclb_rounding_step:.2f} (rounding unconfirmed)."
        )
    out["rules"] = rules
    # The unconfirmed rounding step, so a caller can say which rule it applied.
    out["fclb_rounding_step"] = format_ringgit(cfg.fclb_rounding_step)
    return out
