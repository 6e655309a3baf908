"""Breadth of the training data (issue 8), counted rather than trusted.

Employers write in English, in Malay and in both at once. An intent that starts a flow and has only
a handful of English sentences is misread as soon as someone types "sy nk bayar caruman"; these
checks fail the run when a flow-starting intent drops below 25 examples, below a few examples in
each language, or turns into one template with a word swapped.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

# Intents whose rule starts a flow (a form or a flow action) when said outside one.
FLOW_STARTING = (
    "apply_portal_id",
    "login",
    "resend_code",
    "register_employer",
    "register_domestic_employer",
    "register_local_employee",
    "register_foreign_employee",
    "list_employees",
    "upload_documents",
    "submit_registration",
    "ask_registration_status",
    "ask_contribution_rate",
    "submit_contribution",
    "import_contribution_file",
    "get_contribution_text_file",
    "ask_deadline",
    "ask_late_interest",
    "pay_online",
    "pay_at_bank",
    "payment_result",
    "reminders_on",
    "reminders_off",
    "human_handoff",
    "request_callback",
    "handoff_resume",
    "resume",
    "discard_draft",
)
MIN_EXAMPLES = 25
MIN_PER_LANGUAGE = 3

# Words that mark a sentence as Malay or as English, short forms included. Domain words used in
# both languages (PERKESO, SOCSO, FPX, ACR, draft, online...) are in neither list.
MALAY = set(
    """
    saya sy aku nak nk mahu hendak tak x tidak tk bukan belum dah sudah boleh blh dengan dgn
    untuk utk yang yg ke kat di dari dr ini ni itu tu apa mana bila berapa brp macam mcm
    cara kena perlu tolong tlg bagi bg hantar daftar bayar caruman pekerja majikan senarai
    tengok tgk semak status bayaran berjaya gagal peringatan ingatkan hidupkan matikan buang
    padam draf sambung teruskan pegawai orang cakap ckp bercakap telefon panggilan hubungi
    balik semula fail teks gaji bulan lepas tarikh akhir faedah lewat denda lambat
    pendaftaran permohonan mohon pembantu rumah pemandu sahaja je la lah jugak juga lagi
    sekarang skrg cetak kaunter tunai guna dalam talian muat turun naik jana sebelum selepas
    setiap tiap syarikat kedai dokumen sokongan sijil salinan baru lama dulu tadi semalam
    esok sebagai diri individu domestik asing tempatan kod akaun masuk lain baru baharu
    sampai minta dapat dpt camne cmne
    """.split()
)
ENGLISH = set(
    """
    i i'd i'll i'm my me we our you your the a an to of for with and or is are was be been
    have has do does did can could should would will want need please pls how what when
    where which who why pay paid payment register registration submit send show list my
    employee employees worker workers employer company staff file text upload import
    download remind reminder reminders turn stop back bot call phone talk speak human person
    agent officer delete discard continue start late interest deadline due date last day
    month status check status successful failed print counter bank cash slip rate rates much
    salary wage wages maid driver domestic foreign new add yet already just now again code
    account sign get got new another expired never came received into access
    """.split()
)
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
_WORD = re.compile(r"[a-z']+")


def training_examples() -> dict[str, list[str]]:
    """Intent → plain example sentences from every file under bot/data (annotations removed)."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted((ROOT / "bot" / "data").rglob("*.yml")):
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("nlu") or [] if isinstance(data, dict) else []:
            if "intent" not in item:
                continue
            for line in str(item.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    found[item["intent"]].append(_ANNOTATION.sub(r"\1", line[2:]).strip().lower())
    return found


def language_of(sentence: str) -> str:
    """'en', 'ms', 'mixed' or 'unknown', from the marker words a sentence contains."""
    words = set(_WORD.findall(sentence.lower()))
    malay, english = bool(words & MALAY), bool(words & ENGLISH)
    if malay and english:
        return "mixed"
    return "ms" if malay else "en" if english else "unknown"


EXAMPLES = training_examples()


def test_the_language_classifier_reads_short_forms() -> None:
    assert language_of("sy nk bayar caruman") == "ms"
    assert language_of("I want to pay my contribution") == "en"
    assert language_of("how nak bayar caruman") == "mixed"
    assert language_of("sy x dpt email") == "ms"


def test_flow_starting_intents_exist_in_the_domain(domain: dict[str, Any]) -> None:
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}
    assert set(FLOW_STARTING) <= intents, set(FLOW_STARTING) - intents


@pytest.mark.parametrize("intent", FLOW_STARTING)
def test_flow_starting_intent_has_enough_varied_examples(intent: str) -> None:
    examples = EXAMPLES[intent]
    assert len(examples) >= MIN_EXAMPLES, f"{intent}: {len(examples)} examples"
    counts = {"en": 0, "ms": 0, "mixed": 0, "unknown": 0}
    for sentence in examples:
        counts[language_of(sentence)] += 1
    for language in ("en", "ms", "mixed"):
        assert counts[language] >= MIN_PER_LANGUAGE, f"{intent}: {counts}"
    # Not one template: the examples share few of their word sequences.
    distinct_openings = {" ".join(s.split()[:2]) for s in examples}
    assert len(distinct_openings) >= len(examples) // 2, f"{intent}: repetitive openings"


def test_short_forms_and_typos_are_taught() -> None:
    """Every short form issue 8 names appears in the training data more than a few times."""
    words = [w for sentences in EXAMPLES.values() for s in sentences for w in _WORD.findall(s)]
    for short in ("x", "tak", "nk", "nak", "sy", "dgn", "utk"):
        assert words.count(short) >= 5, short


def test_no_sentence_is_taught_as_two_intents() -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for intent, sentences in EXAMPLES.items():
        for sentence in sentences:
            owners[sentence].add(intent)
    clashes = {s: sorted(i) for s, i in owners.items() if len(i) > 1}
    assert not clashes, clashes
