"""The domain is split per flow; these checks keep the pieces consistent with each other."""

from __future__ import annotations

from typing import Any

# Intents that carry an answer to the question being asked, so a free-text slot may take them.
ANSWER_INTENTS = {"inform", "resend_code"}


def _intent_names(domain: dict[str, Any]) -> set[str]:
    return {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}


def test_free_text_slots_never_swallow_another_intent(domain: dict[str, Any]) -> None:
    """A new intent must be added to every from_text mapping's not_intent, or "cancel"-like
    messages typed mid-form would be stored as the answer instead of reaching their rule."""
    expected = _intent_names(domain) - ANSWER_INTENTS
    problems = []
    for slot, spec in domain["slots"].items():
        for mapping in spec.get("mappings", []):
            if mapping.get("type") != "from_text":
                continue
            missing = expected - set(mapping.get("not_intent") or [])
            if missing:
                problems.append(f"{slot}: not_intent lacks {sorted(missing)}")
            if not mapping.get("conditions"):
                problems.append(f"{slot}: from_text without conditions")
    assert not problems, "\n".join(problems)


def test_every_response_has_a_malay_variant(domain: dict[str, Any]) -> None:
    missing = []
    for name, variants in domain["responses"].items():
        languages = {
            c.get("value")
            for v in variants
            for c in v.get("condition", [])
            if c.get("name") == "language"
        }
        if "ms" not in languages:
            missing.append(name)
    assert not missing, f"responses without a Malay variant: {missing}"


def test_no_name_defined_twice(domain: dict[str, Any]) -> None:
    intents = [i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]]
    actions = list(domain["actions"])
    assert len(intents) == len(set(intents))
    assert len(actions) == len(set(actions))
