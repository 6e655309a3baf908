"""Not understood twice in a row inside a form → a person is offered (issue 6, issue 8).

Every process is real (``stack``): the trained model decides that the messages below are not
understood. The summary of the portal ID application is a question that takes only yes/no-like
intents, so a message nobody can read reaches the dialogue's fallback there: the first time the
bot says it is not sure and asks again, the second time in a row it offers a person; accepting
opens a ticket marked as coming from the fallback, declining is just answering the question.

    .venv/bin/python -m pytest tests/fullstack/test_fallback_handoff.py -m fullstack
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.fullstack.chat import (
    all_text,
    button_payload,
    drive_portal_form,
    has_payload,
    new_client,
    send,
    sender_id,
)
from tests.fullstack.test_portal_id import make_applicant

pytestmark = pytest.mark.fullstack

# Below the model's confidence threshold (checked against the trained model).
UNREADABLE = ("zzkq blorp vrr", "qwp zzt xxv")


def _at_the_summary(client, language: str) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    opener = "saya nak mohon ID portal" if language == "ms" else "I want to apply for a portal ID"
    applicant = make_applicant(language)
    replies = send(client, opener)
    return drive_portal_form(replies, applicant.answers(), lambda t: send(client, t))


def test_two_misses_at_the_summary_offer_a_person_who_gets_the_ticket(stack, db) -> None:  # type: ignore[no-untyped-def]
    with new_client(stack.base_url, "en") as client:
        summary = _at_the_summary(client, "en")
        first = send(client, UNREADABLE[0])
        said = all_text(first)
        # "not sure what you mean" with the likeliest topics, or "didn't get that answer" when
        # none of them is one the bot can offer; either way the question again, no person yet.
        assert "Sorry, I" in said, said
        assert has_payload(first, "/affirm"), f"the summary is not asked again: {said}"
        assert not has_payload(first, "/human_handoff"), said

        second = send(client, UNREADABLE[1])
        said = all_text(second)
        assert "talk to someone from the helpline" in said, said
        assert has_payload(second, "/affirm"), f"the summary is not asked again: {said}"

        queued = send(client, button_payload(second, "/human_handoff"))
        assert "helpline" in all_text(queued) and "queue" in all_text(queued), all_text(queued)
        sender = sender_id(client, stack.secret_key)
    assert summary
    with db.connect() as conn:
        ticket = (
            conn.execute(
                text("SELECT flow, reason, language FROM handoff_tickets WHERE sender_id = :s"),
                {"s": sender},
            )
            .mappings()
            .one()
        )
    assert dict(ticket) == {"flow": "portal_id_form", "reason": "fallback", "language": "en"}


def test_declining_the_person_is_answering_the_question(stack) -> None:  # type: ignore[no-untyped-def]
    with new_client(stack.base_url, "ms") as client:
        _at_the_summary(client, "ms")
        first = send(client, UNREADABLE[0])
        assert "Maaf, saya kurang" in all_text(first), all_text(first)
        second = send(client, UNREADABLE[1])
        said = all_text(second)
        assert "pegawai talian bantuan" in said and has_payload(second, "/human_handoff"), said
        done = send(client, button_payload(second, "/affirm"))
    said = all_text(done).lower()
    assert "kata laluan" in said, said  # the application went in: a temporary password is coming
