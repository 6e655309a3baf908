"""The chat page in a real browser: type a greeting, the bot's answer shows up in the widget.

.venv/bin/python -m pytest tests/browser -m browser
"""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.fullstack]

TURN_TIMEOUT_MS = 90_000


def test_greeting_gets_an_answer_in_the_widget(page, web_stack):
    page.goto(f"{web_stack.base_url}/", wait_until="domcontentloaded")
    # Playwright's CSS engine pierces deep-chat's open shadow root.
    text_input = page.locator("#assist-chat #text-input")
    text_input.wait_for(state="visible", timeout=30_000)
    ai_bubbles = page.locator("#assist-chat .ai-message-text")
    before = ai_bubbles.count()

    with page.expect_response(
        lambda r: r.url.endswith("/api/v1/chat/messages") and r.request.method == "POST",
        timeout=TURN_TIMEOUT_MS,
    ) as answer:
        text_input.click()
        page.keyboard.type("Hello")
        page.keyboard.press("Enter")
    response = answer.value
    assert response.ok, f"hub answered HTTP {response.status}"
    body = response.json()
    assert not body.get("error") and not body.get("refused"), body
    texts = [m["text"] for m in body.get("messages", []) if m.get("text")]
    assert texts, f"the bot sent no text: {body}"

    # The user's message and the bot's answer are rendered in the widget.
    page.locator("#assist-chat .user-message-text", has_text="Hello").first.wait_for(timeout=10_000)
    page.wait_for_function(
        "([sel, n]) => document.querySelector('#assist-chat').shadowRoot"
        ".querySelectorAll(sel).length > n",
        arg=[".ai-message-text", before],
        timeout=10_000,
    )
    shown = " ".join(ai_bubbles.all_inner_texts())
    first_words = re.findall(r"\w+", texts[0])[:3]
    assert first_words and all(w in shown for w in first_words), (
        f"widget shows {shown!r}, the hub answered {texts!r}\n" + "\n".join(page.console_lines)  # type: ignore[attr-defined]
    )
