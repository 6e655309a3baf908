"""Come back later: a half-finished form survives Rasa and the action server going away.

While Rasa is down the hub answers "temporarily unavailable, nothing you typed is lost"; after a
restart the conversation continues from the SQL tracker store where it stopped. Restarting takes
Rasa's model-load time, once per database.
"""

from __future__ import annotations

import pytest

from tests.fullstack.chat import all_text, asked_field, new_client, send
from tests.fullstack.test_portal_id import Transcript, make_applicant, say

pytestmark = pytest.mark.fullstack


def test_a_half_finished_form_survives_a_restart(stack):
    applicant = make_applicant("en")
    transcript = Transcript()
    with new_client(stack.base_url) as client:
        replies = say(client, transcript, "I want to apply for a portal ID")
        assert asked_field(replies) == "name", transcript
        replies = say(client, transcript, applicant.name)
        assert asked_field(replies) == "mykad", transcript

        stack.stop_process("rasa")
        stack.stop_process("actions")
        try:
            response = client.post("/api/v1/chat/messages", json={"text": applicant.mykad})
            assert response.status_code == 200, response.text
            body = response.json()
            assert body.get("error") == "unavailable", body
            assert "temporarily unavailable" in all_text(body["messages"]).lower(), body
        finally:
            stack.start_process("actions")
            stack.start_process("rasa")

        replies = send(client, applicant.mykad)
        transcript.append((applicant.mykad, all_text(replies)))
        assert asked_field(replies) == "email", f"the form did not resume:\n{transcript}"
