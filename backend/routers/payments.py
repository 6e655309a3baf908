"""Payments (QRG 7): the service API for the action server, and the payment pages a payer opens
from the signed link (``/pay/{token}`` → bank simulator → status).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import get_db
from backend.deps import Clock, get_app_settings, get_clock, require_service_token
from backend.domain import payments as domain
from backend.domain.business_days import to_local
from backend.domain.fpx import RESPONSE_CODES, PaymentGateway
from backend.errors import ApiError
from backend.models import Payment, Receipt
from backend.services import contributions, files, payments
from backend.services.page_strings import LANGUAGES, strings
from backend.settings import REPO_ROOT, Settings

router = APIRouter(
    prefix="/api/v1/payments", tags=["payments"], dependencies=[Depends(require_service_token)]
)
pages = APIRouter(tags=["payment pages"], include_in_schema=False)
templates = Jinja2Templates(directory=str(REPO_ROOT / "backend" / "templates"))

Db = Annotated[Session, Depends(get_db)]
Now = Annotated[Clock, Depends(get_clock)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]


def get_gateway(request: Request) -> PaymentGateway:
    """The FPX simulator unless ``app.state.payment_gateway`` holds another gateway."""
    return getattr(request.app.state, "payment_gateway", None) or payments.gateway()


def get_notifier(request: Request) -> payments.Notifier:
    """Tests put a fake on ``app.state.payment_notifier``; otherwise Rasa's trigger_intent."""
    custom = getattr(request.app.state, "payment_notifier", None)
    settings = getattr(request.app.state, "settings", None)
    return custom or payments.RasaNotifier(settings)  # type: ignore[arg-type]


Gateway = Annotated[PaymentGateway, Depends(get_gateway)]
NotifierDep = Annotated[payments.Notifier, Depends(get_notifier)]


class PaymentIn(BaseModel):
    sender_id: str = Field(min_length=1, max_length=128)
    employer_id: int
    references: list[str] = Field(min_length=1, max_length=200)
    business_model: str = "B2C"
    idempotency_key: str = Field(min_length=8, max_length=100)


@router.get("/banks")
def banks(gateway: Gateway, business_model: str = "B2C") -> dict[str, Any]:
    try:
        listed = gateway.bank_list(business_model)
    except domain.PaymentError as exc:
        raise ApiError(422, exc.code, exc.message) from exc
    return {
        "business_model": business_model,
        "banks": [{"code": b.code, "name": b.name, "active": b.active} for b in listed],
    }


@router.post("", status_code=201)
def create(
    body: PaymentIn, response: Response, db: Db, clock: Now, settings: AppSettings
) -> dict[str, Any]:
    account = contributions.acting_account(db, body.sender_id)
    employer = contributions.employer_of(db, account, body.employer_id)
    made, fresh = payments.create(
        db,
        account,
        employer,
        body.references,
        body.business_model,
        body.idempotency_key,
        clock(),
        body.sender_id,
    )
    if not fresh:
        response.status_code = 200
    return {
        "payments": [payments.view(p, settings) for p in made],
        "split": len(made) > 1,
        "replayed": not fresh,
    }


@router.get("/latest")
def latest(
    sender_id: Annotated[str, Query(min_length=1, max_length=128)],
    db: Db,
    settings: AppSettings,
) -> dict[str, Any]:
    """The newest payment made from this chat, with its receipt (declared before ``/{id}``)."""
    account = contributions.acting_account(db, sender_id)
    return _with_receipt(db, payments.latest_for_chat(db, account, sender_id), settings)


def _with_receipt(db: Session, payment: Payment, settings: Settings) -> dict[str, Any]:
    out = payments.view(payment, settings)
    receipt = db.scalar(select(Receipt).where(Receipt.payment_id == payment.id))
    out["receipt"] = payments.receipt_view(receipt, settings) if receipt else None
    out["fclb_notices"] = payments.notices_view(db, payment.id)
    return out


@router.get("/{payment_id}")
def get_one(
    payment_id: int,
    sender_id: Annotated[str, Query(min_length=1, max_length=128)],
    db: Db,
    settings: AppSettings,
) -> dict[str, Any]:
    account = contributions.acting_account(db, sender_id)
    return _with_receipt(db, payments.get_for_account(db, account, payment_id), settings)


# --- pages ---------------------------------------------------------------------------------

PAY_STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "pay_title": "Pay your contribution (FPX)",
        "summary": "Summary",
        "reference": "ACR / ECR",
        "amount": "Amount",
        "total": "Total",
        "model": "Business model",
        "B2C": "Personal (B2C)",
        "B2B1": "Corporate (B2B1)",
        "email": "Email for the receipt",
        "bank": "Choose your bank",
        "offline": "offline",
        "proceed": "PROCEED",
        "sim_title": "Bank (FPX simulator)",
        "sim_intro": "This is a simulator: choose what the bank answers.",
        "authoriser": "The payment waits for your company's authoriser.",
        "status_title": "Payment status",
        "state_successful": "SUCCESSFUL",
        "state_failed": "UNSUCCESSFUL",
        "state_pending_authoriser": "PENDING AUTHORISER",
        "state_created": "NOT PAID YET",
        "fpx_txn": "FPX transaction ID",
        "seller_order": "Seller order no.",
        "buyer_bank": "Buyer bank",
        "code": "Code",
        "receipt": "Download the receipt (PDF)",
        "receipt_no": "Receipt no.",
        "back_to_chat": "You can go back to the chat now.",
        "invalid": "This payment link is not valid or has expired.",
        "not_payable": "This payment cannot be paid again.",
    },
    "ms": {
        "pay_title": "Bayar caruman anda (FPX)",
        "summary": "Ringkasan",
        "reference": "ACR / ECR",
        "amount": "Amaun",
        "total": "Jumlah",
        "model": "Model perniagaan",
        "B2C": "Individu (B2C)",
        "B2B1": "Korporat (B2B1)",
        "email": "E-mel untuk resit",
        "bank": "Pilih bank anda",
        "offline": "luar talian",
        "proceed": "TERUSKAN",
        "sim_title": "Bank (simulator FPX)",
        "sim_intro": "Ini simulator: pilih jawapan bank.",
        "authoriser": "Pembayaran menunggu pengesah syarikat anda.",
        "status_title": "Status pembayaran",
        "state_successful": "BERJAYA",
        "state_failed": "TIDAK BERJAYA",
        "state_pending_authoriser": "MENUNGGU PENGESAH",
        "state_created": "BELUM DIBAYAR",
        "fpx_txn": "ID transaksi FPX",
        "seller_order": "No. pesanan penjual",
        "buyer_bank": "Bank pembeli",
        "code": "Kod",
        "receipt": "Muat turun resit (PDF)",
        "receipt_no": "No. resit",
        "back_to_chat": "Anda boleh kembali ke sembang sekarang.",
        "invalid": "Pautan pembayaran ini tidak sah atau telah tamat tempoh.",
        "not_payable": "Pembayaran ini tidak boleh dibayar lagi.",
    },
}
SIM_CODES = ("00", "51", "80", "1A", "2A")


def _lang(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    accept = request.headers.get("accept-language", "").lower()
    return "ms" if accept.startswith(("ms", "my")) else "en"


def _page(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    lang = _lang(request)
    response = templates.TemplateResponse(
        request,
        name,
        {"lang": lang, "t": {**strings(lang), **PAY_STRINGS[lang]}, **context},
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _go(request: Request, url: str) -> RedirectResponse:
    """303 to ``url``, keeping the page language the payer chose."""
    lang = request.query_params.get("lang")
    suffix = f"?lang={lang}" if lang in LANGUAGES else ""
    return RedirectResponse(url + suffix, status_code=303)


def _invalid(request: Request) -> HTMLResponse:
    t = PAY_STRINGS[_lang(request)]
    return _page(request, "message.html", {"heading": t["pay_title"], "message": t["invalid"]}, 404)


def _load(request: Request, db: Session, settings: Settings, token: str) -> Payment | None:
    return payments.payment_from_token(db, settings, token)


@pages.get("/pay/{token}", response_class=HTMLResponse)
def pay_page(token: str, request: Request, db: Db, settings: AppSettings, gw: Gateway) -> Response:
    payment = _load(request, db, settings, token)
    if payment is None:
        return _invalid(request)
    if payment.state != domain.CREATED:
        return _go(request, f"/pay/{token}/status")
    return _page(
        request,
        "pay.html",
        {
            "payment": payment,
            "banks": gw.bank_list(payment.business_model),
            "token": token,
            "error": None,
        },
    )


@pages.post("/pay/{token}", response_class=HTMLResponse)
def pay_proceed(
    token: str,
    request: Request,
    db: Db,
    settings: AppSettings,
    gw: Gateway,
    clock: Now,
    email: Annotated[str, Form()] = "",
    bank_code: Annotated[str, Form()] = "",
) -> Response:
    payment = _load(request, db, settings, token)
    if payment is None:
        return _invalid(request)
    if payment.state != domain.CREATED:
        return _go(request, f"/pay/{token}/status")
    try:
        payments.authorise(db, payment, email, bank_code, gw, clock())
    except domain.PaymentError as exc:
        db.rollback()
        return _page(
            request,
            "pay.html",
            {
                "payment": payment,
                "banks": gw.bank_list(payment.business_model),
                "token": token,
                "error": exc.message,
                "email": email,
            },
            422,
        )
    return _go(request, f"/pay/{token}/bank")


@pages.get("/pay/{token}/bank", response_class=HTMLResponse)
def bank_page(token: str, request: Request, db: Db, settings: AppSettings) -> Response:
    payment = _load(request, db, settings, token)
    if payment is None or not contributions.config().fpx_simulator_enabled:
        return _invalid(request)
    if payment.state in domain.FINAL or not payment.fpx_txn_id:
        return _go(request, f"/pay/{token}/status")
    if payment.state == domain.PENDING_AUTHORISER:
        codes = ("00", "80")
    else:
        codes = (
            SIM_CODES[:1] + (("99",) if payment.business_model == "B2B1" else ()) + SIM_CODES[1:]
        )
    return _page(
        request,
        "pay_bank.html",
        {
            "payment": payment,
            "token": token,
            "codes": [(c, RESPONSE_CODES[c]) for c in codes],
        },
    )


@pages.post("/pay/{token}/callback", response_class=HTMLResponse)
def callback(
    token: str,
    request: Request,
    background: BackgroundTasks,
    db: Db,
    settings: AppSettings,
    gw: Gateway,
    clock: Now,
    notifier: NotifierDep,
    code: Annotated[str, Form()] = "",
) -> Response:
    """The bank's answer (the simulator posts it here). Replays and double submits are no-ops."""
    payment = _load(request, db, settings, token)
    if payment is None or not contributions.config().fpx_simulator_enabled:
        return _invalid(request)
    try:
        outcome = payments.apply_result(db, payment.id, code, gw, settings, clock())
    except domain.PaymentError:
        return _go(request, f"/pay/{token}/status")
    if outcome.changed and outcome.final and outcome.payment.sender_id:
        background.add_task(notifier, outcome.payment.sender_id, outcome.payment.id)
    return _go(request, f"/pay/{token}/status")


@pages.get("/pay/{token}/status", response_class=HTMLResponse)
def status_page(token: str, request: Request, db: Db, settings: AppSettings) -> Response:
    payment = _load(request, db, settings, token)
    if payment is None:
        return _invalid(request)
    db.refresh(payment)
    receipt = db.scalar(select(Receipt).where(Receipt.payment_id == payment.id))
    return _page(
        request,
        "pay_status.html",
        {
            "payment": payment,
            "token": token,
            "paid_at": to_local(payment.completed_at) if payment.completed_at else None,
            "receipt": receipt,
            "receipt_url": files.file_url(settings, payments.RECEIPT_KIND, receipt.id)
            if receipt
            else None,
        },
    )
