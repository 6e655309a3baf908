from rasa_sdk import Tracker

from bot.actions.common import ActionCancelForm, ActionSessionStart
from tests.actions.conftest import make_tracker, responses, run, slot_values


async def test_cancel_mid_form_clears_its_slots_and_deactivates(domain):
    tracker = make_tracker(
        slots={"applicant_name": "Aminah", "mykad": "900101145678"},
        text="batal",
        intent="cancel",
        active_loop="portal_id_form",
        requested_slot="email",
    )
    events, messages = await run(ActionCancelForm(), tracker, domain)
    assert responses(messages) == ["utter_cancelled"]
    slots = slot_values(events)
    assert slots["applicant_name"] is None and slots["mykad"] is None
    assert slots["requested_slot"] is None
    assert {"event": "active_loop", "name": None} in [
        {k: e.get(k) for k in ("event", "name")} for e in events if e["event"] == "active_loop"
    ]


async def test_cancel_with_nothing_going_on(domain):
    events, messages = await run(ActionCancelForm(), make_tracker(intent="cancel"), domain)
    assert [e["event"] for e in events] == ["active_loop"]
    assert responses(messages) == ["utter_nothing_to_cancel"]


async def test_session_start_carries_slots_and_mentions_unfinished_application(domain):
    tracker = Tracker(
        "web-x",
        {"language": "ms", "applicant_name": "Aminah", "requested_slot": "mykad"},
        {},
        [],
        False,
        None,
        {},
        "action_listen",
    )
    events, messages = await run(ActionSessionStart(), tracker, domain)
    assert events[0]["event"] == "session_started"
    assert events[-1] == {**events[-1], "event": "action", "name": "action_listen"}
    assert slot_values(events) == {"language": "ms", "applicant_name": "Aminah"}
    assert responses(messages) == ["utter_session_resume"]


async def test_session_start_without_anything_pending_is_silent(domain):
    tracker = Tracker(
        "web-x",
        {"session_started_metadata": {"language_hint": "ms"}},
        {},
        [],
        False,
        None,
        {},
        "action_listen",
    )
    events, messages = await run(ActionSessionStart(), tracker, domain)
    assert messages == []
    assert slot_values(events)["language"] == "ms"
