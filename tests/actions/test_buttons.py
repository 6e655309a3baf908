"""The shared catalogue-button helper and the ask actions it makes."""

import importlib
import pickle
import pkgutil

from rasa_sdk import Action

import bot.actions
from bot.actions.buttons import ask_action, choice_buttons
from bot.actions.registration import ActionAskRegSubEntity
from tests.actions.conftest import make_tracker, responses, run

OPTIONS = [{"code": f"c{n}", "name_en": f"E{n}", "name_ms": f"M{n}"} for n in range(10)]


def test_every_action_class_pickles_by_reference():
    """The action server's workers pickle registered actions; a made class must resolve."""
    for info in pkgutil.iter_modules(bot.actions.__path__):
        module = importlib.import_module(f"bot.actions.{info.name}")
        for name, obj in vars(module).items():
            if (
                isinstance(obj, type)
                and issubclass(obj, Action)
                and obj.__module__ == module.__name__
            ):
                round_trip = pickle.loads(pickle.dumps(obj))  # noqa: S301 - our own classes
                assert round_trip is obj, f"{module.__name__}.{name}"


def test_buttons_in_the_users_language_and_capped():
    buttons = choice_buttons(OPTIONS, "ms")
    assert len(buttons) == 8
    assert buttons[0] == {"title": "M0", "payload": '/inform{"choice":"c0"}'}


async def test_ask_action_uses_the_trackers_options(domain):
    events, messages = await run(
        ActionAskRegSubEntity(),
        make_tracker(slots={"reg_business_entity": "sdn_bhd", "language": "ms"}),
        domain,
    )
    assert events == [] and responses(messages) == ["utter_ask_reg_sub_entity"]
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        '/inform{"choice":"local_company"}',
        '/inform{"choice":"foreign_company"}',
    ]
    assert ActionAskRegSubEntity().name() == "action_ask_reg_sub_entity"


ActionAskTestThing = ask_action("action_ask_test_thing", "utter_x", lambda t: OPTIONS)


def test_made_class_is_named_in_its_module():
    assert ActionAskTestThing.__module__ == __name__
    assert ActionAskTestThing.__qualname__ == "ActionAskTestThing"
