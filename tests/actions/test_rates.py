from datetime import date

from bot.actions.rates import (
    ActionQuoteContribution,
    ValidateRateQuoteForm,
    find_amount,
    month_label,
    parse_month,
)
from tests.actions.conftest import Unreachable, error, make_tracker, responses, run, slot_values

QUOTE = "GET /api/v1/rates/quote"
TODAY = date(2026, 11, 26)


def test_parse_month():
    assert parse_month("October 2025", TODAY) == "2025-10"
    assert parse_month("Oktober 2025", TODAY) == "2025-10"
    assert parse_month("bulan mac 2026", TODAY) == "2026-03"
    assert parse_month("2025-09", TODAY) == "2025-09"
    assert parse_month("10/2025", TODAY) == "2025-10"
    assert parse_month("december", TODAY) == "2025-12"
    assert parse_month("no month here", TODAY) is None


def test_find_amount_ignores_the_year():
    assert find_amount("how much SOCSO for RM2,950 for October 2025?") == "2,950"
    assert find_amount("berapa caruman perkeso gaji 3000") == "3000"
    assert find_amount("gaji 3000 bulan Mac 2026") == "3000"
    assert find_amount("contribution rates") is None


def test_month_label():
    assert month_label("2025-10", "en") == "October 2025"
    assert month_label("2025-10", "ms") == "Oktober 2025"


async def validate(domain, value, text=None, intent="inform"):
    tracker = make_tracker(
        text=text or str(value),
        intent=intent,
        active_loop="rate_quote_form",
        requested_slot="wage_amount",
        slot_events={"wage_amount": value},
    )
    events, messages = await run(ValidateRateQuoteForm(), tracker, domain)
    return slot_values(events), messages


async def test_wage_is_parsed_to_two_places(domain):
    slots, _ = await validate(domain, "RM2,950")
    assert slots["wage_amount"] == "2950.00"
    slots, messages = await validate(domain, "banyak")
    assert slots["wage_amount"] is None and responses(messages) == ["utter_invalid_wage"]
    slots, messages = await validate(domain, "RM2,950.555")
    assert responses(messages) == ["utter_invalid_wage_decimals"]


async def test_amount_missed_by_nlu_is_found_in_the_text(domain):
    tracker = make_tracker(
        text="berapa caruman perkeso gaji 3000",
        intent="ask_contribution_rate",
        active_loop="rate_quote_form",
    )
    events, _ = await run(ValidateRateQuoteForm(), tracker, domain)
    assert slot_values(events)["wage_amount"] == "3000.00"


def quote_body(skbbk="0.00"):
    return {
        "month": "2026-06",
        "wage": "2950.00",
        "category": 1,
        "band": {"from": "2900.01", "to": "3000.00"},
        "socso": {"employer": "51.65", "employee": "14.75"},
        "eis": {"employer": "5.90", "employee": "5.90"},
        "skbbk": {"employee": skbbk},
        "rules": [],
    }


async def test_quote_reply(domain, fake_backend):
    fake_backend.routes[QUOTE] = (200, quote_body())
    tracker = make_tracker(slots={"wage_amount": "2950.00", "quote_month": "June 2026"})
    events, messages = await run(ActionQuoteContribution(), tracker, domain)
    params = dict(fake_backend.requests[-1].url.params)
    assert params == {"wage": "2950.00", "month": "2026-06", "category": "1"}
    assert responses(messages) == ["utter_rate_quote", "utter_rate_quote_note"]
    quote = messages[0]
    assert quote["wage"] == "2,950.00" and quote["band_from"] == "2,900.01"
    assert quote["socso_employer"] == "51.65" and quote["eis_employee"] == "5.90"
    assert quote["month_label"] == "June 2026"
    assert slot_values(events) == {"wage_amount": None, "quote_month": None}


async def test_quote_with_skbbk_says_unconfirmed(domain, fake_backend):
    fake_backend.routes[QUOTE] = (200, quote_body("22.15"))
    tracker = make_tracker(slots={"wage_amount": "2950.00", "language": "ms"})
    _, messages = await run(ActionQuoteContribution(), tracker, domain)
    assert responses(messages) == [
        "utter_rate_quote",
        "utter_rate_quote_skbbk",
        "utter_rate_quote_note",
    ]
    assert messages[1]["skbbk_employee"] == "22.15"
    assert params_month(fake_backend) == date.today().strftime("%Y-%m")


def params_month(fake_backend):
    return dict(fake_backend.requests[-1].url.params)["month"]


async def test_quote_rejected_and_unavailable(domain, fake_backend):
    fake_backend.routes[QUOTE] = (422, error("invalid_month"))
    tracker = make_tracker(slots={"wage_amount": "2950.00"})
    _, messages = await run(ActionQuoteContribution(), tracker, domain)
    assert responses(messages) == ["utter_rate_quote_rejected"]
    fake_backend.routes[QUOTE] = Unreachable()
    _, messages = await run(ActionQuoteContribution(), tracker, domain)
    assert responses(messages) == ["utter_service_unavailable_general"]


async def test_no_amount_asks_for_it(domain, fake_backend):
    _, messages = await run(ActionQuoteContribution(), make_tracker(), domain)
    assert responses(messages) == ["utter_ask_wage_amount"]


async def test_wage_above_the_ceiling_uses_the_top_band_reply(domain, fake_backend):
    body = quote_body()
    body["band"] = {"from": "6000.01", "to": None}
    fake_backend.routes[QUOTE] = (200, body)
    tracker = make_tracker(slots={"wage_amount": "6500.00"})
    _, messages = await run(ActionQuoteContribution(), tracker, domain)
    assert messages[0]["response"] == "utter_rate_quote_top_band"
    assert messages[0]["band_from"] == "6,000.01"


async def test_several_amount_entities_pick_the_wage_not_the_year(domain):
    tracker = make_tracker(
        text="caruman perkeso utk gaji RM2800 bulan oktober 2025",
        intent="ask_contribution_rate",
        active_loop="rate_quote_form",
        requested_slot="wage_amount",
        slot_events={"wage_amount": ["RM2800", "2025"]},
    )
    events, _ = await run(ValidateRateQuoteForm(), tracker, domain)
    assert slot_values(events)["wage_amount"] == "2800.00"


async def test_month_year_read_from_the_message(domain, fake_backend):
    fake_backend.routes[QUOTE] = (200, quote_body())
    tracker = make_tracker(
        text="caruman perkeso utk gaji RM2800 bulan oktober 2025",
        slots={"wage_amount": "2800.00", "quote_month": "oktober"},
    )
    await run(ActionQuoteContribution(), tracker, domain)
    assert params_month(fake_backend) == "2025-10"


def test_parse_month_requiring_a_year():
    assert parse_month("may i know the socso for 3000", TODAY, require_year=True) is None
    assert parse_month("socso for 3000 in may 2025", TODAY, require_year=True) == "2025-05"


def test_wage_in_words_and_short_forms_in_the_rate_form(domain) -> None:  # type: ignore[no-untyped-def]
    """The rate question reads wages like the contribution form (bot/actions/normalise.py)."""
    from rasa_sdk.executor import CollectingDispatcher

    from bot.actions.rates import ValidateRateQuoteForm
    from tests.actions.conftest import make_tracker

    form = ValidateRateQuoteForm()
    for typed, want in [("tiga ribu", "3000.00"), ("RM3k", "3000.00"), ("3,000.50", "3000.50")]:
        dispatcher = CollectingDispatcher()
        got = form.validate_wage_amount(typed, dispatcher, make_tracker(text=typed), domain)
        assert got == {"wage_amount": want} and dispatcher.messages == [], typed
    dispatcher = CollectingDispatcher()
    got = form.validate_wage_amount("-100", dispatcher, make_tracker(text="-100"), domain)
    assert got == {"wage_amount": None}
    assert [m["response"] for m in dispatcher.messages] == ["utter_invalid_wage_negative"]
