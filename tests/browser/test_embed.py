"""The embed snippet on another origin: a floating button opens the chat page in an iframe.

A tiny ``http.server`` on a second port serves an organisation's page holding only the snippet;
the widget, its assets and the conversation all come from the backend under test.
"""

from __future__ import annotations

import functools
import http.server
import threading

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.fullstack]

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Syarikat Contoh Sdn Bhd</title></head>
<body><main><h1>Syarikat Contoh Sdn Bhd</h1><p>Our payroll page.</p></main>
<script src="{base}/static/widget/embed.js" data-assist-url="{base}" defer></script>
</body></html>
"""


@pytest.fixture
def host_site(tmp_path, web_stack):
    (tmp_path / "index.html").write_text(HOST_PAGE.format(base=web_stack.base_url))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a, **k: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_embed_snippet_opens_the_chat_and_talks(page, web_stack, host_site) -> None:
    assert host_site != web_stack.base_url
    page.goto(f"{host_site}/index.html", wait_until="domcontentloaded")
    toggle = page.get_by_role("button", name="Chat with ASSIST Assistant")
    toggle.wait_for(timeout=10_000)
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.locator("#assist-embed iframe").count() == 0  # loaded only when opened
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    frame_el = page.locator("#assist-embed iframe")
    assert frame_el.get_attribute("src") == f"{web_stack.base_url}/chat"
    chat = page.frame_locator("#assist-embed iframe")
    box = chat.locator("#assist-chat #text-input")
    box.wait_for(state="visible", timeout=30_000)

    with page.expect_response(
        lambda r: r.url == f"{web_stack.base_url}/api/v1/chat/messages", timeout=90_000
    ) as answer:
        box.click()
        page.keyboard.type("Hello")
        page.keyboard.press("Enter")
    body = answer.value.json()
    assert answer.value.ok and not body.get("refused") and not body.get("error"), body
    first = next(m["text"] for m in body["messages"] if m.get("text"))
    chat.locator("#assist-chat .ai-message-text", has_text=first.split(".")[0][:30]).first.wait_for(
        timeout=10_000
    )

    # closing hides the panel and returns focus to the button; reopening keeps the conversation
    page.get_by_role("button", name="Close the chat").click()
    assert page.locator("#assist-embed-panel").is_hidden()
    assert page.evaluate("document.activeElement.className") == "assist-embed-toggle"
    toggle.click()
    chat.locator("#assist-chat .user-message-text", has_text="Hello").first.wait_for()

    # the button and panel add no serious or critical axe violations to the host page
    from tests.browser.test_accessibility import _serious

    serious = [v for v in _serious(page) if v["id"] != "frame-tested"]
    assert serious == [], serious
