"""Language per message (issue 8): marker words for SMS Malay, lingua for whole sentences."""

import time

import pytest

from bot.actions.language import detect, guess, model_malay_probability


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sy x dpt email", "ms"),
        ("nk tau brp caruman", "ms"),
        ("nak daftar pekerja baru", "ms"),
        ("tolong", "ms"),
        ("terima kasih", "ms"),
        ("pembayaran melalui kaunter bank", "ms"),  # no marker word: lingua decides
        ("pekerja asing perlu mencarum", "ms"),
        ("help", "en"),
        ("thanks", "en"),
        ("payment through the bank counter", "en"),
        ("foreign workers contribution rate", "en"),
        ("I want to register my company", "en"),
    ],
)
def test_guess_a_message_on_its_own(text, expected):
    assert guess(text) == expected


@pytest.mark.parametrize("text", ["ok", "", "123456", "900101-14-5678", "SOCSO EIS", "ok bye"])
def test_no_words_or_only_shared_words_say_nothing(text):
    assert guess(text) is None


def test_a_balanced_mix_keeps_the_language_already_chosen():
    assert detect("how nak login", "en") == "en"
    assert detect("how nak login", "ms") == "ms"
    assert detect("can i bayar kat kaunter", "en") == "en"


def test_a_mostly_malay_mix_switches_from_english():
    assert detect("how nak bayar caruman", "en") == "ms"


def test_marker_free_sentences_switch_only_when_lingua_is_sure():
    assert detect("pembayaran melalui kaunter bank", "en") == "ms"
    assert detect("payment through the bank counter", "ms") == "en"
    assert detect("bila tarikh akhir", "en") == "ms"
    # Two words are too few to leave a language already chosen on the model's word alone.
    assert detect("kaunter bank", "en") == "en"


def test_payload_and_empty_text_keep_the_slot():
    assert detect("/affirm", "ms") == "ms"
    assert detect("", "en") == "en"


def test_model_is_fast_and_local():
    assert model_malay_probability("ok") is None
    model_malay_probability("warm up the detector once")
    started = time.perf_counter()
    for _ in range(100):
        model_malay_probability("berapa caruman untuk gaji tiga ribu")
    assert (time.perf_counter() - started) / 100 < 0.01  # well under 10 ms a message


@pytest.mark.parametrize(
    "text",
    [
        "Muhammad Faiz bin Abdullah",
        "siti nurhaliza binti tarudin",
        "Kedai Runcit Maju Jaya",
        "No 12 Jalan Ampang Kuala Lumpur",
        "Syarikat Maju Jaya Sdn Bhd",
        "Lot 5 Taman Sri Muda Shah Alam",
    ],
)
def test_a_malay_name_or_address_never_switches_an_english_conversation(text):
    """lingua scores these as Malay, but they are answers, not a choice of language."""
    assert detect(text, "en") == "en"
    assert detect(text, "ms") == "ms"


@pytest.mark.parametrize(
    ("text", "current"),
    [
        ("ya", "en"),
        ("ok", "ms"),
        ("x", "en"),
        ("no", "ms"),
        ("tq", "en"),
        ("baik", "en"),
        ("sure", "ms"),
        ("tiga ribu", "en"),
        ("Oktober 2026", "en"),
        ("RM3k", "ms"),
        ("E1100050233Z", "ms"),
        ("900101-14-5678", "en"),
        ("ali@kedai.com", "ms"),
    ],
)
def test_short_or_ambiguous_replies_keep_the_language(text, current):
    assert detect(text, current) == current


def test_a_clear_sentence_still_switches_either_way():
    assert detect("sy nak tukar maklumat syarikat", "en") == "ms"
    assert detect("I would like to check my payment please", "ms") == "en"
