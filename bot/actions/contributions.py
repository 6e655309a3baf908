"""QRG 5-6: submit a month's SOCSO (Act 4) and EIS (Act 800) contributions in chat.

``submit_contribution`` → ``action_start_contribution`` (login check, employers, the pending
list) → ``contribution_form``: employer (when the account holds several), ``act``, month, type,
then each employee's wages ("same as last month?"), a summary with SAVE DRAFT / SUBMIT / change,
and "Proceed for submission?". Every answer is saved to the backend's draft at once (``PUT
…/lines``), so the amounts shown are the backend's, from the rate tables, and an abandoned form
leaves a draft that the next ``submit_contribution`` for the same month continues.

Also: the month's ASSIST v2.0 text file as a download, the due date and the late-payment
interest (FCLB) from the public deadlines endpoint (the same code the backend uses).
"""

from __future__ import annotations

import logging
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions import backend_client, normalise
from bot.actions.form_validation import AnswersOnlyFormValidation
from bot.actions.language import current_language
from bot.actions.rates import display_amount, find_amount, month_label
from bot.actions.registration import chosen, match_option

logger = logging.getLogger(__name__)

FORM = "contribution_form"
FORM_SLOTS = (
    "contrib_employer_id",
    "act",
    "contrib_month",
    "contrib_type",
    "contrib_event_date",
    "contrib_wage",
    "contrib_confirm",
    "contrib_submit_confirm",
)
STATE_SLOTS = ("contrib_id", "contrib_lines", "contrib_index", "contrib_edit_one", "contrib_view")
MAX_WAGE = Decimal("1000000.00")
FIRST_MONTH = "2016-06"
FIRST_EIS_MONTH = "2018-01"
MAX_BUTTONS = 8
MAX_ASKED_LINES = 20  # more employees than this: the summary, not one question each
MAX_SUMMARY_LINES = 20

ACTS = [
    {"code": "both", "name_en": "SOCSO + EIS", "name_ms": "PERKESO + SIP"},
    {"code": "act4", "name_en": "SOCSO (Act 4)", "name_ms": "PERKESO (Akta 4)"},
    {"code": "act800", "name_en": "EIS (Act 800)", "name_ms": "SIP (Akta 800)"},
]
ACT_ALIASES = {
    "both": ("both", "kedua dua", "kedua", "semua", "all", "socso and eis", "perkeso dan sip"),
    "act4": ("socso", "perkeso", "act 4", "akta 4", "socso only", "perkeso sahaja", "act4"),
    "act800": ("eis", "sip", "act 800", "akta 800", "eis only", "sip sahaja", "act800"),
}
TYPES = [
    {"code": "Monthly", "name_en": "Monthly", "name_ms": "Bulanan"},
    {"code": "Arrears", "name_en": "Arrears", "name_ms": "Tunggakan"},
    {"code": "Short", "name_en": "Short", "name_ms": "Kurang bayar"},
]
TYPE_ALIASES = {
    "Monthly": ("monthly", "bulanan", "normal", "biasa"),
    "Arrears": ("arrears", "arrear", "tunggakan", "late month"),
    "Short": ("short", "kurang bayar", "kekurangan", "top up", "topup", "underpaid"),
}
# Statuses a user can give on the wage question (B/H also come from the employment dates).
STATUSES = {
    "T": {"en": "unpaid leave", "ms": "cuti tanpa gaji"},
    "S": {"en": "on PERKESO sick leave", "ms": "cuti sakit PERKESO"},
    "H": {"en": "left", "ms": "berhenti"},
    "M": {"en": "died", "ms": "meninggal dunia"},
    "B": {"en": "new this month", "ms": "baharu bulan ini"},
}
STATUS_ALIASES = {
    "T": ("unpaid leave", "cuti tanpa gaji", "unpaid", "tanpa gaji", "no pay"),
    "S": ("sick leave", "cuti sakit", "sick", "sakit", "mc"),
    "H": ("left", "resigned", "berhenti", "quit", "berhenti kerja", "terminated"),
    "M": ("died", "passed away", "meninggal", "meninggal dunia", "deceased"),
}
SAME_WORDS = ("same", "sama", "yes", "ya", "yup", "ok", "okay", "betul", "same as last month")
MEDIUMS = {
    "data_entry": ("Data Entry", "Kemasukan Data"),
    "text_file": ("Text File", "Fail Teks"),
    "csv": ("CSV", "CSV"),
    "xlsx": ("Excel", "Excel"),
}
_PREVIOUS_MONTH = re.compile(r"(?i)\bprevious month\b")  # a synonym normalise does not know
_EDIT = re.compile(r"(?i)^\s*(?:edit:|change|ubah|tukar)\s*(\d+)\s*$")


def today() -> date:
    return date.today()


# --- small pure helpers ---------------------------------------------------------------------


def previous_month(day: date) -> str:
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def month_from_text(text: str | None, now: date) -> str | None:
    """'October 2026', 'Oktober 2026', '10/2026', 'last month', 'bulan lepas' → 'YYYY-MM'.

    The project's one month extractor (:func:`bot.actions.normalise.find_month`); None when the
    text names no month."""
    return normalise.find_month(_PREVIOUS_MONTH.sub("last month", str(text or "")), now)


def check_month(month: str, act: str | None, now: date) -> str | None:
    """Why the month cannot take a contribution (a response name), or None."""
    current = f"{now.year:04d}-{now.month:02d}"
    if month > current:
        return "utter_invalid_contrib_month_future"
    if month < FIRST_MONTH or (act == "act800" and month < FIRST_EIS_MONTH):
        return "utter_invalid_contrib_month_early"
    return None


def money(value: Any) -> Decimal:
    try:
        return Decimal(str(value or "0"))
    except (InvalidOperation, ValueError):
        return Decimal("0")


def act_label(act: str | None, language: str) -> str:
    for row in ACTS:
        if row["code"] == act:
            return row["name_ms"] if language == "ms" else row["name_en"]
    return str(act or "-")


def type_label(kind: str | None, language: str) -> str:
    for row in TYPES:
        if row["code"] == kind:
            return row["name_ms"] if language == "ms" else row["name_en"]
    return str(kind or "-")


def display_date(iso: Any) -> str:
    try:
        return date.fromisoformat(str(iso)).strftime("%d/%m/%Y")
    except ValueError:
        return str(iso or "-")


def parse_day(text: Any) -> date | None:
    """'20/10/2026', '20hb Oktober 2026', '2026-10-20', 'semalam' → a date (day first)."""
    return normalise.find_date(str(text or ""), today())


def references_text(view: dict[str, Any], language: str) -> str:
    parts = []
    if view.get("acr_no"):
        label = "PERKESO" if language == "ms" else "SOCSO"
        parts.append(f"ACR {view['acr_no']} ({label} RM{display_amount(view.get('act4_amount'))})")
    if view.get("ecr_no"):
        label = "SIP" if language == "ms" else "EIS"
        parts.append(
            f"ECR {view['ecr_no']} ({label} RM{display_amount(view.get('act800_amount'))})"
        )
    return ", ".join(parts) or "-"


def pending_text(pending: list[dict[str, Any]], language: str) -> str:
    lines = []
    for row in pending:
        acts = " + ".join(
            ("PERKESO" if a == "act4" else "SIP")
            if language == "ms"
            else ("SOCSO" if a == "act4" else "EIS")
            for a in row.get("acts_missing") or []
        )
        due = display_date(row.get("due_date"))
        late = ""
        if row.get("overdue"):
            late = " — lewat" if language == "ms" else " — overdue"
        kind = type_label(row.get("type"), language)
        word = "tarikh akhir" if language == "ms" else "due"
        lines.append(
            f"- {month_label(row['month'], language)} ({kind}): {acts}, {word} {due}{late}"
        )
    return "\n".join(lines)


def line_shares(line: dict[str, Any]) -> tuple[Decimal, Decimal, Decimal]:
    socso = money(line.get("socso_employer")) + money(line.get("socso_employee"))
    eis = money(line.get("eis_employer")) + money(line.get("eis_employee"))
    return socso, eis, money(line.get("skbbk_employee"))


def lines_payload(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chat's working lines as the backend's LineIn list."""
    out = []
    for line in lines:
        item: dict[str, Any] = {"employee_id": line["employee_id"], "status": line.get("status")}
        item["status"] = item["status"] or "working"
        if line.get("wage") is not None:
            item["wage"] = str(line["wage"])
        if line.get("event_date"):
            item["event_date"] = line["event_date"]
        out.append(item)
    return out


WAGE_PROBLEMS = {
    "money_negative": "utter_invalid_contrib_wage_negative",
    "money_too_many_decimals": "utter_invalid_contrib_wage_decimals",
    "wage_not_positive": "utter_invalid_contrib_wage_zero",
}


def parse_wage(text: str) -> tuple[Decimal | None, str | None]:
    """A typed wage → (amount, None) or (None, the response explaining what is accepted).

    The shapes are :func:`bot.actions.normalise.parse_wage`'s ('RM3k', '3,000.50', 'tiga ribu',
    'three thousand'); a sentence around a figure ('gaji dia RM2500') is searched for the
    figure. Zero is refused with a pointer to the S/T statuses (a month without wages)."""
    candidate = " ".join(str(text or "").split())
    if len(candidate) > 200:
        return None, "utter_invalid_contrib_wage"
    try:
        wage = normalise.parse_wage(candidate)
    except normalise.NormaliseError as error:
        sentence = error.code == "money_not_a_number" and re.search(r"[^\W\d_]{2}", candidate)
        found = find_amount(candidate) if sentence else None
        if found and found != candidate:
            return parse_wage(found)
        return None, WAGE_PROBLEMS.get(error.code, "utter_invalid_contrib_wage")
    if wage > MAX_WAGE:
        return wage, "utter_invalid_contrib_wage_too_large"
    return wage, None


# --- backend calls --------------------------------------------------------------------------


async def registered_employers(sender_id: str) -> list[dict[str, Any]]:
    listing = await backend_client.backend().list_registrations(sender_id)
    return [
        {
            "id": int(row["id"]),
            "name": row.get("employer_name") or row.get("reference") or "-",
            "code": row.get("employer_code") or "-",
        }
        for row in listing.get("registrations") or []
        if row.get("status") != "draft" and row.get("employer_code")
    ]


def _employer(tracker: Tracker) -> dict[str, Any]:
    wanted = str(tracker.get_slot("contrib_employer_id") or "")
    for row in tracker.get_slot("contrib_employers") or []:
        if str(row.get("id")) == wanted:
            return row
    return {"id": int(wanted) if wanted.isdigit() else 0, "name": "-", "code": "-"}


def _account_reply(dispatcher: CollectingDispatcher, error: backend_client.BackendError) -> None:
    if error.code == "not_logged_in":
        dispatcher.utter_message(response="utter_registration_login_first")
    elif error.code == "terms_not_accepted":
        dispatcher.utter_message(response="utter_registration_terms_first")
    else:
        logger.info("contribution call refused: %s %s", error.status, error.code)
        dispatcher.utter_message(response="utter_contrib_no_employer")


async def show_pending(
    dispatcher: CollectingDispatcher, tracker: Tracker, employer: dict[str, Any]
) -> list[dict[str, Any]]:
    """The portal's "Employer Contribution Pending List", shown before anything is asked."""
    try:
        data = await backend_client.contribution_pending(
            backend_client.backend(), tracker.sender_id, int(employer["id"])
        )
    except (backend_client.BackendUnavailable, backend_client.BackendError) as error:
        logger.info("pending list unavailable: %s", error)
        return []
    pending = data.get("pending") or []
    language = current_language(tracker)
    if pending:
        dispatcher.utter_message(
            response="utter_contrib_pending",
            employer_name=employer["name"],
            employer_code=employer["code"],
            pending=pending_text(pending, language),
        )
    else:
        dispatcher.utter_message(
            response="utter_contrib_pending_none", employer_name=employer["name"]
        )
    return pending


# --- start ----------------------------------------------------------------------------------


def _act_from_text(text: str) -> str | None:
    lowered = f" {text.lower()} "
    has_eis = bool(re.search(r"\b(eis|sip|act 800|akta 800)\b", lowered))
    has_socso = bool(re.search(r"\b(socso|perkeso|act 4|akta 4)\b", lowered))
    if has_eis and has_socso:
        return "both"
    if has_eis:
        return "act800"
    if re.search(r"\b(act 4|akta 4)\b", lowered) and not has_eis:
        return "act4"
    return None


class ActionStartContribution(Action):
    """Login and employer checks, a fresh form, the pending list when the employer is known."""

    def name(self) -> str:
        return "action_start_contribution"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        not_ready = [SlotSet("contrib_ready", False)]
        try:
            employers = await registered_employers(tracker.sender_id)
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return not_ready
        except backend_client.BackendError as error:
            _account_reply(dispatcher, error)
            return not_ready
        if not employers:
            dispatcher.utter_message(response="utter_contrib_no_employer")
            return not_ready
        events: list[EventType] = [SlotSet(s, None) for s in (*FORM_SLOTS, *STATE_SLOTS)]
        events += [SlotSet("contrib_employers", employers), SlotSet("contrib_ready", True)]
        text = tracker.latest_message.get("text") or ""
        if len(employers) == 1:
            events.append(SlotSet("contrib_employer_id", str(employers[0]["id"])))
            await show_pending(dispatcher, tracker, employers[0])
        act = _act_from_text(text)
        if act:
            events.append(SlotSet("act", act))
        month = month_from_text(text, today()) if not text.startswith("/") else None
        current = today().strftime("%Y-%m")
        # "this month" has not ended: asked, not assumed.
        if month and month < current and check_month(month, act, today()) is None:
            events.append(SlotSet("contrib_month", month))
        return events


class ActionAskContribEmployerId(Action):
    def name(self) -> str:
        return "action_ask_contrib_employer_id"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        buttons = [
            {
                "title": f"{row['name']} ({row['code']})",
                "payload": f'/inform{{"choice":"{row["id"]}"}}',
            }
            for row in (tracker.get_slot("contrib_employers") or [])[:MAX_BUTTONS]
        ]
        dispatcher.utter_message(response="utter_ask_contrib_employer_id", buttons=buttons)
        return []


class ActionAskContribMonth(Action):
    """The month question, with the pending months as buttons."""

    def name(self) -> str:
        return "action_ask_contrib_month"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = current_language(tracker)
        buttons = []
        employer = _employer(tracker)
        if employer.get("id"):
            try:
                data = await backend_client.contribution_pending(
                    backend_client.backend(), tracker.sender_id, int(employer["id"])
                )
                buttons = [
                    {
                        "title": f"{month_label(row['month'], language)} "
                        f"({type_label(row.get('type'), language)})",
                        "payload": f'/inform{{"choice":"{pending_choice(row)}"}}',
                    }
                    for row in (data.get("pending") or [])[:4]
                ]
            except (backend_client.BackendUnavailable, backend_client.BackendError):
                buttons = []
        dispatcher.utter_message(response="utter_ask_contrib_month", buttons=buttons)
        return []


_PENDING_CHOICE = re.compile(r"^\s*(\d{4}-\d{2}) (Monthly|Arrears)\s*$")


def pending_choice(row: dict[str, Any]) -> str:
    """A pending-list month button's code, '2026-09 Arrears': the month and the type the
    backend's pending list gives it (one rule, ``pending_type`` in the contributions service)."""
    kind = row.get("type") if row.get("type") in ("Monthly", "Arrears") else None
    return f"{row['month']} {kind}" if kind else str(row["month"])


def type_from_pending_choice(text: str) -> str | None:
    """The type carried by a pending-list button ('2026-09 Arrears' → 'Arrears'), else None:
    a month typed by the user still gets the type question."""
    match = _PENDING_CHOICE.match(text or "")
    return match.group(2) if match else None


def _current(tracker: Tracker) -> tuple[list[dict[str, Any]], int]:
    lines = list(tracker.get_slot("contrib_lines") or [])
    index = int(tracker.get_slot("contrib_index") or 0)
    return lines, index


class ActionAskContribWage(Action):
    """'Employee 2 of 3: NAME. Wages for October 2026? Last month: RM2,950.00. Same?'"""

    def name(self) -> str:
        return "action_ask_contrib_wage"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = current_language(tracker)
        lines, index = _current(tracker)
        if not lines or index >= len(lines):
            dispatcher.utter_message(response="utter_invalid_contrib_choice")
            return []
        line = lines[index]
        status = line.get("status")
        note = ""
        if status in STATUSES and status != "working":
            note = f" ({STATUSES[status][language]}"
            if line.get("event_date"):
                note += f" {display_date(line['event_date'])}"
            note += ")"
        prefill = display_amount(line.get("prefill") or line.get("wage") or "0.00")
        same = "Sama" if language == "ms" else "Same"
        buttons = [{"title": f"{same}: RM{prefill}", "payload": '/inform{"choice":"same"}'}]
        for code in ("T", "S", "H", "M"):
            buttons.append(
                {
                    "title": STATUSES[code][language].capitalize() + f" ({code})",
                    "payload": f'/inform{{"choice":"{code}"}}',
                }
            )
        if line.get("from_draft"):
            response = "utter_ask_contrib_wage_draft"
        elif line.get("from_last_month"):
            response = "utter_ask_contrib_wage"
        else:
            response = "utter_ask_contrib_wage_registered"
        dispatcher.utter_message(
            response=response,
            position=index + 1,
            count=len(lines),
            name=line.get("name") or "-",
            status_note=note,
            prefill=prefill,
            month_label=month_label(tracker.get_slot("contrib_month") or "2000-01", language),
            buttons=buttons,
        )
        return []


def summary_lines(view: dict[str, Any], language: str) -> str:
    rows = []
    every = view.get("lines") or []
    for n, line in enumerate(every[:MAX_SUMMARY_LINES], start=1):
        socso, eis, skbbk = line_shares(line)
        status = line.get("status")
        note = f" [{status}]" if status and status != "working" else ""
        label = ("PERKESO", "SIP") if language == "ms" else ("SOCSO", "EIS")
        text = (
            f"{n}. {line.get('name')}{note}: RM{display_amount(line.get('wage'))} → "
            f"{label[0]} RM{display_amount(socso)}, {label[1]} RM{display_amount(eis)}"
        )
        if skbbk:
            text += f", SKBBK RM{display_amount(skbbk)}"
        rows.append(text)
    if len(every) > MAX_SUMMARY_LINES:
        more = len(every) - MAX_SUMMARY_LINES
        rows.append(f"… +{more} " + ("lagi" if language == "ms" else "more"))
    return "\n".join(rows)


class ActionAskContribConfirm(Action):
    """The summary (QRG 5's list before SUBMIT) with SUBMIT / SAVE DRAFT / change buttons."""

    def name(self) -> str:
        return "action_ask_contrib_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = current_language(tracker)
        view = tracker.get_slot("contrib_view") or {}
        employer = _employer(tracker)
        if language == "ms":
            buttons = [
                {"title": "Hantar", "payload": '/inform{"choice":"submit"}'},
                {"title": "Simpan draf", "payload": '/inform{"choice":"save"}'},
            ]
            change = "Ubah"
        else:
            buttons = [
                {"title": "Submit", "payload": '/inform{"choice":"submit"}'},
                {"title": "Save draft", "payload": '/inform{"choice":"save"}'},
            ]
            change = "Change"
        for n, line in enumerate((view.get("lines") or [])[:5], start=1):
            first = str(line.get("name") or "").split(" ")[0]
            buttons.append(
                {"title": f"{change} {n}. {first}", "payload": f'/inform{{"choice":"edit:{n}"}}'}
            )
        dispatcher.utter_message(
            response="utter_ask_contrib_confirm",
            employer_name=employer.get("name", "-"),
            month_label=month_label(tracker.get_slot("contrib_month") or "2000-01", language),
            type_label=type_label(tracker.get_slot("contrib_type"), language),
            act_label=act_label(tracker.get_slot("act"), language),
            lines=summary_lines(view, language),
            count=view.get("total_employees", 0),
            act4_amount=display_amount(view.get("act4_amount") or "0.00"),
            act800_amount=display_amount(view.get("act800_amount") or "0.00"),
            total=display_amount(view.get("total_amount") or "0.00"),
            buttons=buttons,
        )
        return []


# --- the form -------------------------------------------------------------------------------


class ValidateContributionForm(AnswersOnlyFormValidation):
    def name(self) -> str:
        return "validate_contribution_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        slots = ["contrib_employer_id", "act", "contrib_month", "contrib_type"]
        lines, index = _current(tracker)
        if lines and index < len(lines):
            line = lines[index]
            if line.get("status") in ("H", "M") and not line.get("event_date"):
                slots.append("contrib_event_date")
        slots += ["contrib_wage", "contrib_confirm"]
        if tracker.get_slot("contrib_confirm") == "submit":
            slots.append("contrib_submit_confirm")
        return slots

    async def validate_contrib_employer_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        employers = tracker.get_slot("contrib_employers") or []
        wanted = chosen(value, tracker)
        options = [
            {"code": str(e["id"]), "name_en": e["name"], "name_ms": e["name"]} for e in employers
        ]
        aliases = {str(e["id"]): (str(e["code"]).lower(),) for e in employers}
        code = match_option(wanted, options, aliases)
        if code is None:
            dispatcher.utter_message(response="utter_invalid_contrib_choice")
            return {"contrib_employer_id": None}
        employer = next(e for e in employers if str(e["id"]) == code)
        if tracker.get_slot("requested_slot") == "contrib_employer_id":
            # The user's choice (the start action already showed it for a single employer).
            await show_pending(dispatcher, tracker, employer)
        return {"contrib_employer_id": code}

    async def validate_act(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = chosen(value, tracker)
        code = match_option(text, ACTS, ACT_ALIASES) or _act_from_text(text)
        if code is None:
            dispatcher.utter_message(response="utter_invalid_contrib_choice")
            return {"act": None}
        return {"act": code}

    async def validate_contrib_month(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = chosen(value, tracker)
        now = today()
        month = month_from_text(text, now)
        language = current_language(tracker)
        if month is None:
            dispatcher.utter_message(response="utter_invalid_contrib_month")
            return {"contrib_month": None}
        problem = check_month(month, tracker.get_slot("act"), now)
        if problem:
            dispatcher.utter_message(response=problem, month_label=month_label(month, language))
            return {"contrib_month": None}
        kind = type_from_pending_choice(text)
        if kind and not tracker.get_slot("contrib_type"):
            # Chosen from the pending list: the form goes on with the type the list gave it.
            return {
                "contrib_month": month,
                **await self._open_draft(kind, dispatcher, tracker, month),
            }
        return {"contrib_month": month}

    async def validate_contrib_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = match_option(chosen(value, tracker), TYPES, TYPE_ALIASES)
        if code is None:
            dispatcher.utter_message(response="utter_invalid_contrib_choice")
            return {"contrib_type": None}
        return await self._open_draft(code, dispatcher, tracker)

    async def _open_draft(
        self,
        kind: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        month: str | None = None,
    ) -> dict[str, Any]:
        """Refuse a month already submitted; continue a saved draft; else create one.

        ``month``: the month being answered in this same turn (a pending-list button), not yet
        in the tracker's slot."""
        language = current_language(tracker)
        month = month or str(tracker.get_slot("contrib_month"))
        act = str(tracker.get_slot("act") or "both")
        employer = _employer(tracker)
        client = backend_client.backend()
        overlapping = ("act4", "act800", "both") if act == "both" else (act, "both")
        retry = {"contrib_type": None}
        try:
            listing = await backend_client.list_contributions(
                client, tracker.sender_id, int(employer["id"])
            )
            rows = listing.get("contributions") or []
            # Monthly and Arrears are the same month's contribution (on time or late): either
            # submitted blocks the other; a Short top-up only blocks another Short.
            clashing = ("Monthly", "Arrears") if kind in ("Monthly", "Arrears") else ("Short",)
            for row in rows:
                if (
                    row.get("status") == "submitted"
                    and row.get("month") == month
                    and row.get("type") in clashing
                    and row.get("act") in overlapping
                ):
                    dispatcher.utter_message(
                        response="utter_contrib_already_submitted",
                        type_label=type_label(kind, language),
                        month_label=month_label(month, language),
                        references=references_text(row, language),
                    )
                    return {"contrib_type": None, "contrib_month": None}
            draft = next(
                (
                    r
                    for r in rows
                    if r.get("status") in ("draft", "completed")
                    and r.get("month") == month
                    and r.get("type") == kind
                    and r.get("act") == act
                ),
                None,
            )
            if draft is not None:
                dispatcher.utter_message(
                    response="utter_contrib_draft_found", month_label=month_label(month, language)
                )
                view = draft
            else:
                view = await backend_client.create_contribution(
                    client,
                    tracker.sender_id,
                    {"employer_id": int(employer["id"]), "month": month, "type": kind, "act": act},
                )
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return retry
        except backend_client.BackendError as error:
            if error.code == "no_employees":
                dispatcher.utter_message(
                    response="utter_contrib_no_employees_month",
                    month_label=month_label(month, language),
                )
                return {"contrib_type": None, "contrib_month": None}
            if error.code == "nothing_to_top_up":
                dispatcher.utter_message(
                    response="utter_contrib_short_nothing_submitted",
                    month_label=month_label(month, language),
                )
                return {"contrib_type": None}
            if error.code == "already_submitted":
                dispatcher.utter_message(
                    response="utter_contrib_already_submitted",
                    type_label=type_label(kind, language),
                    month_label=month_label(month, language),
                    references=references_text(error.data, language),
                )
                return {"contrib_type": None, "contrib_month": None}
            if error.code == "invalid_month":
                dispatcher.utter_message(
                    response="utter_invalid_contrib_month_future",
                    month_label=month_label(month, language),
                )
                return {"contrib_type": None, "contrib_month": None}
            _account_reply(dispatcher, error)
            return retry
        # A saved draft keeps its own wages; a new one offers last month's.
        previous = {} if draft is not None else last_month_wages(rows, month, view.get("id"))
        lines = []
        for line in view.get("lines") or []:
            before = previous.get(line.get("employee_id"))
            lines.append(
                {
                    "employee_id": line.get("employee_id"),
                    "name": line.get("name"),
                    "status": line.get("status") or "working",
                    "event_date": line.get("event_date"),
                    "wage": line.get("wage"),
                    "prefill": before if before is not None else line.get("wage"),
                    "from_last_month": before is not None,
                    "from_draft": draft is not None,
                }
            )
        slots = {
            "contrib_type": kind,
            "contrib_id": view.get("id"),
            "contrib_lines": lines,
            "contrib_index": 0,
            "contrib_view": view,
            "contrib_wage": None,
        }
        if len(lines) > MAX_ASKED_LINES:
            # An imported payroll of hundreds: straight to the summary, change by number.
            dispatcher.utter_message(response="utter_contrib_many_lines", count=len(lines))
            return {**slots, "contrib_index": len(lines), "contrib_wage": "done"}
        dispatcher.utter_message(
            response="utter_contrib_lines_intro",
            count=len(lines),
            month_label=month_label(month, language),
        )
        return slots

    async def validate_contrib_event_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        lines, index = _current(tracker)
        month = str(tracker.get_slot("contrib_month") or "")
        try:
            day: date | None = normalise.parse_date(chosen(value, tracker), today())
        except normalise.NormaliseError:
            day = None
        if day is None or day.strftime("%Y-%m") != month or day > today():
            dispatcher.utter_message(
                response="utter_invalid_contrib_event_date",
                month_label=month_label(month or "2000-01", current_language(tracker)),
            )
            return {"contrib_event_date": None}
        lines[index] = {**lines[index], "event_date": day.isoformat()}
        # Not kept: the next employee who leaves is asked afresh (required_slots follows the line).
        return {"contrib_event_date": None, "contrib_lines": lines}

    async def validate_contrib_wage(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        lines, index = _current(tracker)
        if not lines or index >= len(lines):
            return {"contrib_wage": "done"}
        line = dict(lines[index])
        text = chosen(value, tracker)
        lowered = " ".join(text.lower().split())
        status = (
            match_option(
                lowered,
                [{"code": c, "name_en": c, "name_ms": c} for c in STATUS_ALIASES],
                STATUS_ALIASES,
            )
            if not re.search(r"\d", lowered)
            else None
        )
        if status in ("H", "M"):
            lines[index] = {**line, "status": status, "event_date": None}
            return {"contrib_wage": None, "contrib_lines": lines}
        if status in ("S", "T"):
            line.update({"status": status, "wage": "0.00", "event_date": None})
        elif lowered in SAME_WORDS or text == "same":
            line["wage"] = str(line.get("prefill") or line.get("wage") or "0.00")
        else:
            wage, problem = parse_wage(text)
            if problem == "utter_invalid_contrib_wage_zero" and line.get("status") in STATUSES:
                wage, problem = Decimal("0.00"), None  # left, new, died…: nothing paid is fine
            if problem:
                dispatcher.utter_message(
                    response=problem, wage=display_amount(wage) if wage is not None else ""
                )
                return {"contrib_wage": None}
            line["wage"] = str(wage)
            if line.get("status") in ("S", "T") and wage:
                line["status"] = "working"  # wages paid after all
        lines[index] = line
        return await self._save_line(lines, index, dispatcher, tracker)

    async def _save_line(
        self,
        lines: list[dict[str, Any]],
        index: int,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> dict[str, Any]:
        """PUT every line (the backend's amounts), say this one's shares and the running total."""
        contribution_id = tracker.get_slot("contrib_id")
        try:
            view = await backend_client.update_contribution_lines(
                backend_client.backend(),
                tracker.sender_id,
                int(contribution_id or 0),
                lines_payload(lines),
            )
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return {"contrib_wage": None}
        except backend_client.BackendError as error:
            logger.info("line refused: %s %s", error.code, error.message)
            line = lines[index]
            dispatcher.utter_message(
                response="utter_contrib_line_refused",
                name=line.get("name") or "-",
                reason=error.message or error.code,
            )
            if line.get("status") in ("H", "M"):
                lines[index] = {**line, "event_date": None}
                return {"contrib_wage": None, "contrib_lines": lines}
            return {"contrib_wage": None}
        saved = (view.get("lines") or [])[index] if index < len(view.get("lines") or []) else {}
        socso, eis, skbbk = line_shares(saved)
        language = current_language(tracker)
        skbbk_note = f", SKBBK RM{display_amount(skbbk)}" if skbbk else ""
        dispatcher.utter_message(
            response="utter_contrib_line_done",
            name=saved.get("name") or lines[index].get("name") or "-",
            wage=display_amount(saved.get("wage") or lines[index].get("wage")),
            socso=display_amount(socso),
            eis=display_amount(eis),
            skbbk_note=skbbk_note,
            running_total=display_amount(running_total(view, index)),
        )
        del language
        next_index = len(lines) if tracker.get_slot("contrib_edit_one") else index + 1
        slots: dict[str, Any] = {
            "contrib_lines": lines,
            "contrib_index": next_index,
            "contrib_view": view,
            "contrib_edit_one": None,
        }
        slots["contrib_wage"] = "done" if next_index >= len(lines) else None
        return slots

    async def validate_contrib_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = chosen(value, tracker).strip()
        lowered = text.lower()
        lines, _ = _current(tracker)
        edit = _EDIT.match(text)
        if edit:
            number = int(edit.group(1))
            if 1 <= number <= len(lines):
                return {
                    "contrib_confirm": None,
                    "contrib_index": number - 1,
                    "contrib_edit_one": True,
                    "contrib_wage": None,
                }
            dispatcher.utter_message(response="utter_invalid_contrib_confirm")
            return {"contrib_confirm": None}
        if lowered in ("submit", "hantar", "complete", "lengkap") or "submit" in lowered:
            return {"contrib_confirm": "submit"}
        if lowered in ("save", "save draft", "simpan", "simpan draf", "draft", "draf"):
            return {"contrib_confirm": "save", "contrib_submit_confirm": "skip"}
        dispatcher.utter_message(response="utter_invalid_contrib_confirm")
        return {"contrib_confirm": None}

    async def validate_contrib_submit_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = chosen(value, tracker).strip().lower()
        if text in ("yes", "confirm", "sahkan", "ya", "submit", "hantar"):
            return {"contrib_submit_confirm": "yes"}
        # "Back": the summary again, nothing submitted.
        return {"contrib_submit_confirm": None, "contrib_confirm": None}


def last_month_wages(rows: list[dict[str, Any]], month: str, exclude_id: Any) -> dict[Any, str]:
    """Each employee's wage in the month before ``month`` (submitted first, else any draft)."""
    year, mon = (int(p) for p in month.split("-"))
    before = previous_month(date(year, mon, 1))
    candidates = [r for r in rows if r.get("month") == before and r.get("id") != exclude_id]
    candidates.sort(key=lambda r: (r.get("status") != "submitted", -int(r.get("id") or 0)))
    out: dict[Any, str] = {}
    for row in candidates:
        for line in row.get("lines") or []:
            out.setdefault(line.get("employee_id"), line.get("wage"))
    return out


def running_total(view: dict[str, Any], index: int) -> Decimal:
    """Employer + employee shares of the lines answered so far (up to ``index``)."""
    total = Decimal("0")
    for line in (view.get("lines") or [])[: index + 1]:
        socso, eis, skbbk = line_shares(line)
        total += socso + eis + skbbk
    return total


# --- after the form -------------------------------------------------------------------------


class ActionFinishContribution(Action):
    """SAVE DRAFT, or COMPLETE + SUBMIT → the ACR/ECR acknowledgement and what to do next."""

    def name(self) -> str:
        return "action_finish_contribution"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = current_language(tracker)
        month = str(tracker.get_slot("contrib_month") or "2000-01")
        done = [SlotSet(s, None) for s in (*FORM_SLOTS, *STATE_SLOTS)]
        contribution_id = tracker.get_slot("contrib_id")
        if tracker.get_slot("contrib_confirm") == "save" or not contribution_id:
            dispatcher.utter_message(
                response="utter_contrib_saved", month_label=month_label(month, language)
            )
            return done
        if tracker.get_slot("contrib_submit_confirm") != "yes":
            dispatcher.utter_message(
                response="utter_contrib_saved", month_label=month_label(month, language)
            )
            return done
        client = backend_client.backend()
        try:
            await backend_client.complete_contribution(
                client, tracker.sender_id, int(contribution_id)
            )
            view = await backend_client.submit_contribution(
                client, tracker.sender_id, int(contribution_id)
            )
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return done
        except backend_client.BackendError as error:
            if error.code == "already_submitted":
                dispatcher.utter_message(
                    response="utter_contrib_already_submitted",
                    type_label=type_label(tracker.get_slot("contrib_type"), language),
                    month_label=month_label(month, language),
                    references=references_text(error.data, language),
                )
            else:
                dispatcher.utter_message(
                    response="utter_contrib_submit_failed", reason=error.message or error.code
                )
            return done
        medium = MEDIUMS.get(view.get("medium") or "data_entry", ("Data Entry", "Kemasukan Data"))
        dispatcher.utter_message(
            response="utter_contrib_submitted",
            references=references_text(view, language),
            medium=medium[1] if language == "ms" else medium[0],
            month_label=month_label(view.get("month") or month, language),
            type_label=type_label(view.get("type"), language),
            count=view.get("total_employees", 0),
            total=display_amount(view.get("total_amount") or "0.00"),
        )
        due = view.get("due_date")
        if due:
            overdue = date.fromisoformat(due) < today()
            note = ""
            if overdue:
                note = (
                    "Bulan ini sudah lewat: FCLB akan dikenakan semasa pembayaran."
                    if language == "ms"
                    else "This month is already late: FCLB will be added when you pay."
                )
            dispatcher.utter_message(
                response="utter_contrib_due", due_date=display_date(due), late_note=note
            )
        dispatcher.utter_message(response="utter_contrib_pay_next")
        return done


class ActionCancelContribution(Action):
    """ "Cancel" inside the contribution form: the reply says what happened to the draft.

    Every answer was already saved to a backend draft, so clearing the slots alone would leave
    that draft behind while saying it was cleared. A draft this form created is deleted (the
    user asked to cancel, not to save: SAVE DRAFT is the button for that). A draft saved earlier
    and only continued here is kept, since deleting work saved in another session would
    surprise the user; the reply says so and how to continue it.
    """

    def name(self) -> str:
        return "action_cancel_contribution"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = [SlotSet(s, None) for s in (*FORM_SLOTS, *STATE_SLOTS)]
        events += [SlotSet("requested_slot", None), ActiveLoop(None)]
        contribution_id = tracker.get_slot("contrib_id")
        label = month_label(
            str(tracker.get_slot("contrib_month") or "2000-01"), current_language(tracker)
        )
        if not contribution_id:
            dispatcher.utter_message(response="utter_cancelled")
            return events
        lines = tracker.get_slot("contrib_lines") or []
        if any(line.get("from_draft") for line in lines):
            dispatcher.utter_message(response="utter_contrib_cancelled_kept", month_label=label)
            return events
        try:
            await backend_client.backend().request(
                "DELETE",
                f"/api/v1/contributions/{int(contribution_id)}",
                params={"sender_id": tracker.sender_id},
            )
        except backend_client.BackendError as error:
            gone = error.code == "contribution_not_found"  # already gone: the reply holds
            if not gone:
                logger.info("draft %s not deleted: %s", contribution_id, error.code)
                dispatcher.utter_message(response="utter_contrib_cancel_failed", month_label=label)
                return events
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_contrib_cancel_failed", month_label=label)
            return events
        dispatcher.utter_message(response="utter_contrib_cancelled_deleted", month_label=label)
        return events


class ActionContributionTextFile(Action):
    """'Give me the text file for October': the v2.0 file as a download (signed link)."""

    def name(self) -> str:
        return "action_contribution_text_file"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = current_language(tracker)
        now = today()
        month = month_from_text(tracker.latest_message.get("text"), now) or previous_month(now)
        if check_month(month, None, now):
            month = previous_month(now)
        try:
            employers = await registered_employers(tracker.sender_id)
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return []
        except backend_client.BackendError as error:
            _account_reply(dispatcher, error)
            return []
        if not employers:
            dispatcher.utter_message(response="utter_contrib_no_employer")
            return []
        for employer in employers[:MAX_BUTTONS]:
            try:
                link = await backend_client.contribution_textfile_link(
                    backend_client.backend(), tracker.sender_id, int(employer["id"]), month
                )
            except backend_client.BackendUnavailable:
                dispatcher.utter_message(response="utter_service_unavailable_general")
                return []
            except backend_client.BackendError:
                dispatcher.utter_message(
                    response="utter_contrib_textfile_none", month_label=month_label(month, language)
                )
                continue
            dispatcher.utter_message(
                response="utter_contrib_textfile",
                employer_name=employer["name"],
                month_label=month_label(month, language),
                json_message={"document": {"url": link["url"], "filename": link["filename"]}},
            )
        return []


# --- deadlines and FCLB (the backend's public endpoint: one rule for every caller) ----------


def _month_asked(tracker: Tracker) -> str:
    now = today()
    text = tracker.latest_message.get("text") or ""
    month = month_from_text(text, now)
    return month if month and month <= f"{now.year:04d}-{now.month:02d}" else previous_month(now)


class ActionAnswerDeadline(Action):
    def name(self) -> str:
        return "action_answer_deadline"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = current_language(tracker)
        month = _month_asked(tracker)
        try:
            data = await backend_client.deadline(backend_client.backend(), month)
        except (backend_client.BackendUnavailable, backend_client.BackendError):
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return []
        due = date.fromisoformat(data["due_date"])
        dispatcher.utter_message(
            response="utter_deadline",
            month_label=month_label(month, language),
            due_date=display_date(due.isoformat()),
        )
        if due < today():
            dispatcher.utter_message(
                response="utter_deadline_overdue", days_late=(today() - due).days
            )
        return []


_PAID_ON = re.compile(r"(?i)\b(?:on|pada|paid|bayar|dibayar)\s+(\d{1,2}[/.-]\d{1,2}[/.-]\d{4})")


class ActionAnswerLateInterest(Action):
    """FCLB for an amount of a month paid today (or on the date given)."""

    def name(self) -> str:
        return "action_answer_late_interest"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = current_language(tracker)
        text = tracker.latest_message.get("text") or ""
        month = _month_asked(tracker)
        paid = today()
        found = _PAID_ON.search(text)
        if found and parse_day(found.group(1)):
            paid = parse_day(found.group(1)) or paid
            text = text.replace(found.group(0), " ")
        amount_text = None
        for entity in tracker.latest_message.get("entities") or []:
            if entity.get("entity") == "amount":
                amount_text = str(entity.get("value"))
        amount_text = find_amount(amount_text or text)
        amount = None
        if amount_text:
            amount, problem = parse_wage(amount_text)
            if problem:
                amount = None
        client = backend_client.backend()
        try:
            if amount is None or amount <= 0:
                data = await backend_client.deadline(client, month)
                dispatcher.utter_message(
                    response="utter_late_interest_need_amount",
                    month_label=month_label(month, language),
                    due_date=display_date(data["due_date"]),
                )
                return []
            data = await backend_client.deadline(
                client, month, amount=str(amount), paid_on=paid.isoformat()
            )
        except (backend_client.BackendUnavailable, backend_client.BackendError):
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return []
        fclb = data.get("fclb") or {}
        if not fclb or int(fclb.get("days_late") or 0) == 0:
            dispatcher.utter_message(
                response="utter_late_interest_on_time",
                month_label=month_label(month, language),
                due_date=display_date(data["due_date"]),
                paid_on=display_date(paid.isoformat()),
            )
            return []
        dispatcher.utter_message(
            response="utter_late_interest",
            amount=display_amount(fclb.get("amount")),
            month_label=month_label(month, language),
            due_date=display_date(data["due_date"]),
            paid_on=display_date(fclb.get("paid_on")),
            days_late=fclb.get("days_late"),
            raw=display_amount(fclb.get("raw")),
            interest=display_amount(fclb.get("interest")),
            step=display_amount(data.get("fclb_rounding_step") or "5.00"),
        )
        return []


class ActionContributionRateAside(Action):
    """A rate question in the middle of the contribution form: the quote for the form's month."""

    def name(self) -> str:
        return "action_contribution_rate_aside"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = current_language(tracker)
        text = tracker.latest_message.get("text") or ""
        wage_text = find_amount(text)
        wage, problem = parse_wage(wage_text) if wage_text else (None, "missing")
        if wage is None or problem or wage <= 0:
            dispatcher.utter_message(response="utter_rate_aside_need_wage")
            return [SlotSet("wage_amount", None)]
        month = tracker.get_slot("contrib_month") or month_from_text(text, today())
        month = month or previous_month(today())
        try:
            quote = await backend_client.backend().rate_quote(str(wage), month, category=1)
        except (backend_client.BackendUnavailable, backend_client.BackendError):
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return [SlotSet("wage_amount", None)]
        band = quote.get("band") or {}
        socso = quote.get("socso") or {}
        eis = quote.get("eis") or {}
        dispatcher.utter_message(
            response="utter_rate_quote_top_band" if not band.get("to") else "utter_rate_quote",
            wage=display_amount(quote.get("wage", wage)),
            month_label=month_label(quote.get("month", month), language),
            band_from=display_amount(band.get("from") or "0.00"),
            band_to=display_amount(band.get("to") or "0.00"),
            socso_employer=display_amount(socso.get("employer", "0.00")),
            socso_employee=display_amount(socso.get("employee", "0.00")),
            eis_employer=display_amount(eis.get("employer", "0.00")),
            eis_employee=display_amount(eis.get("employee", "0.00")),
        )
        return [SlotSet("wage_amount", None)]


class ActionImportContributionFile(Action):
    """'Import the good lines only' after a file with errors: the stored upload, skipping them."""

    def name(self) -> str:
        return "action_import_contribution_file"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        upload_id = None
        for entity in tracker.latest_message.get("entities") or []:
            if entity.get("entity") == "upload_id":
                upload_id = str(entity.get("value") or "")
        if not upload_id or not upload_id.isdigit():
            dispatcher.utter_message(response="utter_contrib_import_hint")
            return []
        language = current_language(tracker)
        try:
            result = await backend_client.import_contribution_upload(
                backend_client.backend(), tracker.sender_id, int(upload_id)
            )
        except backend_client.BackendUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable_general")
            return []
        except backend_client.BackendError as error:
            if error.code in ("nothing_to_import", "upload_not_found", "file_has_errors"):
                dispatcher.utter_message(response="utter_contrib_import_nothing")
            else:
                _account_reply(dispatcher, error)
            return []
        view = result.get("contribution") or {}
        dispatcher.utter_message(
            response="utter_contrib_import_done",
            imported=result.get("imported", 0),
            skipped=result.get("skipped", 0),
            month_label=month_label(view.get("month") or "2000-01", language),
            total=display_amount(view.get("total_amount") or "0.00"),
        )
        return []
