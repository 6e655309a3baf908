"""Every response exists in English and Malay; actions only utter responses that exist."""

import re
from pathlib import Path

from tests.actions.conftest import ROOT

MS = [{"type": "slot", "name": "language", "value": "ms"}]


def test_every_response_has_a_malay_and_a_default_english_variant(domain):
    for name, variants in domain["responses"].items():
        conditions = [v.get("condition") for v in variants]
        assert MS in conditions, f"{name} has no Malay variant"
        assert None in conditions, f"{name} has no default (English) variant"
        for variant in variants:
            assert variant.get("text"), f"{name} has an empty variant"


def test_malay_and_english_buttons_have_the_same_payloads(domain):
    for name, variants in domain["responses"].items():
        payloads = [[b["payload"] for b in v.get("buttons") or []] for v in variants]
        assert all(p == payloads[0] for p in payloads), name


def test_actions_utter_only_domain_responses(domain):
    used = set()
    for path in Path(ROOT / "bot" / "actions").glob("*.py"):
        used |= set(re.findall(r"utter_[a-z_]+", path.read_text(encoding="utf-8")))
    # prefixes formed at run time, e.g. utter_invalid_name_{error}
    used = {u for u in used if not u.endswith("_") and u != "utter_message"}
    missing = used - set(domain["responses"])
    assert not missing, missing


def test_summary_offers_confirm_change_for_every_field_and_cancel(domain):
    variants = domain["responses"]["utter_portal_id_summary"]
    payloads = [b["payload"] for b in variants[-1]["buttons"]]
    assert payloads[0] == "/affirm" and payloads[-1] == "/cancel"
    for field in ("applicant_name", "mykad", "email", "mobile", "company_name", "company_role"):
        assert f'/change_field{{"field":"{field}"}}' in payloads
