"""QRG 5-6 actions against the real backend app (in process, its own SQLite database).

The amounts the chat shows come from the backend; the test checks them to the sen against the
PERKESO CSV tables in ``shared/domain`` (read here, independently of ``backend/domain/rates.py``).
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.actions import backend_client
from bot.actions import contributions as flow
from bot.actions.contributions import (
    ActionAnswerDeadline,
    ActionAnswerLateInterest,
    ActionAskContribConfirm,
    ActionAskContribMonth,
    ActionAskContribWage,
    ActionContributionRateAside,
    ActionContributionTextFile,
    ActionFinishContribution,
    ActionStartContribution,
    ValidateContributionForm,
    month_from_text,
    parse_wage,
)
from tests.actions.conftest import make_tracker, responses, run, slot_values
from tests.backend.contribution_helpers import seed
from tests.backend.helpers import install_clock
from tests.conftest import SERVICE_TOKEN

SENDER = "web-boss"
FORM = "contribution_form"
TABLES = Path(__file__).resolve().parents[2] / "backend" / "data" / "rates"
TODAY = date(2026, 11, 26)


def table_row(name: str, wage: Decimal) -> dict[str, str]:
    """The band of ``wage`` in a CSV table: 'exceeds from-0.01 but not to'."""
    with (TABLES / name).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    for row in rows:
        if Decimal(row["wage_from"]) <= wage <= Decimal(row["wage_to"]):
            return row
    return rows[-1]  # above the ceiling: the top row


def expected_local(wage: Decimal) -> dict[str, Decimal]:
    socso = table_row("socso_cat1.csv", wage)
    eis = table_row("eis.csv", wage)
    skbbk = table_row("socso_skbbk_2026.csv", wage)
    return {
        "socso": Decimal(socso["employer_rm"]) + Decimal(socso["employee_rm"]),
        "eis": Decimal(eis["employer_rm"]) + Decimal(eis["employee_rm"]),
        "skbbk": Decimal(skbbk["skbbk_employee_cat1_rm"]),
    }


@pytest.fixture
def real_backend(backend_app, backend_settings, monkeypatch):
    backend_client.configure(
        transport=httpx.ASGITransport(app=backend_app),
        base_url="http://testserver",
        token=SERVICE_TOKEN,
    )
    clock = install_clock(backend_app)
    clock.now = datetime(2026, 11, 26, 3, 0)
    monkeypatch.setattr(flow, "today", lambda: TODAY)
    yield backend_settings
    backend_client.configure()


def params(messages: list[dict[str, Any]], response: str) -> dict[str, Any]:
    for message in messages:
        if message.get("response") == response:
            return message
    raise AssertionError(f"{response} not in {responses(messages)}")


class Chat:
    """Feeds answers to the form's validator as Rasa would, keeping the slots between turns."""

    def __init__(self, domain: dict[str, Any], slots: dict[str, Any]) -> None:
        self.domain = domain
        self.slots = dict(slots)

    async def answer(self, slot: str, typed: str, intent: str = "inform") -> list[dict[str, Any]]:
        entities = []
        value: Any = typed
        if typed.startswith("/inform"):
            entities = [{"entity": "choice", "value": typed.split('"')[3]}]
        tracker = make_tracker(
            slots=self.slots,
            text=typed,
            intent=intent,
            entities=entities,
            active_loop=FORM,
            requested_slot=slot,
            slot_events={slot: value},
            sender_id=SENDER,
        )
        events, messages = await run(ValidateContributionForm(), tracker, self.domain)
        self.slots.update({slot: value})
        self.slots.update(slot_values(events))
        return messages

    async def ask(self, action: Any) -> list[dict[str, Any]]:
        tracker = make_tracker(slots=self.slots, sender_id=SENDER, active_loop=FORM)
        _, messages = await run(action, tracker, self.domain)
        return messages


async def start(
    domain: dict[str, Any],
    text: str = "submit contribution",
    pending: str = "October 2026",
    kind: str = "Monthly",
) -> Chat:
    events, messages = await run(
        ActionStartContribution(),
        make_tracker(text=text, intent="submit_contribution", sender_id=SENDER),
        domain,
    )
    slots = slot_values(events)
    assert slots["contrib_ready"] is True
    assert "utter_contrib_pending" in responses(messages)
    listed = params(messages, "utter_contrib_pending")["pending"]
    assert listed.startswith(f"- {pending} ({kind}): SOCSO + EIS") and "overdue" in listed
    return Chat(domain, {k: v for k, v in slots.items() if v is not None})


def test_pure_helpers() -> None:
    assert month_from_text("bulan lepas", TODAY) == "2026-10"
    assert month_from_text("last month please", TODAY) == "2026-10"
    assert month_from_text("Oktober 2026", TODAY) == "2026-10"
    assert month_from_text("10/2026", TODAY) == "2026-10"
    assert month_from_text("abc", TODAY) is None
    assert parse_wage("3,000.50") == (Decimal("3000.50"), None)
    assert parse_wage("RM3k") == (Decimal("3000.00"), None)
    assert parse_wage("-100") == (None, "utter_invalid_contrib_wage_negative")
    assert parse_wage("tiga ribu") == (Decimal("3000.00"), None)
    assert parse_wage("tiga ribu lima ratus") == (Decimal("3500.00"), None)
    assert parse_wage("three thousand") == (Decimal("3000.00"), None)
    assert parse_wage("gaji dia RM2,500") == (Decimal("2500.00"), None)
    assert parse_wage("0") == (None, "utter_invalid_contrib_wage_zero")
    assert month_from_text("previous month", TODAY) == "2026-10"
    assert month_from_text("okt 26", TODAY) == "2026-10"
    assert flow.parse_day("20hb Oktober 2026") == date(2026, 10, 20)
    assert parse_wage("abc") == (None, "utter_invalid_contrib_wage")
    assert parse_wage("1.234") == (None, "utter_invalid_contrib_wage_decimals")
    assert parse_wage("x" * 10_000) == (None, "utter_invalid_contrib_wage")
    assert parse_wage("2000000")[1] == "utter_invalid_contrib_wage_too_large"


async def test_not_logged_in(domain, real_backend) -> None:
    events, messages = await run(
        ActionStartContribution(), make_tracker(sender_id="web-nobody"), domain
    )
    assert responses(messages) == ["utter_registration_login_first"]
    assert slot_values(events) == {"contrib_ready": False}


async def test_submit_a_month_end_to_end(domain, real_backend) -> None:
    seed(real_backend, sender_id=SENDER)
    chat = await start(domain)
    assert chat.slots["contrib_employer_id"]  # the only employer: not asked
    await chat.answer("act", '/inform{"choice":"both"}')
    assert chat.slots["act"] == "both"
    # A future month and words are refused with the reason; the month is asked again.
    messages = await chat.answer("contrib_month", "Disember 2026")
    assert responses(messages) == ["utter_invalid_contrib_month_future"]
    assert chat.slots["contrib_month"] is None
    messages = await chat.answer("contrib_month", "abc")
    assert responses(messages) == ["utter_invalid_contrib_month"]
    await chat.answer("contrib_month", "October 2026")
    assert chat.slots["contrib_month"] == "2026-10"
    messages = await chat.answer("contrib_type", '/inform{"choice":"Monthly"}')
    assert responses(messages) == ["utter_contrib_lines_intro"]
    lines = chat.slots["contrib_lines"]
    assert [line["name"] for line in lines] == [
        "Siti Nurhaliza binti Ahmad",
        "Tan Ah Kow",
        "Rahim Uddin",
    ]
    asked = await chat.ask(ActionAskContribWage())
    question = params(asked, "utter_ask_contrib_wage_registered")
    assert (question["position"], question["count"], question["prefill"]) == (1, 3, "1,950.00")
    assert question["buttons"][0]["payload"] == '/inform{"choice":"same"}'

    # Employee 1: same as the prefill.
    messages = await chat.answer("contrib_wage", '/inform{"choice":"same"}')
    done = params(messages, "utter_contrib_line_done")
    want = expected_local(Decimal("1950.00"))
    assert done["socso"] == f"{want['socso']:,.2f}" and done["eis"] == f"{want['eis']:,.2f}"
    assert done["running_total"] == f"{sum(want.values()):,.2f}"
    # Employee 2: bad answers first, each with a specific reply; nothing is saved for them.
    for typed, reply in [
        ("abc", "utter_invalid_contrib_wage"),
        ("-100", "utter_invalid_contrib_wage_negative"),
        ("0", "utter_invalid_contrib_wage_zero"),
        ("1.234", "utter_invalid_contrib_wage_decimals"),
        ("x" * 10_000, "utter_invalid_contrib_wage"),
    ]:
        messages = await chat.answer("contrib_wage", typed)
        assert responses(messages) == [reply], typed
        assert chat.slots["contrib_index"] == 1
    messages = await chat.answer("contrib_wage", "3,000.50")
    done = params(messages, "utter_contrib_line_done")
    assert done["wage"] == "3,000.50"
    # Employee 3 (foreign): unpaid leave → status T, no wages, no contribution.
    messages = await chat.answer("contrib_wage", '/inform{"choice":"T"}')
    assert params(messages, "utter_contrib_line_done")["socso"] == "0.00"
    assert chat.slots["contrib_wage"] == "done"

    view = chat.slots["contrib_view"]
    assert [x["status"] for x in view["lines"]] == ["working", "working", "T"]
    tan = expected_local(Decimal("3000.50"))  # the RM3,000.01-3,100 band
    assert (
        Decimal(view["lines"][1]["socso_employer"]) + Decimal(view["lines"][1]["socso_employee"])
        == tan["socso"]
    )
    total = sum(want.values()) + sum(tan.values())
    assert Decimal(view["total_amount"]) == total

    summary = await chat.ask(ActionAskContribConfirm())
    shown = params(summary, "utter_ask_contrib_confirm")
    assert shown["total"] == f"{total:,.2f}" and shown["count"] == 3
    assert [b["payload"] for b in shown["buttons"][:2]] == [
        '/inform{"choice":"submit"}',
        '/inform{"choice":"save"}',
    ]
    # Correction from the summary: employee 2 again, then straight back to the summary.
    await chat.answer("contrib_confirm", '/inform{"choice":"edit:2"}')
    assert chat.slots["contrib_index"] == 1 and chat.slots["contrib_edit_one"] is True
    await chat.answer("contrib_wage", "2950")
    assert chat.slots["contrib_wage"] == "done" and chat.slots["contrib_index"] == 3
    tan = expected_local(Decimal("2950.00"))
    total = sum(want.values()) + sum(tan.values())
    assert Decimal(chat.slots["contrib_view"]["total_amount"]) == total

    await chat.answer("contrib_confirm", '/inform{"choice":"submit"}')
    assert chat.slots["contrib_confirm"] == "submit"
    await chat.answer("contrib_submit_confirm", "no", intent="deny")
    assert chat.slots["contrib_confirm"] is None  # back to the summary, nothing submitted
    await chat.answer("contrib_confirm", '/inform{"choice":"submit"}')
    await chat.answer("contrib_submit_confirm", "yes", intent="affirm")
    assert chat.slots["contrib_submit_confirm"] == "yes"

    events, messages = await run(
        ActionFinishContribution(), make_tracker(slots=chat.slots, sender_id=SENDER), domain
    )
    ack = params(messages, "utter_contrib_submitted")
    assert "ACR" in ack["references"] and "ECR" in ack["references"]
    assert ack["total"] == f"{total:,.2f}" and ack["count"] == 3
    assert ack["medium"] == "Data Entry"
    assert responses(messages)[-2:] == ["utter_contrib_due", "utter_contrib_pay_next"]
    assert slot_values(events)["contrib_id"] is None  # the form is cleared

    # The same month and type again: refused with the existing ACR (no longer pending).
    chat = await start(domain, pending="September 2026", kind="Arrears")
    await chat.answer("act", "both")
    await chat.answer("contrib_month", "bulan lepas")
    messages = await chat.answer("contrib_type", "bulanan")
    refused = params(messages, "utter_contrib_already_submitted")
    assert refused["references"] == ack["references"]
    assert chat.slots["contrib_month"] is None and chat.slots["contrib_type"] is None


async def test_left_employee_asks_the_date_and_draft_is_continued(domain, real_backend) -> None:
    seed(real_backend, sender_id=SENDER)
    chat = await start(domain)
    await chat.answer("act", "SOCSO only")
    assert chat.slots["act"] == "act4"
    await chat.answer("contrib_month", "10/2026")
    await chat.answer("contrib_type", "Monthly")
    await chat.answer("contrib_wage", '/inform{"choice":"H"}')
    form = ValidateContributionForm()
    tracker = make_tracker(slots=chat.slots, sender_id=SENDER, active_loop=FORM)
    required = await form.required_slots([], None, tracker, domain)  # type: ignore[arg-type]
    assert "contrib_event_date" in required
    messages = await chat.answer("contrib_event_date", "20/09/2026")
    assert responses(messages) == ["utter_invalid_contrib_event_date"]
    await chat.answer("contrib_event_date", "20/10/2026")
    assert chat.slots["contrib_lines"][0]["event_date"] == "2026-10-20"
    tracker = make_tracker(slots=chat.slots, sender_id=SENDER, active_loop=FORM)
    required = await form.required_slots([], None, tracker, domain)  # type: ignore[arg-type]
    assert "contrib_event_date" not in required
    await chat.answer("contrib_wage", "1200")
    assert chat.slots["contrib_view"]["lines"][0]["status"] == "H"
    await chat.answer("contrib_confirm", "save draft")
    assert chat.slots["contrib_confirm"] == "save"
    _, messages = await run(
        ActionFinishContribution(), make_tracker(slots=chat.slots, sender_id=SENDER), domain
    )
    assert responses(messages) == ["utter_contrib_saved"]
    # Coming back: the saved draft is continued, with the line kept.
    chat = await start(domain)
    await chat.answer("act", "act 4")
    await chat.answer("contrib_month", "October 2026")
    messages = await chat.answer("contrib_type", "Monthly")
    assert responses(messages) == ["utter_contrib_draft_found", "utter_contrib_lines_intro"]
    assert chat.slots["contrib_lines"][0]["status"] == "H"


async def test_deadline_interest_text_file_and_rate_aside(domain, real_backend) -> None:
    seed(real_backend, sender_id=SENDER)
    _, messages = await run(
        ActionAnswerDeadline(),
        make_tracker(text="when is the deadline for September 2026", sender_id=SENDER),
        domain,
    )
    assert params(messages, "utter_deadline")["due_date"] == "15/10/2026"
    assert params(messages, "utter_deadline_overdue")["days_late"] == 42

    _, messages = await run(
        ActionAnswerLateInterest(),
        make_tracker(text="late interest on RM500 for September 2026", sender_id=SENDER),
        domain,
    )
    fclb = params(messages, "utter_late_interest")
    # 500 × 6% × 42/365 = 3.46 → the RM5 minimum per month or part-month late (2 months) = 10.
    assert fclb["days_late"] == 42 and fclb["raw"] == "3.46" and fclb["interest"] == "10.00"
    assert fclb["step"] == "5.00"
    _, messages = await run(
        ActionAnswerLateInterest(), make_tracker(text="berapa faedah lewat bayar"), domain
    )
    assert responses(messages) == ["utter_late_interest_need_amount"]

    _, messages = await run(
        ActionContributionTextFile(),
        make_tracker(text="give me the text file for October", sender_id=SENDER),
        domain,
    )
    document = params(messages, "utter_contrib_textfile")["custom"]["document"]
    assert document["filename"] == "E1100050233Z_102026.txt"
    # The link downloads the 278-character records.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=backend_client._transport.app),  # type: ignore[union-attr]
        base_url="http://testserver",
    ) as web:
        path = document["url"].split("://", 1)[1].split("/", 1)[1]
        res = await web.get("/" + path)
    assert res.status_code == 200
    records = res.content.decode("ascii").split("\r\n")
    assert [len(r) for r in records if r] == [278, 278, 278]

    _, messages = await run(
        ActionContributionRateAside(),
        make_tracker(
            text="how much SOCSO for RM3000?",
            intent="ask_contribution_rate",
            slots={"contrib_month": "2026-10"},
        ),
        domain,
    )
    quote = params(messages, "utter_rate_quote")
    assert quote["socso_employer"] == "51.65" and quote["socso_employee"] == "14.75"


async def test_start_prefills_act_and_a_past_month_only(domain, real_backend) -> None:
    seed(real_backend, sender_id=SENDER)
    events, _ = await run(
        ActionStartContribution(),
        make_tracker(text="submit EIS for October 2026", sender_id=SENDER),
        domain,
    )
    slots = slot_values(events)
    assert slots["act"] == "act800" and slots["contrib_month"] == "2026-10"
    events, _ = await run(
        ActionStartContribution(),
        make_tracker(text="nak hantar caruman bulan ni", sender_id=SENDER),
        domain,
    )
    slots = slot_values(events)
    assert slots["contrib_month"] is None and slots["act"] is None  # asked, not assumed


async def test_form_start_validates_no_cleared_slot(domain, real_backend) -> None:
    """Right after the start action, its cleared slots are no answers: no error replies, and the
    pending list is not shown a second time for the prefilled employer."""
    ids = seed(real_backend, sender_id=SENDER)
    employer = {"id": ids["employer_id"], "name": "TAN HARDWARE SDN BHD", "code": "E1100050233Z"}
    tracker = make_tracker(
        slots={"contrib_employers": [employer]},
        text="submit contribution",
        intent="submit_contribution",
        active_loop=FORM,
        slot_events={
            "contrib_wage": None,
            "contrib_month": None,
            "contrib_confirm": None,
            "contrib_employer_id": str(ids["employer_id"]),
        },
        sender_id=SENDER,
    )
    events, messages = await run(ValidateContributionForm(), tracker, domain)
    assert messages == []
    assert slot_values(events)["requested_slot"] == "act"


def contributions_in_db(settings) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(month, status) of every contribution row the backend holds."""
    from sqlalchemy import select

    from backend.db import get_sessionmaker
    from backend.models import Contribution

    with get_sessionmaker(settings.database_url)() as db:
        return [(r.month, r.status) for r in db.scalars(select(Contribution))]


async def cancel(chat: Chat) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    tracker = make_tracker(
        slots=chat.slots, text="cancel", intent="cancel", active_loop=FORM, sender_id=SENDER
    )
    events, messages = await run(flow.ActionCancelContribution(), tracker, chat.domain)
    assert any(e["event"] == "active_loop" and e["name"] is None for e in events)
    return slot_values(events), messages


async def test_cancel_deletes_the_draft_it_created(domain, real_backend) -> None:
    """What the reply says is what the backend holds: the draft this form made is gone."""
    seed(real_backend, sender_id=SENDER)
    chat = await start(domain)
    await chat.answer("act", "both")
    await chat.answer("contrib_month", "bulan lepas")
    await chat.answer("contrib_type", "Monthly")
    await chat.answer("contrib_wage", "same")
    assert contributions_in_db(real_backend) == [("2026-10", "draft")]
    slots, messages = await cancel(chat)
    reply = params(messages, "utter_contrib_cancelled_deleted")
    assert reply["month_label"] == "October 2026"
    assert contributions_in_db(real_backend) == []
    assert slots["contrib_id"] is None and slots["contrib_month"] is None
    # Starting again creates a fresh draft (no "continuing your draft").
    chat = await start(domain)
    await chat.answer("act", "both")
    await chat.answer("contrib_month", "October 2026")
    messages = await chat.answer("contrib_type", "Monthly")
    assert responses(messages) == ["utter_contrib_lines_intro"]


async def test_cancel_keeps_a_draft_saved_earlier(domain, real_backend) -> None:
    seed(real_backend, sender_id=SENDER)
    chat = await start(domain)
    await chat.answer("act", "both")
    await chat.answer("contrib_month", "10/2026")
    await chat.answer("contrib_type", "Monthly")
    await chat.answer("contrib_wage", "2,000")
    await chat.answer("contrib_wage", "same")
    await chat.answer("contrib_wage", "same")
    await chat.answer("contrib_confirm", "save draft")
    await run(ActionFinishContribution(), make_tracker(slots=chat.slots, sender_id=SENDER), domain)
    # Continued in a later session, then cancelled: the saved draft stays, and the reply says so.
    chat = await start(domain)
    await chat.answer("act", "both")
    await chat.answer("contrib_month", "Oktober 2026")
    messages = await chat.answer("contrib_type", "bulanan")
    assert responses(messages)[0] == "utter_contrib_draft_found"
    _, messages = await cancel(chat)
    assert params(messages, "utter_contrib_cancelled_kept")["month_label"] == "October 2026"
    assert contributions_in_db(real_backend) == [("2026-10", "draft")]


async def test_cancel_before_any_draft(domain, real_backend) -> None:
    seed(real_backend, sender_id=SENDER)
    chat = await start(domain)
    await chat.answer("act", "both")
    _, messages = await cancel(chat)
    assert responses(messages) == ["utter_cancelled"]
    assert contributions_in_db(real_backend) == []


async def test_backend_refuses_to_delete_a_submitted_month(domain, real_backend) -> None:
    seed(real_backend, sender_id=SENDER)
    chat = await start(domain)
    await chat.answer("act", "both")
    await chat.answer("contrib_month", "October 2026")
    await chat.answer("contrib_type", "Monthly")
    contribution_id = int(chat.slots["contrib_id"])
    client = backend_client.backend()
    await backend_client.complete_contribution(client, SENDER, contribution_id)
    await backend_client.submit_contribution(client, SENDER, contribution_id)
    with pytest.raises(backend_client.BackendError) as refused:
        await client.request(
            "DELETE", f"/api/v1/contributions/{contribution_id}", params={"sender_id": SENDER}
        )
    assert refused.value.code == "already_submitted"
    # Another chat cannot delete it either (not logged in).
    with pytest.raises(backend_client.BackendError):
        await client.request(
            "DELETE", f"/api/v1/contributions/{contribution_id}", params={"sender_id": "web-x"}
        )
    assert contributions_in_db(real_backend) == [("2026-10", "submitted")]
    _, messages = await cancel(chat)
    assert responses(messages) == ["utter_contrib_cancel_failed"]


async def test_wages_in_words_and_short_forms(domain, real_backend) -> None:
    """'tiga ribu', 'RM3k', '3,000.50', 'three thousand' are wages; the amounts are the table's."""
    seed(real_backend, sender_id=SENDER)
    chat = await start(domain, text="hantar caruman")
    chat.slots["language"] = "ms"
    await chat.answer("act", "kedua-dua")
    await chat.answer("contrib_month", "bulan lepas")
    assert chat.slots["contrib_month"] == "2026-10"
    await chat.answer("contrib_type", "bulanan")
    messages = await chat.answer("contrib_wage", "tiga ribu")
    done = params(messages, "utter_contrib_line_done")
    want = expected_local(Decimal("3000.00"))
    assert done["wage"] == "3,000.00" and done["socso"] == f"{want['socso']:,.2f}"
    messages = await chat.answer("contrib_wage", "RM3k")
    assert params(messages, "utter_contrib_line_done")["wage"] == "3,000.00"
    messages = await chat.answer("contrib_wage", "3,000.50")
    assert params(messages, "utter_contrib_line_done")["wage"] == "3,000.50"
    assert [x["wage"] for x in chat.slots["contrib_view"]["lines"]] == [
        "3000.00",
        "3000.00",
        "3000.50",
    ]
    # Correction of employee 1 in English words.
    await chat.answer("contrib_confirm", '/inform{"choice":"edit:1"}')
    messages = await chat.answer("contrib_wage", "three thousand five hundred")
    assert params(messages, "utter_contrib_line_done")["wage"] == "3,500.00"


async def test_left_employee_date_in_words_and_zero_wage(domain, real_backend) -> None:
    seed(real_backend, sender_id=SENDER)
    chat = await start(domain)
    await chat.answer("act", "both")
    await chat.answer("contrib_month", "Oktober 2026")
    await chat.answer("contrib_type", "Monthly")
    await chat.answer("contrib_wage", '/inform{"choice":"H"}')
    await chat.answer("contrib_event_date", "3hb Oktober 2026")
    assert chat.slots["contrib_lines"][0]["event_date"] == "2026-10-03"
    messages = await chat.answer("contrib_wage", "0")  # left on the 3rd, nothing paid: fine
    assert params(messages, "utter_contrib_line_done")["socso"] == "0.00"
    assert chat.slots["contrib_view"]["lines"][0]["status"] == "H"
    messages = await chat.answer("contrib_wage", "0")  # a working employee: not a wage
    assert responses(messages) == ["utter_invalid_contrib_wage_zero"]


async def test_arrears_and_short_follow_the_month(domain, real_backend) -> None:
    """Arrears is "an earlier month never submitted" and Short "a top-up of an underpaid month":
    Arrears for a submitted month is refused with its ACR; Short needs the month submitted."""
    seed(real_backend, sender_id=SENDER)
    chat = await start(domain)
    await chat.answer("act", "both")
    await chat.answer("contrib_month", "September 2026")
    messages = await chat.answer("contrib_type", "Short")
    assert responses(messages) == ["utter_contrib_short_nothing_submitted"]
    assert chat.slots["contrib_type"] is None and chat.slots["contrib_month"] == "2026-09"
    await chat.answer("contrib_type", "Monthly")
    contribution_id = int(chat.slots["contrib_id"])
    client = backend_client.backend()
    await backend_client.complete_contribution(client, SENDER, contribution_id)
    submitted = await backend_client.submit_contribution(client, SENDER, contribution_id)

    chat = await start(domain)
    await chat.answer("act", "both")
    await chat.answer("contrib_month", "09/2026")
    messages = await chat.answer("contrib_type", "tunggakan")
    refused = params(messages, "utter_contrib_already_submitted")
    assert submitted["acr_no"] in refused["references"]
    await chat.answer("contrib_month", "09/2026")
    messages = await chat.answer("contrib_type", "kurang bayar")
    assert responses(messages) == ["utter_contrib_lines_intro"]  # a top-up draft


async def test_pending_list_gives_each_month_its_type(domain, real_backend) -> None:
    """The pending list labels the current due month Monthly and earlier unsubmitted months
    Arrears (the backend's rule); a month button from it starts the draft with that type, and
    an Arrears month once submitted leaves the list."""
    seed(real_backend, sender_id=SENDER)
    _, messages = await run(
        ActionStartContribution(),
        make_tracker(text="submit contribution", intent="submit_contribution", sender_id=SENDER),
        domain,
    )
    listed = params(messages, "utter_contrib_pending")["pending"].splitlines()
    assert listed[0].startswith("- October 2026 (Monthly): SOCSO + EIS, due 15/11/2026")
    assert listed[1].startswith("- September 2026 (Arrears): SOCSO + EIS")
    assert all("(Arrears)" in line for line in listed[1:])
    _, messages = await run(
        ActionStartContribution(),
        make_tracker(
            slots={"language": "ms"},
            text="hantar caruman",
            intent="submit_contribution",
            sender_id=SENDER,
        ),
        domain,
    )
    malay = params(messages, "utter_contrib_pending")["pending"].splitlines()
    assert "Oktober 2026 (Bulanan)" in malay[0] and "September 2026 (Tunggakan)" in malay[1]

    chat = await start(domain)
    await chat.answer("act", "both")
    asked = params(await chat.ask(ActionAskContribMonth()), "utter_ask_contrib_month")
    assert [(b["title"], b["payload"]) for b in asked["buttons"][:2]] == [
        ("October 2026 (Monthly)", '/inform{"choice":"2026-10 Monthly"}'),
        ("September 2026 (Arrears)", '/inform{"choice":"2026-09 Arrears"}'),
    ]
    # The September button: month and type at once, the draft is opened as Arrears.
    messages = await chat.answer("contrib_month", '/inform{"choice":"2026-09 Arrears"}')
    assert responses(messages) == ["utter_contrib_lines_intro"]
    assert chat.slots["contrib_month"] == "2026-09" and chat.slots["contrib_type"] == "Arrears"
    contribution_id = int(chat.slots["contrib_id"])
    client = backend_client.backend()
    row = await backend_client.complete_contribution(client, SENDER, contribution_id)
    assert (row["type"], row["month"]) == ("Arrears", "2026-09")
    submitted = await backend_client.submit_contribution(client, SENDER, contribution_id)
    assert submitted["acr_no"].startswith("ACR")

    chat = await start(domain)  # October still Monthly; September no longer owed
    await chat.answer("act", "both")
    asked = params(await chat.ask(ActionAskContribMonth()), "utter_ask_contrib_month")
    titles = [b["title"] for b in asked["buttons"]]
    assert titles[0] == "October 2026 (Monthly)" and "September 2026 (Arrears)" not in titles
    # Typed, not chosen: the type is still asked.
    await chat.answer("contrib_month", "August 2026")
    assert chat.slots["contrib_month"] == "2026-08" and chat.slots.get("contrib_type") is None
