"""QRG 7-8: pay submitted contributions by an FPX payment link, or print the bank-counter slip.

``pay_online`` → ``action_start_payment`` (the unpaid ACR/ECRs) → ``payment_form`` (the cart:
all by default; the business model B2C/B2B1) → ``action_create_payment`` (a payment link per
payment; the backend splits a cart above the model's maximum). The idempotency key is fixed for
one form, so a repeated action never creates a second payment.

The backend triggers ``payment_result`` (entity ``payment_id``) on this conversation when the bank
answers; ``action_payment_result`` says the outcome: success → receipt PDF (and any FCLB notice);
failure → why, and a fresh link for the same ACR/ECRs (one per failed payment: key
``retry-of-<id>``). Asked by the user ("did my payment go through?"), it reports the latest one.

``pay_at_bank`` → ``bank_counter_form`` (which ACR/ECR) → ``action_bank_slip`` (the QRG 8 slip
PDF, the banks, when the number reaches the counter).
"""

from __future__ import annotations

import logging
import re
import uuid
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions import backend_client
from bot.actions.contributions import (
    _account_reply,
    display_date,
    money,
    registered_employers,
)
from bot.actions.form_validation import AnswersOnlyFormValidation
from bot.actions.language import current_language
from bot.actions.rates import display_amount, month_label
from bot.actions.registration import chosen, match_option

logger = logging.getLogger(__name__)

REFERENCE = re.compile(r"(?i)\b([AE]CR\s?\d{12})\b")
MODELS = [
    {"code": "B2C", "name_en": "Personal", "name_ms": "Peribadi"},
    {"code": "B2B1", "name_en": "Corporate", "name_ms": "Korporat"},
]
MODEL_ALIASES = {
    "B2C": ("b2c", "personal", "peribadi", "individual", "individu", "retail", "01"),
    "B2B1": ("b2b", "b2b1", "corporate", "korporat", "company", "syarikat", "business", "02"),
}
ALL_WORDS = ("all", "semua", "all of them", "semuanya", "yes", "ya", "ok")
REASONS = {"51": "51", "80": "80", "1A": "1A", "2A": "2A"}


async def unpaid_items(sender_id: str) -> list[dict[str, Any]]:
    """Every submitted ACR/ECR of the account's employers not yet paid, oldest month first."""
    client = backend_client.backend()
    items: list[dict[str, Any]] = []
    for employer in await registered_employers(sender_id):
        listing = await backend_client.list_contributions(
            client, sender_id, int(employer["id"]), unpaid="true"
        )
        for row in listing.get("contributions") or []:
            for act, key, amount, paid in (
                ("act4", "acr_no", "act4_amount", "act4_paid"),
                ("act800", "ecr_no", "act800_amount", "act800_paid"),
            ):
                if row.get(key) and not row.get(paid):
                    items.append(
                        {
                            "reference": row[key],
                            "act": act,
                            "amount": row.get(amount) or "0.00",
                            "month": row.get("month"),
                            "type": row.get("type"),
                            "contribution_id": row.get("id"),
                            "employer_id": employer["id"],
                            "employer_name": employer["name"],
                        }
                    )
    items.sort(key=lambda i: (str(i.get("month")), i["reference"]))
    return items


def items_text(items: list[dict[str, Any]], language: str) -> str:
    return "\n".join(
        f"- {i['reference']} ({month_label(i['month'], language)}"
        f"{', ' + i['employer_name'] if i.get('employer_name') else ''}): "
        f"RM{display_amount(i['amount'])}"
        for i in items
    )


def total_of(items: list[dict[str, Any]]) -> Decimal:
    return sum((money(i["amount"]) for i in items), Decimal("0"))


def selected(tracker: Tracker) -> list[dict[str, Any]]:
    refs = str(tracker.get_slot("pay_selection") or "").split(",")
    return [i for i in tracker.get_slot("pay_unpaid") or [] if i["reference"] in refs]


async def _items_or_reply(
    dispatcher: CollectingDispatcher, tracker: Tracker, nothing: str
) -> list[dict[str, Any]] | None:
    try:
        items = await unpaid_items(tracker.sender_id)
    except backend_client.BackendUnavailable:
        dispatcher.utter_message(response="utter_service_unavailable_general")
        return None
    except backend_client.BackendError as error:
        _account_reply(dispatcher, error)
        return None
    if not items:
        dispatcher.utter_message(response=nothing)
        return None
    return items


def references_in(text: str, items: list[dict[str, Any]]) -> list[str]:
    known = {i["reference"] for i in items}
    found = [m.replace(" ", "").upper() for m in REFERENCE.findall(text or "")]
    return [ref for ref in dict.fromkeys(found) if ref in known]


class ActionStartPayment(Action):
    def name(self) -> str:
        return "action_start_payment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        items = await _items_or_reply(dispatcher, tracker, "utter_pay_nothing_unpaid")
        if items is None:
            return [SlotSet("pay_ready", False)]
        language = current_language(tracker)
        dispatcher.utter_message(
            response="utter_pay_unpaid_list",
            items=items_text(items, language),
            total=display_amount(total_of(items)),
        )
        events: list[EventType] = [
            SlotSet("pay_unpaid", items),
            SlotSet("pay_selection", None),
            SlotSet("pay_model", None),
            SlotSet("pay_nonce", uuid.uuid4().hex),
            SlotSet("pay_ready", True),
        ]
        refs = references_in(tracker.latest_message.get("text") or "", items)
        if refs:
            events.append(SlotSet("pay_selection", ",".join(refs)))
        return events


class ActionAskPaySelection(Action):
    def name(self) -> str:
        return "action_ask_pay_selection"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        items = tracker.get_slot("pay_unpaid") or []
        word = "Semua" if current_language(tracker) == "ms" else "All"
        buttons = [
            {
                "title": f"{word} (RM{display_amount(total_of(items))})",
                "payload": '/inform{"choice":"all"}',
            }
        ]
        buttons += [
            {
                "title": f"{i['reference']} RM{display_amount(i['amount'])}",
                "payload": f'/inform{{"choice":"{i["reference"]}"}}',
            }
            for i in items[:6]
        ]
        dispatcher.utter_message(response="utter_ask_pay_selection", buttons=buttons)
        return []


class ActionAskPayModel(Action):
    def name(self) -> str:
        return "action_ask_pay_model"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        cart = selected(tracker)
        dispatcher.utter_message(
            response="utter_ask_pay_model",
            items=items_text(cart, current_language(tracker)),
            total=display_amount(total_of(cart)),
        )
        return []


class ValidatePaymentForm(AnswersOnlyFormValidation):
    def name(self) -> str:
        return "validate_payment_form"

    async def validate_pay_selection(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        items = tracker.get_slot("pay_unpaid") or []
        text = chosen(value, tracker).strip()
        if text.lower() in ALL_WORDS:
            return {"pay_selection": ",".join(i["reference"] for i in items)}
        refs = references_in(text, items)
        if not refs:
            dispatcher.utter_message(response="utter_invalid_pay_selection")
            return {"pay_selection": None}
        return {"pay_selection": ",".join(refs)}

    async def validate_pay_model(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = match_option(chosen(value, tracker), MODELS, MODEL_ALIASES)
        if code is None:
            dispatcher.utter_message(response="utter_invalid_pay_model")
            return {"pay_model": None}
        return {"pay_model": code}


def _link_message(payment: dict[str, Any]) -> dict[str, Any]:
    return {"link": {"url": payment["pay_url"], "title": f"FPX {payment['seller_order_no']}"}}


def _refusal(dispatcher: CollectingDispatcher, error: backend_client.BackendError) -> None:
    reference = str(error.data.get("reference") or "")
    if error.code in ("below_minimum", "part_below_minimum"):
        dispatcher.utter_message(response="utter_pay_below_minimum")
    elif error.code == "item_above_maximum":
        dispatcher.utter_message(response="utter_pay_item_above_max")
    elif error.code == "already_paid":
        dispatcher.utter_message(response="utter_pay_already_paid", reference=reference or "-")
    elif error.code == "in_payment":
        dispatcher.utter_message(response="utter_pay_in_payment", reference=reference or "-")
    else:
        _account_reply(dispatcher, error)


async def create_links(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    cart: list[dict[str, Any]],
    model: str,
    key: str,
) -> list[dict[str, Any]]:
    """POST /payments per employer in the cart; utter each payment's link. Returns the payments."""
    by_employer: dict[int, list[str]] = {}
    for item in cart:
        by_employer.setdefault(int(item["employer_id"]), []).append(item["reference"])
    made: list[dict[str, Any]] = []
    client = backend_client.backend()
    for employer_id, refs in by_employer.items():
        try:
            answer = await backend_client.create_payment(
                client,
                tracker.sender_id,
                {
                    "employer_id": employer_id,
                    "references": refs,
                    "business_model": model,
                    "idempotency_key": f"{key}-e{employer_id}"[:100],
                },
            )
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return made
        except backend_client.BackendError as error:
            _refusal(dispatcher, error)
            continue
        payments = answer.get("payments") or []
        if answer.get("split") or len(payments) > 1:
            dispatcher.utter_message(response="utter_pay_split", count=len(payments))
        for payment in payments:
            dispatcher.utter_message(
                response="utter_pay_link",
                amount=display_amount(payment.get("amount")),
                seller_order_no=payment.get("seller_order_no"),
                json_message=_link_message(payment),
            )
            made.append(payment)
    return made


class ActionCreatePayment(Action):
    def name(self) -> str:
        return "action_create_payment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        cart = selected(tracker)
        model = tracker.get_slot("pay_model") or "B2C"
        done = [SlotSet("pay_selection", None), SlotSet("pay_model", None)]
        if not cart:
            dispatcher.utter_message(response="utter_pay_nothing_unpaid")
            return done
        nonce = tracker.get_slot("pay_nonce") or uuid.uuid4().hex
        key = f"chat-{nonce}-{model}"
        await create_links(dispatcher, tracker, cart, model, key)
        return done


def _reason_response(code: str | None) -> str:
    return f"utter_payment_reason_{REASONS.get(str(code or ''), 'other')}"


class ActionPaymentResult(Action):
    """The bank's answer, told in the chat where the user paid (or asked about the latest)."""

    def name(self) -> str:
        return "action_payment_result"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        payment_id = None
        for entity in tracker.latest_message.get("entities") or []:
            if entity.get("entity") == "payment_id":
                payment_id = entity.get("value")
        client = backend_client.backend()
        try:
            if payment_id not in (None, ""):
                payment = await backend_client.get_payment(
                    client, tracker.sender_id, int(payment_id)
                )
            else:
                payment = await backend_client.latest_payment(client, tracker.sender_id)
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return [SlotSet("payment_id", None)]
        except (backend_client.BackendError, ValueError):
            dispatcher.utter_message(response="utter_payment_unknown")
            return [SlotSet("payment_id", None)]
        facts = {
            "fpx_txn_id": payment.get("fpx_txn_id") or "-",
            "seller_order_no": payment.get("seller_order_no") or "-",
            "bank_name": payment.get("bank_name") or "-",
            "amount": display_amount(payment.get("amount")),
        }
        state = payment.get("state")
        if state == "successful":
            receipt = payment.get("receipt") or {}
            dispatcher.utter_message(
                response="utter_payment_success",
                receipt_no=receipt.get("receipt_no") or "-",
                **facts,
            )
            if receipt.get("pdf_url"):
                dispatcher.utter_message(
                    response="utter_payment_receipt",
                    receipt_no=receipt.get("receipt_no"),
                    json_message={
                        "document": {
                            "url": receipt["pdf_url"],
                            "filename": f"{receipt.get('receipt_no') or 'receipt'}.pdf",
                        }
                    },
                )
            language = current_language(tracker)
            for notice in payment.get("fclb_notices") or []:
                dispatcher.utter_message(
                    response="utter_payment_fclb",
                    notice_no=notice.get("notice_no"),
                    reference=notice.get("reference"),
                    month_label=month_label(notice.get("month") or "2000-01", language),
                    days_late=notice.get("days_late"),
                    due_date=display_date(notice.get("due_date")),
                    interest=display_amount(notice.get("interest")),
                )
        elif state == "pending_authoriser":
            dispatcher.utter_message(response="utter_payment_pending", **facts)
        elif state == "failed":
            code = payment.get("debit_auth_code") or payment.get("outcome") or "-"
            dispatcher.utter_message(response="utter_payment_failed", code=code, **facts)
            dispatcher.utter_message(response=_reason_response(code))
            await self._retry(dispatcher, tracker, payment)
        else:  # created: not paid yet
            dispatcher.utter_message(
                response="utter_pay_link",
                amount=facts["amount"],
                seller_order_no=facts["seller_order_no"],
                json_message=_link_message(payment),
            )
        return [SlotSet("payment_id", None)]

    async def _retry(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, failed: dict[str, Any]
    ) -> None:
        """A fresh link for the failed payment's ACR/ECRs still unpaid (one per failure)."""
        refs = {item.get("reference") for item in failed.get("items") or []}
        try:
            items = await unpaid_items(tracker.sender_id)
        except (backend_client.BackendUnavailable, backend_client.BackendError):
            return
        cart = [i for i in items if i["reference"] in refs]
        if not cart:
            return
        dispatcher.utter_message(response="utter_payment_retry")
        model = failed.get("business_model") or "B2C"
        await create_links(dispatcher, tracker, cart, model, f"retry-of-{failed.get('id')}")


# --- QRG 8: bank counter ---------------------------------------------------------------------


class ActionStartBankSlip(Action):
    def name(self) -> str:
        return "action_start_bank_slip"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        items = await _items_or_reply(dispatcher, tracker, "utter_slip_nothing")
        if items is None:
            return [SlotSet("slip_ready", False)]
        events: list[EventType] = [
            SlotSet("pay_unpaid", items),
            SlotSet("slip_reference", None),
            SlotSet("slip_ready", True),
        ]
        refs = references_in(tracker.latest_message.get("text") or "", items)
        if len(items) == 1:
            refs = [items[0]["reference"]]
        if refs:
            events.append(SlotSet("slip_reference", refs[0]))
        return events


class ActionAskSlipReference(Action):
    def name(self) -> str:
        return "action_ask_slip_reference"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        items = tracker.get_slot("pay_unpaid") or []
        language = current_language(tracker)
        buttons = [
            {
                "title": f"{i['reference']} ({month_label(i['month'], language)}) "
                f"RM{display_amount(i['amount'])}",
                "payload": f'/inform{{"choice":"{i["reference"]}"}}',
            }
            for i in items[:8]
        ]
        dispatcher.utter_message(response="utter_ask_slip_reference", buttons=buttons)
        return []


class ValidateBankCounterForm(AnswersOnlyFormValidation):
    def name(self) -> str:
        return "validate_bank_counter_form"

    async def validate_slip_reference(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        refs = references_in(chosen(value, tracker), tracker.get_slot("pay_unpaid") or [])
        if not refs:
            dispatcher.utter_message(response="utter_invalid_slip_reference")
            return {"slip_reference": None}
        return {"slip_reference": refs[0]}


class ActionBankSlip(Action):
    """The QRG 8 slip as a PDF, the banks that take it and when it reaches the counter."""

    def name(self) -> str:
        return "action_bank_slip"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reference = tracker.get_slot("slip_reference")
        done = [SlotSet("slip_reference", None)]
        item = next(
            (i for i in tracker.get_slot("pay_unpaid") or [] if i["reference"] == reference), None
        )
        if item is None:
            dispatcher.utter_message(response="utter_slip_nothing")
            return done
        try:
            data = await backend_client.contribution_slips(
                backend_client.backend(), tracker.sender_id, int(item["contribution_id"])
            )
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return done
        except backend_client.BackendError as error:
            _account_reply(dispatcher, error)
            return done
        slip = next((s for s in data.get("slips") or [] if s.get("reference") == reference), None)
        if slip is None:
            dispatcher.utter_message(response="utter_slip_nothing")
            return done
        language = current_language(tracker)
        banks = list(slip.get("banks_ms" if language == "ms" else "banks") or [])
        if not banks:  # an older backend: English names only
            banks = [b.replace("(cash only)", "(tunai sahaja)") for b in slip.get("banks") or []]
        joiner = " atau " if language == "ms" else " or "
        dispatcher.utter_message(
            response="utter_slip_ready",
            reference=reference,
            amount=display_amount(slip.get("amount")),
            banks=", ".join(banks[:-1]) + joiner + banks[-1] if len(banks) > 1 else "".join(banks),
            available_on=display_date(slip.get("counter_available_on")),
        )
        dispatcher.utter_message(
            response="utter_slip_document",
            reference=reference,
            json_message={"document": {"url": slip["pdf_url"], "filename": f"{reference}.pdf"}},
        )
        return done
