"""axe-core in the browser: the chat page has no serious or critical WCAG violations.

axe-core comes from npm (frontend/package.json) and is injected into the page by the test only;
the page itself never loads it. A phone-viewport screenshot is kept in var/test-artifacts/.
"""

from __future__ import annotations

import json

import pytest

from backend.settings import REPO_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.fullstack]

AXE = REPO_ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO_ROOT / "var" / "test-artifacts"
RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => ({target: n.target, summary: n.failureSummary})),
  }));
}"""


def _serious(page) -> list[dict]:
    if not AXE.exists():
        pytest.skip("axe-core is missing: run `npm ci --prefix frontend`")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(RUN_AXE)
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def _open_chat_and_talk(page, base_url: str) -> None:
    page.goto(f"{base_url}/chat", wait_until="domcontentloaded")
    box = page.locator("#assist-chat #text-input")
    box.wait_for(state="visible", timeout=30_000)
    with page.expect_response(
        lambda r: r.url.endswith("/api/v1/chat/messages"), timeout=90_000
    ) as answer:
        box.click()
        page.keyboard.type("Hello")
        page.keyboard.press("Enter")
    assert answer.value.ok
    page.locator("#assist-chat .user-message-text", has_text="Hello").first.wait_for()
    page.wait_for_timeout(500)


@pytest.mark.parametrize("viewport", [(1280, 800), (360, 740)], ids=["desktop", "phone"])
def test_chat_page_has_no_serious_axe_violations(page, web_stack, viewport) -> None:
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    _open_chat_and_talk(page, web_stack.base_url)
    if viewport[0] <= 400:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chat-phone-360.png"), full_page=True)
    serious = _serious(page)
    assert serious == [], json.dumps(serious, indent=2)
