"""``rasa`` with measured fixes: ``python scripts/rasa_serve.py run …`` (Rasa's own arguments).

Runs in Rasa's environment (.venv-rasa, Python 3.10); scripts/processes.py and
deploy/Dockerfile.rasa start Rasa through it.

Why: profiling Rasa under load (py-spy, ``bench --only load``) showed about a quarter of its CPU
in ``RemoteAction._validate_action_result``. That method calls ``jsonschema.validate`` on every
action-server reply, and ``jsonschema.validate`` first re-checks the *schema itself* against the
JSON-Schema meta-schema (``check_schema``) — for Rasa's large, constant event schema, on every
custom action, several times per turn with forms and slot-validation actions. Here the schema is
checked once at start and a ready validator is reused: replies are validated exactly as before
(same schema, same errors), only the repeated self-check of a constant is gone.

Rules: the same profile, once the tracker store stopped re-reading conversations, put a fifth of
Rasa's CPU in ``RulePolicy._find_action_from_rules``, half of it in ``json.loads`` of rule keys.
Rasa caches the parsed keys (``functools.lru_cache(maxsize=1000)`` on ``_rule_key_to_state``),
but our model has about 1,400 rules, and every prediction walks all of them in the same order:
a least-recently-used cache smaller than a cyclic scan evicts each key just before it is needed
again, so it never hits. Here the cache holds every key (a few MB; the keys are fixed once the
model is trained); the parsed value is the same.

Action calls: with rules and the tracker store cheaper, an eighth of Rasa's CPU went to
``json.dumps`` of the body of each custom-action call (the whole session's events and the domain,
about 300 KB late in a visit, several calls per turn). ``ujson``, already installed with Rasa,
writes the same JSON about three times faster; the action server reads the same values.

The repository root goes on the import path so endpoints can name the project's tracker store
(``bot.tracker_store.CachedSQLTrackerStore``, the next measured fix). It is imported here first:
Rasa itself would answer an import error with a warning and a tracker store *in memory*, which
would silently lose every conversation on restart.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def install_cached_action_validation() -> None:
    from jsonschema import validators
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction

    spec = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(spec)
    cls.check_schema(spec)  # once, as every call did before
    validator = cls(spec)
    original = RemoteAction._validate_action_result

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        # The original adds the docs pointer to the message and raises: let it do so.
        return original(self, result)

    RemoteAction._validate_action_result = _validate_action_result


def install_rule_key_cache() -> None:
    import functools
    import json

    from rasa.core.policies.rule_policy import RulePolicy

    RulePolicy._rule_key_to_state = staticmethod(functools.lru_cache(maxsize=None)(json.loads))


def install_fast_action_payloads() -> None:
    import functools

    import ujson
    from rasa.utils.endpoints import EndpointConfig

    dumps = functools.partial(ujson.dumps, ensure_ascii=False, escape_forward_slashes=False)
    original = EndpointConfig.session

    def session(self: EndpointConfig) -> Any:
        client = original(self)
        client._json_serialize = dumps  # what ClientSession(json_serialize=…) sets
        return client

    EndpointConfig.session = session


def main() -> None:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import bot.tracker_store  # noqa: F401  (fail here, loudly, rather than fall back to memory)

    install_cached_action_validation()
    install_rule_key_cache()
    install_fast_action_payloads()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
