"""The knowledge base answers what issue 8 lists, in both languages, and names a rule's source.

The answers live in bot/domain/faq.yml (one entry per question, English default + Malay variant,
chosen by the ResponseSelector). A user who asks about late registration deserves the Act that
imposes it; a user who asks about EPF deserves the agency that can help, not a guess.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

# Topic of issue 8 → the FAQ answer that covers it.
TOPICS = {
    "what ASSIST is": "utter_faq/what_is_assist",
    "the enrolment form": "utter_faq/enrolment_form",
    "what each form is for": "utter_faq/forms",
    "who must register and by when": "utter_faq/who_must_register",
    "rates and who pays": "utter_faq/rates_who_pays",
    "SOCSO categories": "utter_faq/socso_categories",
    "EIS eligibility": "utter_faq/eis_eligibility",
    "foreign workers": "utter_faq/foreign_workers",
    "domestic workers": "utter_faq/domestic_workers",
    "what counts as wages": "utter_faq/wages_definition",
    "LINDUNG 24 Jam": "utter_faq/skbbk",
    "payment channels and counters": "utter_faq/payment_channels",
    "temporary password not arriving": "utter_faq/no_email",
}
# Answers that state a rule of law, and so must name the Act in both languages.
RULES_OF_LAW = (
    "utter_faq/forms",
    "utter_faq/who_must_register",
    "utter_faq/rates_who_pays",
    "utter_faq/socso_categories",
    "utter_faq/eis_eligibility",
    "utter_faq/foreign_workers",
    "utter_faq/domestic_workers",
    "utter_faq/wages_definition",
    "utter_faq/skbbk",
)


def _texts(domain: dict[str, Any], name: str) -> dict[str, str]:
    """'en' and 'ms' text of a response (the variant without a condition is English)."""
    found = {}
    for variant in domain["responses"][name]:
        languages = [c.get("value") for c in variant.get("condition", [])]
        found[languages[0] if languages else "en"] = variant["text"]
    return found


@pytest.mark.parametrize(("topic", "response"), sorted(TOPICS.items()))
def test_every_topic_has_an_answer_in_both_languages(domain, topic, response):
    texts = _texts(domain, response)
    assert set(texts) == {"en", "ms"}, topic
    assert all(len(t) > 80 for t in texts.values()), f"{topic}: answer too thin"


@pytest.mark.parametrize("response", RULES_OF_LAW)
def test_a_rule_of_law_names_its_source(domain, response):
    texts = _texts(domain, response)
    assert re.search(r"\bAct (4|800|A1788)\b", texts["en"]), response
    assert re.search(r"\bAkta (4|800|A1788)\b", texts["ms"]), response


def test_payment_answer_names_the_counter_banks_and_channels(domain):
    for text in _texts(domain, "utter_faq/payment_channels").values():
        for word in ("FPX", "Maybank", "RHB", "Public Bank", "e-Mandate", "PRIHATIN"):
            assert word in text


def test_missing_password_answer_says_what_to_do(domain):
    texts = _texts(domain, "utter_faq/no_email")
    assert "spam" in texts["en"] and "spam" in texts["ms"]
    assert "idportal@perkeso.gov.my" in texts["en"] and "idportal@perkeso.gov.my" in texts["ms"]


def test_every_faq_answer_has_training_examples_and_the_other_way_round(domain):
    from tests.actions.test_nlu_breadth import EXAMPLES

    answers = {n.split("/", 1)[1] for n in domain["responses"] if n.startswith("utter_faq/")}
    taught = {i.split("/", 1)[1] for i in EXAMPLES if i.startswith("faq/")}
    assert answers == taught
    thin = {k: len(EXAMPLES[f"faq/{k}"]) for k in taught if len(EXAMPLES[f"faq/{k}"]) < 15}
    assert not thin, thin


def test_out_of_scope_reply_is_honest_and_names_the_agencies(domain):
    texts = _texts(domain, "utter_out_of_scope")
    assert "only help with PERKESO ASSIST" in texts["en"]
    assert "hanya boleh membantu tentang PERKESO ASSIST" in texts["ms"]
    for text in texts.values():
        for agency in ("LHDN", "KWSP", "JTK", "SSM"):
            assert agency in text
