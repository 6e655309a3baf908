"""Attaching a document in the widget: the file goes to the hub and its answer shows in the chat."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.fullstack]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_attach_button_uploads_and_shows_the_hubs_answer(page, web_stack) -> None:
    page.goto(f"{web_stack.base_url}/chat", wait_until="domcontentloaded")
    page.locator("#assist-chat #text-input").wait_for(state="visible", timeout=30_000)
    attach = page.get_by_role("button", name="Attach a document")
    assert attach.is_visible()
    with page.expect_file_chooser() as chooser:
        attach.click()
    with page.expect_response(lambda r: r.url.endswith("/api/v1/chat/files")) as answer:
        chooser.value.set_files(
            files=[{"name": "ssm.pdf", "mimeType": "application/pdf", "buffer": PDF}]
        )
    assert answer.value.ok and answer.value.json()["refused"] == "no_registration"
    page.locator("#assist-chat .user-message-text", has_text="ssm.pdf").wait_for(timeout=10_000)
    page.locator("#assist-chat .ai-message-text", has_text="supporting-documents step").wait_for(
        timeout=10_000
    )
    # the upload is part of the transcript: a reload shows it again
    page.reload()
    page.locator("#assist-chat .user-message-text", has_text="ssm.pdf").wait_for(timeout=30_000)
