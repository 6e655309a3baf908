"""QRG 7: pay a cart of ACR/ECRs by FPX, once, whatever the browser or the bank repeats.

- Creating is idempotent on the caller's ``idempotency_key`` (unique column): the same key gives
  the same payment(s) back. A cart above the model's maximum is split into several payments
  (keys ``<key>``, ``<key>#2``, …). An ACR/ECR already in an open or successful payment is
  refused with that payment, so one number is never charged twice.
- The outcome is applied with a conditional UPDATE (``WHERE state = <the state we read>``) and,
  on PostgreSQL, a row lock: of two concurrent callbacks exactly one moves the state; the other
  sees a replay. Every change, replay and refusal is a ``payment_events`` row.
- After a final state the bot is told (``trigger_intent payment_result``), best-effort, after the
  response, through an injectable notifier.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import httpx
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.domain import business_days, deadlines
from backend.domain import payments as domain
from backend.domain.fpx import Authorisation, AuthorisationRequest, FpxSimulator, PaymentGateway
from backend.domain.identifiers import IdentifierError, normalise_email
from backend.domain.money import format_ringgit
from backend.errors import ApiError
from backend.models import (
    Contribution,
    Conversation,
    Employer,
    FclbNotice,
    Payment,
    PaymentEvent,
    PaymentItem,
    PortalAccount,
    Receipt,
)
from backend.services import files
from backend.services.contribution_pdfs import ReceiptData, render_receipt
from backend.services.contributions import ContributionSettings, config
from backend.services.email import send_email
from backend.services.security import sign, unsign
from backend.settings import Settings

log = logging.getLogger(__name__)
PAY_SALT = "pay-v1"
PAY_LINK_MAX_AGE = 3 * 24 * 3600
RECEIPT_KIND = "receipt"
OPEN_STATES = (domain.CREATED, domain.PENDING_AUTHORISER, domain.SUCCESSFUL)

_gateway = FpxSimulator()


def gateway() -> PaymentGateway:
    return _gateway


# --- links ---------------------------------------------------------------------------------


def pay_token(settings: Settings, payment_id: int) -> str:
    return sign(settings.assist_secret_key, PAY_SALT, {"p": payment_id})


def pay_url(settings: Settings, payment_id: int) -> str:
    return f"{settings.assist_public_url.rstrip('/')}/pay/{pay_token(settings, payment_id)}"


def payment_from_token(db: Session, settings: Settings, token: str) -> Payment | None:
    data = unsign(settings.assist_secret_key, PAY_SALT, token, PAY_LINK_MAX_AGE)
    if not isinstance(data, dict) or not isinstance(data.get("p"), int):
        return None
    return db.get(Payment, data["p"])


# --- notifier ------------------------------------------------------------------------------


class Notifier(Protocol):
    def __call__(self, sender_id: str, payment_id: int) -> None: ...


@dataclass
class RasaNotifier:
    """``POST {rasa}/conversations/{sender_id}/trigger_intent?token=…`` (best-effort).

    With several Rasa replicas (``RASA_URLS``) the trigger goes to the replica that owns the
    sender (:func:`backend.hub.replicas.url_for`, the same pinning as the chat's turns), so it
    never races a turn of the same conversation on another replica. Only when that replica
    provably never received the request (connection refused or connect timeout) is the next
    one in the sender's ranking tried; a read timeout or an HTTP error may mean the intent was
    handled, so it is not sent again (the user would be told the result twice)."""

    settings: Settings
    timeout: float = 5.0

    def bases(self, sender_id: str) -> list[str]:
        """The Rasa base URLs to try for ``sender_id``, the owning replica first."""
        from backend.hub import replicas

        owner = replicas.url_for(sender_id, self.settings.rasa_url).rstrip("/")
        urls = replicas.configured_urls()
        rest = [u for u in replicas.ranking(sender_id, urls) if u != owner] if len(urls) > 1 else []
        return [owner, *rest]

    def __call__(self, sender_id: str, payment_id: int) -> None:
        params = {"token": self.settings.rasa_token} if self.settings.rasa_token else {}
        body = {"name": "payment_result", "entities": {"payment_id": payment_id}}
        res: httpx.Response | None = None
        for base in self.bases(sender_id):
            url = f"{base}/conversations/{sender_id}/trigger_intent"
            try:
                res = httpx.post(url, params=params, json=body, timeout=self.timeout)
                res.raise_for_status()
                log.info("payment %s: bot notified (%s)", payment_id, res.status_code)
                break
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                log.warning("payment %s: Rasa at %s unreachable (%s)", payment_id, base, exc)
                res = None
                continue  # never reached that replica: the next one may answer
            except httpx.HTTPError as exc:
                log.warning("payment %s: could not notify the bot: %s", payment_id, exc)
                return
        if res is None:
            log.warning("payment %s: no Rasa replica reachable; the bot was not told", payment_id)
            return
        try:
            self._keep_reply(sender_id, res.json().get("messages") or [])
        except Exception:  # the transcript is a courtesy: never fail the notification for it
            log.exception("payment %s: could not record the bot's reply", payment_id)

    def _keep_reply(self, sender_id: str, items: list[dict[str, Any]]) -> None:
        """Without an output channel Rasa returns the bot's reply (collector): hand it to the
        hub's proactive path, which keeps it in the transcript (the widget's history), offers
        its buttons, and sends it to Telegram for a ``tg-`` chat."""
        import asyncio

        from backend.db import get_sessionmaker
        from backend.hub.proactive import send_proactive
        from backend.hub.service import normalise_reply

        messages = normalise_reply(items)
        if not messages:
            return
        with get_sessionmaker(self.settings.database_url)() as db:
            if db.get(Conversation, sender_id) is None:
                return
            delivered = asyncio.run(
                send_proactive(
                    db, sender_id, messages, service_token=self.settings.assist_service_token
                )
            )
            log.info("payment result for %s: telegram delivered=%s", sender_id[:6], delivered)


# --- views ---------------------------------------------------------------------------------


def view(payment: Payment, settings: Settings) -> dict[str, Any]:
    return {
        "id": payment.id,
        "seller_order_no": payment.seller_order_no,
        "business_model": payment.business_model,
        "amount": format_ringgit(payment.amount),
        "state": payment.state,
        "items": [
            {"reference": i.reference, "amount": format_ringgit(i.amount)} for i in payment.items
        ],
        "pay_url": pay_url(settings, payment.id),
        "fpx_txn_id": payment.fpx_txn_id,
        "bank_name": payment.bank_name,
        "debit_auth_code": payment.debit_auth_code,
        "outcome": payment.outcome,
    }


def _event(
    db: Session,
    payment: Payment,
    from_state: str | None,
    to_state: str,
    now: datetime,
    kind: str = "transition",
    code: str | None = None,
    **detail: Any,
) -> None:
    db.add(
        PaymentEvent(
            payment_id=payment.id,
            from_state=from_state,
            to_state=to_state,
            code=code,
            kind=kind,
            detail=detail or None,
            created_at=now,
        )
    )


# --- create --------------------------------------------------------------------------------


def _cart(
    db: Session, employer: Employer, references: list[str]
) -> list[tuple[str, str, Contribution]]:
    """(reference, act, contribution) for each ACR/ECR of this employer, submitted and unpaid."""
    out = []
    for ref in references:
        ref = ref.strip().upper()
        column = Contribution.acr_no if ref.startswith("ACR") else Contribution.ecr_no
        row = db.scalar(
            select(Contribution).where(column == ref, Contribution.employer_id == employer.id)
        )
        if row is None:
            raise ApiError(
                404, "reference_not_found", f"{ref} is not a submitted contribution here"
            )
        act = "act4" if ref.startswith("ACR") else "act800"
        if (row.act4_paid_at if act == "act4" else row.act800_paid_at) is not None:
            raise ApiError(409, "already_paid", f"{ref} is already paid", reference=ref)
        out.append((ref, act, row))
    return out


def _split_keys(key: str) -> str:
    """LIKE pattern for the keys of a split cart's later payments (``<key>#2`` …)."""
    return key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "#%"


def _existing(db: Session, key: str) -> list[Payment]:
    pattern = _split_keys(key)
    return list(
        db.scalars(
            select(Payment)
            .where(
                (Payment.idempotency_key == key)
                | Payment.idempotency_key.like(pattern, escape="\\")
            )
            .order_by(Payment.id)
        )
    )


def create(
    db: Session,
    account: PortalAccount,
    employer: Employer,
    references: list[str],
    business_model: str,
    idempotency_key: str,
    now: datetime,
    sender_id: str | None,
) -> tuple[list[Payment], bool]:
    """(payments, created_now). The same key returns the earlier payments unchanged."""
    previous = _existing(db, idempotency_key)
    if previous:
        return previous, False
    try:
        domain.check_model(business_model)
    except domain.PaymentError as exc:
        raise ApiError(422, exc.code, exc.message) from exc
    if db.get_bind().dialect.name != "sqlite":
        # One cart at a time per employer, so two carts cannot both take the same ACR/ECR.
        db.execute(select(Employer.id).where(Employer.id == employer.id).with_for_update())
    cart = _cart(db, employer, references)
    refs = [ref for ref, _, _ in cart]
    _supersede_unsent(db, refs, idempotency_key, now)
    busy = db.scalar(
        select(PaymentItem)
        .join(Payment)
        .where(PaymentItem.reference.in_(refs), Payment.state.in_(OPEN_STATES))
    )
    if busy is not None:
        previous = _existing(db, idempotency_key)  # a concurrent twin of this very request
        if previous:
            return previous, False
        raise ApiError(
            409,
            "in_payment",
            f"{busy.reference} is already in payment {busy.payment_id}",
            payment_id=busy.payment_id,
            reference=busy.reference,
        )
    amounts = {
        ref: (row.act4_amount if act == "act4" else row.act800_amount) for ref, act, row in cart
    }
    try:
        groups = domain.split_cart(
            [domain.CartItem(ref, amounts[ref]) for ref in refs], business_model
        )
    except domain.PaymentError as exc:
        raise ApiError(422, exc.code, exc.message) from exc
    by_ref = {ref: (act, row) for ref, act, row in cart}
    payments: list[Payment] = []
    for n, group in enumerate(groups, start=1):
        payment = Payment(
            seller_order_no=f"TMP{secrets.token_hex(8)}",  # replaced once the id is known
            idempotency_key=idempotency_key if n == 1 else f"{idempotency_key}#{n}",
            account_id=account.id,
            employer_id=employer.id,
            sender_id=sender_id,
            business_model=business_model,
            amount=sum((i.amount for i in group), Decimal("0.00")),
            state=domain.CREATED,
            created_at=now,
            updated_at=now,
        )
        for item in group:
            act, row = by_ref[item.reference]
            payment.items.append(
                PaymentItem(
                    contribution_id=row.id, reference=item.reference, act=act, amount=item.amount
                )
            )
        db.add(payment)
        payments.append(payment)
    try:
        db.flush()
        for payment in payments:
            payment.seller_order_no = f"PAY{now:%y%m%d}{payment.id:07d}"
            _event(db, payment, None, domain.CREATED, now, kind="created")
        db.commit()
    except IntegrityError:
        db.rollback()
        previous = _existing(db, idempotency_key)
        if previous:
            return previous, False
        raise
    return payments, True


def _supersede_unsent(db: Session, refs: list[str], key: str, now: datetime) -> None:
    """A new cart replaces an older payment holding the same ACR/ECR that never reached a bank
    (no PROCEED yet): that one becomes ``failed`` ("superseded"), so an abandoned link does not
    block the numbers. One already sent to a bank keeps them (409 ``in_payment``)."""
    pattern = _split_keys(key)
    stale = db.scalars(
        select(Payment)
        .join(PaymentItem)
        .where(
            PaymentItem.reference.in_(refs),
            Payment.state == domain.CREATED,
            Payment.fpx_txn_id.is_(None),
            Payment.idempotency_key != key,
            ~Payment.idempotency_key.like(pattern, escape="\\"),
        )
        .distinct()
    ).all()
    for old in stale:
        done = db.execute(
            update(Payment)
            .where(
                Payment.id == old.id,
                Payment.state == domain.CREATED,
                Payment.fpx_txn_id.is_(None),
            )
            .values(
                state=domain.FAILED,
                outcome="Replaced by a new cart before it was sent to a bank",
                updated_at=now,
                completed_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if done:
            _event(db, old, domain.CREATED, domain.FAILED, now, kind="superseded")
    # No commit here: the new cart's commit carries it (and the employer lock stays held).


def get_for_account(db: Session, account: PortalAccount, payment_id: int) -> Payment:
    payment = db.get(Payment, payment_id)
    if payment is None or payment.account_id != account.id:
        raise ApiError(404, "payment_not_found", "no such payment on this account")
    return payment


# --- the payment page ----------------------------------------------------------------------


def _request(payment: Payment) -> AuthorisationRequest:
    return AuthorisationRequest(
        seller_order_no=payment.seller_order_no,
        amount=payment.amount,
        model=payment.business_model,
        bank_code=payment.bank_code or "",
        buyer_email=payment.buyer_email or "",
        description=", ".join(i.reference for i in payment.items),
    )


def authorise(
    db: Session, payment: Payment, email: str, bank_code: str, gw: PaymentGateway, now: datetime
) -> Payment:
    """PROCEED: remember email and bank, ask the gateway for a transaction (no money moves)."""
    if payment.state != domain.CREATED:
        raise domain.PaymentError("not_payable", f"this payment is {payment.state}")
    try:
        clean_email = normalise_email(email)
    except IdentifierError as exc:
        raise domain.PaymentError("invalid_email", "give a valid email for the receipt") from exc
    request = AuthorisationRequest(
        seller_order_no=payment.seller_order_no,
        amount=payment.amount,
        model=payment.business_model,
        bank_code=bank_code,
        buyer_email=clean_email,
        description=", ".join(i.reference for i in payment.items),
    )
    auth = gw.authorise(request, now)
    bank = next((b for b in gw.bank_list(payment.business_model) if b.code == bank_code), None)
    sent = db.execute(  # only while still ``created`` (a new cart may have superseded it)
        update(Payment)
        .where(Payment.id == payment.id, Payment.state == domain.CREATED)
        .values(
            buyer_email=clean_email,
            bank_code=bank_code,
            bank_name=bank.name if bank else bank_code,
            fpx_txn_id=auth.fpx_txn_id,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not sent:
        db.rollback()
        raise domain.PaymentError("not_payable", "this payment can no longer be paid")
    _event(db, payment, domain.CREATED, domain.CREATED, now, kind="authorise", bank=bank_code)
    db.commit()
    db.refresh(payment)
    return payment


@dataclass(frozen=True)
class Outcome:
    payment: Payment
    changed: bool
    final: bool


def apply_result(
    db: Session,
    payment_id: int,
    code: str,
    gw: PaymentGateway,
    settings: Settings,
    now: datetime,
    cfg: ContributionSettings | None = None,
) -> Outcome:
    """The bank's answer: move the state once; replays and losers of a race change nothing."""
    query = select(Payment).where(Payment.id == payment_id)
    if not settings.is_sqlite:
        query = query.with_for_update()
    payment = db.scalar(query)
    if payment is None:
        raise domain.PaymentError("payment_not_found", "no such payment")
    if not payment.fpx_txn_id:
        raise domain.PaymentError("not_authorised", "choose a bank and PROCEED first")
    current = payment.state
    try:
        move = domain.apply_outcome(current, code, payment.business_model)
        result = gw.result(
            Authorisation(payment.fpx_txn_id, payment.seller_order_no), _request(payment), code
        )
    except domain.PaymentError as exc:
        _event(db, payment, current, current, now, kind="refused", code=code, reason=exc.code)
        db.commit()
        raise
    if not move.changed:
        _event(db, payment, current, current, now, kind="replay", code=code)
        db.commit()
        return Outcome(payment, False, current in domain.FINAL)
    won = db.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.state == current)
        .values(
            state=move.state,
            debit_auth_code=result.debit_auth_code,
            outcome=result.description,
            updated_at=now,
            completed_at=now if move.state in domain.FINAL else None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        db.rollback()
        payment = db.get(Payment, payment_id)
        assert payment is not None
        db.refresh(payment)
        _event(db, payment, payment.state, payment.state, now, kind="replay", code=code)
        db.commit()
        return Outcome(payment, False, payment.state in domain.FINAL)
    _event(db, payment, current, move.state, now, code=code, fpx_txn_id=result.fpx_txn_id)
    if move.state == domain.SUCCESSFUL:
        _mark_paid(db, payment, now)
    db.commit()
    db.refresh(payment)
    log.info("payment %s: %s → %s (%s)", payment.id, current, move.state, code)
    if move.state == domain.SUCCESSFUL:
        try:
            issue_receipt(db, payment, settings, now, cfg or config())
        except Exception:  # the payment stands even if the PDF or email fails
            db.rollback()
            log.exception("payment %s: receipt could not be issued", payment.id)
    return Outcome(payment, True, move.state in domain.FINAL)


def _mark_paid(db: Session, payment: Payment, now: datetime) -> None:
    for item in payment.items:
        column = Contribution.act4_paid_at if item.act == "act4" else Contribution.act800_paid_at
        db.execute(
            update(Contribution)
            .where(Contribution.id == item.contribution_id, column.is_(None))
            .values({column.key: now})
            .execution_options(synchronize_session=False)
        )


# --- receipts ------------------------------------------------------------------------------


def late_interest(
    db: Session, payment: Payment, paid_local_date: Any, cfg: ContributionSettings
) -> Decimal:
    """Estimated FCLB on the payment's items paid after their due date."""
    total = Decimal("0.00")
    for item in payment.items:
        row = db.get(Contribution, item.contribution_id)
        assert row is not None
        year, mon = (int(p) for p in row.month.split("-"))
        due = deadlines.due_date((year, mon))
        total += deadlines.fclb(item.amount, due, paid_local_date, cfg.fclb_rules()).interest
    return total


def issue_fclb_notices(
    db: Session, payment: Payment, paid_on: date, cfg: ContributionSettings, now: datetime
) -> list[FclbNotice]:
    """One FCLB notice per ACR/ECR of the payment paid after its due date (once per number:
    a unique reference, so a retried receipt never issues a second one)."""
    made = []
    for item in payment.items:
        if db.scalar(select(FclbNotice).where(FclbNotice.reference == item.reference)):
            continue
        row = db.get(Contribution, item.contribution_id)
        assert row is not None
        year, mon = (int(p) for p in row.month.split("-"))
        due = deadlines.due_date((year, mon))
        result = deadlines.fclb(item.amount, due, paid_on, cfg.fclb_rules())
        if result.interest <= 0:
            continue
        notice = FclbNotice(
            notice_no=f"TMP{item.reference}",
            employer_id=payment.employer_id,
            contribution_id=row.id,
            payment_id=payment.id,
            reference=item.reference,
            month=row.month,
            amount=item.amount,
            due_date=due,
            paid_on=paid_on,
            days_late=result.days_late,
            late_months=result.late_months,
            interest=result.interest,
            created_at=now,
        )
        db.add(notice)
        db.flush()
        notice.notice_no = f"FCLB{paid_on:%Y%m%d}{notice.id:08d}"
        made.append(notice)
    return made


def notices_view(db: Session, payment_id: int) -> list[dict[str, Any]]:
    rows = db.scalars(
        select(FclbNotice).where(FclbNotice.payment_id == payment_id).order_by(FclbNotice.id)
    )
    return [
        {
            "notice_no": n.notice_no,
            "reference": n.reference,
            "month": n.month,
            "amount": format_ringgit(n.amount),
            "due_date": n.due_date.isoformat(),
            "paid_on": n.paid_on.isoformat(),
            "days_late": n.days_late,
            "late_months": n.late_months,
            "interest": format_ringgit(n.interest),
        }
        for n in rows
    ]


def issue_receipt(
    db: Session, payment: Payment, settings: Settings, now: datetime, cfg: ContributionSettings
) -> Receipt:
    existing = db.scalar(select(Receipt).where(Receipt.payment_id == payment.id))
    if existing is not None:
        return existing
    employer = db.get(Employer, payment.employer_id)
    assert employer is not None
    local = business_days.to_local(now)
    interest = late_interest(db, payment, local.date(), cfg)
    receipt = Receipt(
        payment_id=payment.id,
        receipt_no=f"TMP{payment.id}",
        amount=payment.amount,
        late_interest=interest,
        created_at=now,
    )
    db.add(receipt)
    db.flush()
    receipt.receipt_no = f"R{local:%Y%m%d}{receipt.id:08d}"
    issue_fclb_notices(db, payment, local.date(), cfg, now)
    relative = Path("receipts") / f"{receipt.receipt_no}.pdf"
    months = {i.contribution_id: db.get(Contribution, i.contribution_id) for i in payment.items}
    render_receipt(
        ReceiptData(
            receipt_no=receipt.receipt_no,
            paid_at=local,
            employer_name=employer.employer_name or "",
            employer_code=employer.employer_code or "",
            buyer_email=payment.buyer_email or "",
            business_model=payment.business_model,
            bank_name=payment.bank_name or "",
            fpx_txn_id=payment.fpx_txn_id or "",
            seller_order_no=payment.seller_order_no,
            amount=payment.amount,
            items=[
                (i.reference, months[i.contribution_id].month, i.amount)  # type: ignore[union-attr]
                for i in payment.items
            ],
            late_interest=interest,
        ),
        Path(settings.documents_dir) / relative,
    )
    receipt.pdf_path = relative.as_posix()
    if payment.buyer_email:
        conversation = db.get(Conversation, payment.sender_id) if payment.sender_id else None
        subject, body = _receipt_email(
            conversation.language if conversation else None, payment, receipt, interest
        )
        send_email(
            db,
            payment.buyer_email,
            subject,
            body,
            [Path(settings.documents_dir) / relative],
            settings=settings,
        )
        receipt.emailed_to = payment.buyer_email
    db.commit()
    return receipt


def _receipt_email(
    language: str | None, payment: Payment, receipt: Receipt, interest: Decimal
) -> tuple[str, str]:
    items = ", ".join(i.reference for i in payment.items)
    if language == "ms":
        subject = f"Resit pembayaran PERKESO {receipt.receipt_no}"
        body = (
            f"Pembayaran {payment.seller_order_no} berjumlah RM{payment.amount:,.2f} BERJAYA.\n"
            f"No. resit: {receipt.receipt_no}\nID transaksi FPX: {payment.fpx_txn_id}\n"
            f"Item: {items}\nResit dilampirkan.\n"
        )
        if interest > 0:
            body += f"Anggaran faedah caruman lewat bayar (FCLB): RM{interest:,.2f}\n"
    else:
        subject = f"PERKESO payment receipt {receipt.receipt_no}"
        body = (
            f"Payment {payment.seller_order_no} of RM{payment.amount:,.2f} was SUCCESSFUL.\n"
            f"Receipt no.: {receipt.receipt_no}\nFPX transaction ID: {payment.fpx_txn_id}\n"
            f"Items: {items}\nThe receipt is attached.\n"
        )
        if interest > 0:
            body += f"Estimated late-payment interest (FCLB): RM{interest:,.2f}\n"
    return subject, body + "\nASSIST Assistant\n"


def receipt_view(receipt: Receipt, settings: Settings) -> dict[str, Any]:
    return {
        "id": receipt.id,
        "receipt_no": receipt.receipt_no,
        "payment_id": receipt.payment_id,
        "amount": format_ringgit(receipt.amount),
        "late_interest": format_ringgit(receipt.late_interest),
        "pdf_url": files.file_url(settings, RECEIPT_KIND, receipt.id),
        "emailed_to": receipt.emailed_to,
    }


def _resolve_receipt(db: Session, file_id: int, settings: Settings) -> files.StoredFile | None:
    receipt = db.get(Receipt, file_id)
    if receipt is None or not receipt.pdf_path:
        return None
    return files.StoredFile(
        path=Path(settings.documents_dir) / receipt.pdf_path,
        filename=f"Receipt-{receipt.receipt_no}.pdf",
    )


files.register_kind(RECEIPT_KIND, _resolve_receipt)


def latest_for_chat(db: Session, account: PortalAccount, sender_id: str) -> Payment:
    """The newest payment made from this chat ("did my payment go through?")."""
    payment = db.scalar(
        select(Payment)
        .where(Payment.account_id == account.id, Payment.sender_id == sender_id)
        .order_by(Payment.id.desc())
        .limit(1)
    )
    if payment is None:
        raise ApiError(404, "payment_not_found", "no payment from this chat")
    return payment
