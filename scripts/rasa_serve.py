"""``rasa`` with one measured fix: ``python scripts/rasa_serve.py run …`` (Rasa's own arguments).

Runs in Rasa's environment (.venv-rasa, Python 3.10); scripts/processes.py and
deploy/Dockerfile.rasa start Rasa through it.

Why: profiling Rasa under load (py-spy, ``bench --only load``) showed about a quarter of its CPU
in ``RemoteAction._validate_action_result``. That method calls ``jsonschema.validate`` on every
action-server reply, and ``jsonschema.validate`` first re-checks the *schema itself* against the
JSON-Schema meta-schema (``check_schema``) — for Rasa's large, constant event schema, on every
custom action, several times per turn with forms and slot-validation actions. Here the schema is
checked once at start and a ready validator is reused: replies are validated exactly as before
(same schema, same errors), only the repeated self-check of a constant is gone.
"""

from __future__ import annotations

import sys
from typing import Any


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


def main() -> None:
    install_cached_action_validation()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
