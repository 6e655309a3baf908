"""Keep every free-text slot's ``not_intent`` list equal to "all intents but the answer ones".

The domain is split per flow (bot/domain/*.yml) and YAML anchors cannot cross files, so each
from_text mapping carries its own copy of the list. A new intent missing from one of them would
let that message be stored as a form answer instead of reaching its rule. Run after adding an
intent: ``python3 scripts/sync_domain.py`` (``--check`` only reports). The file is edited as text
so comments and layout stay as they are.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOMAIN_DIR = ROOT / "bot" / "domain"
# Intents that answer the question being asked; a free-text slot may take them.
ANSWER_INTENTS = {"inform", "resend_code"}

LIST_RE = re.compile(r"^(?P<indent>[ ]*)not_intent:[^\n]*\n(?:(?P=indent)[ ]*- [^\n]*\n)+", re.M)


def all_intents() -> list[str]:
    names: set[str] = set()
    for path in DOMAIN_DIR.glob("*.yml"):
        for intent in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("intents", []):
            names.add(intent if isinstance(intent, str) else next(iter(intent)))
    return sorted(names - ANSWER_INTENTS)


def rewrite(text: str, intents: list[str]) -> str:
    def block(match: re.Match[str]) -> str:
        indent = match.group("indent")
        items = "".join(f"{indent}  - {name}\n" for name in intents)
        return f"{indent}not_intent:\n{items}"

    return LIST_RE.sub(block, text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="report files out of date, change nothing"
    )
    args = parser.parse_args()
    intents = all_intents()
    stale = []
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        new = rewrite(text, intents)
        if new != text:
            stale.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(new, encoding="utf-8")
    verb = "out of date" if args.check else "updated"
    for path in stale:
        print(f"{verb}: {path}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
