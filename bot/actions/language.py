"""Which language a user writes in: Malay (ms) or English (en), including the short forms
Malaysians type ("sy x dpt", "nk", "utk"). The slot is sticky: it only switches on a clear signal.

Two signals, because neither is enough alone. Marker words catch the SMS spellings and the
one-word replies ("sy", "x", "dpt", "tolong") that a statistical model has never seen; the lingua
language detector (its n-gram models ship inside the wheel: nothing is downloaded at run time)
catches whole sentences with no marker word ("pembayaran melalui kaunter bank"). lingua is asked
only about English, Malay and Indonesian; Indonesian counts as Malay, since the two share most
words and short Malay messages are often scored as Indonesian.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

LANGUAGES = ("en", "ms")
DEFAULT_LANGUAGE = "en"

MALAY_MARKERS = frozenset(
    """
    saya sy aku kami kita awak anda nak nk mahu mau hendak hndk ingin tak tk x tidak tdk xde
    takde tiada ada ade boleh bole blh bleh macam mcm mcmna macamana camne camana cmne cmna
    bagaimana mana apa apakah ape berapa brp bila kenapa knp napa siapa sapa caruman gaji
    daftar mohon memohon permohonan terima kasih dengan dgn untuk utk dah sudah sdh belum blm
    lagi lg tolong bantu bantuan kat di dalam dlm dan yang yg ini ni itu tu pun je jer jek lah
    la kah ke selamat pagi petang malam tengah hari bahasa melayu tukar batal batalkan sambung
    teruskan kata laluan akaun syarikat nama nombor telefon bulan dapat dpt masuk cuba betul
    salah setuju bagi kena perlu buat mcmmana baru baharu hantar emel semak pekerja majikan
    sebab jadi nanti sekarang skrg pastu lepas kalau klu kalo sahkan jawatan khabar
    """.split()
)

ENGLISH_MARKERS = frozenset(
    """
    i i'm im me my mine we our you your want wanna would like how what where when why who which
    the a an is are was were am be been do does did don't dont didn't didnt can can't cant could
    should need please pls thanks thank apply for to of with and or not no yes yeah yup this that
    there here have has had get got receive received send sent email's change switch language
    help cancel continue hello hi good morning afternoon evening much many rate salary wage
    contribution register sign log it's its about again already still just only if
    """.split()
)

# Words that appear in both languages' chat and say nothing about the language.
NEUTRAL = frozenset(
    "ok okay login log in id portal assist perkeso socso eis sip otp email rm bye".split()
)

_TOKEN = re.compile(r"[a-z']+")


def score(text: str) -> tuple[int, int]:
    """(Malay markers, English markers) in ``text``."""
    tokens = [t for t in _TOKEN.findall((text or "").lower()) if t not in NEUTRAL]
    ms = sum(1 for t in tokens if t in MALAY_MARKERS)
    en = sum(1 for t in tokens if t in ENGLISH_MARKERS)
    return ms, en


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    """Built once per process (about 0.2 s and 100 MB with the three models preloaded)."""
    return (
        LanguageDetectorBuilder.from_languages(
            Language.ENGLISH, Language.MALAY, Language.INDONESIAN
        )
        .with_preloaded_language_models()
        .build()
    )


def model_malay_probability(text: str) -> float | None:
    """lingua's probability that ``text`` is Malay (Malay + Indonesian), or None for no words."""
    words = [t for t in _TOKEN.findall((text or "").lower()) if t not in NEUTRAL]
    if not words:
        return None
    values = _detector().compute_language_confidence_values(" ".join(words))
    return sum(v.value for v in values if v.language in (Language.MALAY, Language.INDONESIAN))


# How sure lingua must be, on a message with no marker word, to decide (first message) or to
# switch a language already chosen (then also at least three words).
MODEL_DECIDES = 0.75
MODEL_SWITCHES = 0.9


def guess(text: str) -> str | None:
    """Best guess for a message on its own, or None when it carries no signal."""
    ms, en = score(text)
    if ms != en:
        return "ms" if ms > en else "en"
    malay = model_malay_probability(text)
    if malay is None or ms:  # a tie of marker words: mixed, leave it to the slot
        return None
    if malay >= MODEL_DECIDES:
        return "ms"
    if malay <= 1 - MODEL_DECIDES:
        return "en"
    return None


# Words of names, addresses and business names: Malay-looking to lingua, but typing "Muhammad Faiz
# bin Abdullah" or "No 12 Jalan Ampang" says nothing about the language someone wants replies in.
_NAME_OR_ADDRESS = re.compile(
    r"\b(bin|binti|bt|bte|a/l|a/p|al|ap|jalan|jln|lorong|lrg|taman|tmn|kampung|kg|lot|persiaran"
    r"|sdn|bhd|berhad|plt|enterprise|enterprises|trading|ent|restoran|kedai|no)\b",
    re.IGNORECASE,
)


def looks_like_a_name(text: str) -> bool:
    """A person's, company's or place's name rather than a sentence: every word capitalised
    ("Kedai Runcit Maju Jaya"), or a word that only names and addresses carry ("bin", "Jalan")."""
    words = re.findall(r"[^\W\d_]+", text or "")
    if not words:
        return False
    if len(words) >= 2 and all(w[0].isupper() for w in words):
        return True
    return bool(_NAME_OR_ADDRESS.search(text))


def detect(text: str, current: str | None) -> str | None:
    """The language to use after ``text``; sticky: returns ``current`` unless the signal is clear.

    With no current language, any lean decides. With one, switching needs at least two markers of
    the other language and at least twice as many as of the current one; or, when the message has
    no marker word of the current language, at least three words lingua is very sure about and
    that do not look like a name or an address (those are Malay-looking in any conversation).
    """
    if not text or text.startswith("/"):
        return current
    if current not in LANGUAGES:
        return guess(text)
    ms, en = score(text)
    other = "en" if current == "ms" else "ms"
    mine, theirs = (ms, en) if current == "ms" else (en, ms)
    if theirs >= 2 and theirs >= 2 * max(mine, 1):
        return other
    if mine == 0 and len(_TOKEN.findall(text.lower())) >= 3 and not looks_like_a_name(text):
        malay = model_malay_probability(text)
        if malay is not None:
            theirs_p = malay if other == "ms" else 1 - malay
            if theirs_p >= MODEL_SWITCHES:
                return other
    return current


def normalise_language(value: Any) -> str | None:
    """'ms', 'Bahasa Melayu', 'BM', 'malay' → 'ms'; 'English', 'en' → 'en'; else None."""
    text = str(value or "").strip().lower()
    if text in ("ms", "bm", "my", "malay", "melayu", "bahasa melayu", "bahasa malaysia"):
        return "ms"
    if text in ("en", "english", "inggeris", "bahasa inggeris", "bi"):
        return "en"
    if "melayu" in text or "malay" in text:
        return "ms"
    if "english" in text or "inggeris" in text:
        return "en"
    return None


def current_language(tracker: Any) -> str:
    value = tracker.get_slot("language")
    return value if value in LANGUAGES else DEFAULT_LANGUAGE
