from bot.actions.common import ActionChangeLanguage, ActionValidateSlotMappings
from bot.actions.language import detect, normalise_language
from tests.actions.conftest import make_tracker, run, slot_values


def test_detect_first_message():
    assert detect("saya nak apply ID portal", None) == "ms"
    assert detect("nak daftar id portal", None) == "ms"
    assert detect("sy x dpt email", None) == "ms"
    assert detect("I want to apply for a portal ID", None) == "en"
    assert detect("ok", None) is None


def test_detect_is_sticky_without_a_clear_signal():
    assert detect("how nak login", "en") == "en"
    assert detect("how nak login", "ms") == "ms"
    assert detect("ok", "ms") == "ms"
    assert detect("/affirm", "ms") == "ms"


def test_detect_switches_on_a_clear_signal():
    assert detect("saya nak tahu berapa caruman", "en") == "ms"
    assert detect("I want to know how much I pay", "ms") == "en"


def test_normalise_language():
    assert normalise_language("Bahasa Melayu") == "ms"
    assert normalise_language("BM") == "ms"
    assert normalise_language("english") == "en"
    assert normalise_language("klingon") is None


async def test_language_hint_fills_an_empty_slot(domain):
    tracker = make_tracker(
        slots={"language": None}, text="hello", intent="greet", metadata={"language_hint": "ms"}
    )
    events, _ = await run(ActionValidateSlotMappings(), tracker, domain)
    assert slot_values(events)["language"] == "ms"


async def test_text_decides_when_there_is_no_hint(domain):
    tracker = make_tracker(slots={"language": None}, text="saya nak mohon ID portal")
    events, _ = await run(ActionValidateSlotMappings(), tracker, domain)
    assert slot_values(events)["language"] == "ms"


async def test_free_text_form_answer_does_not_switch(domain):
    tracker = make_tracker(
        slots={"language": "en"},
        text="Kedai Runcit Maju Jaya dan Anak-anak",
        active_loop="portal_id_form",
        requested_slot="company_name",
    )
    events, _ = await run(ActionValidateSlotMappings(), tracker, domain)
    assert "language" not in slot_values(events)


async def test_clear_malay_message_switches(domain):
    tracker = make_tracker(slots={"language": "en"}, text="saya nak tahu berapa caruman")
    events, _ = await run(ActionValidateSlotMappings(), tracker, domain)
    assert slot_values(events)["language"] == "ms"


async def test_change_language_with_entity_and_toggle(domain):
    tracker = make_tracker(
        text="tukar ke English",
        intent="change_language",
        slots={"language": "ms"},
        entities=[{"entity": "target_language", "value": "en"}],
    )
    events, _ = await run(ActionChangeLanguage(), tracker, domain)
    assert slot_values(events) == {"language": "en"}
    tracker = make_tracker(text="switch language", intent="change_language")
    events, _ = await run(ActionChangeLanguage(), tracker, domain)
    assert slot_values(events) == {"language": "ms"}
