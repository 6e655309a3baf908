"""The web widget in a real browser: QRG 1 by typing and clicking, the PDF download, a reload in
the middle of the form, and the connection lost and found again (issue 5's widget tests).

Playwright + Debian's chromium against the full-stack SQLite stack (real Rasa, action server and
backend).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fullstack.chat import ChatError, all_text, asked_field, drive_portal_form

pytestmark = [pytest.mark.browser, pytest.mark.fullstack]

TURN_MS = 90_000


class Widget:
    """Types into the widget or clicks its buttons; answers what the hub answered (its JSON)."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.transcript: list[str] = []

    def _turn(self, action) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
        with self.page.expect_response(
            lambda r: r.url.endswith("/api/v1/chat/messages") and r.request.method == "POST",
            timeout=TURN_MS,
        ) as answer:
            action()
        body = answer.value.json()
        messages = body.get("messages", [])
        self.transcript.append("< " + all_text(messages).replace("\n", " | "))
        return messages

    def type(self, text: str) -> list[dict[str, Any]]:
        self.transcript.append(f"> {text}")

        def go() -> None:
            box = self.page.locator("#assist-chat #text-input")
            box.click()
            self.page.keyboard.type(text)
            self.page.keyboard.press("Enter")

        return self._turn(go)

    def click(self, payload: str) -> list[dict[str, Any]]:
        self.transcript.append(f"> [click {payload}]")
        button = self.page.locator(f'#assist-chat .assist-choice[data-payload="{payload}"]:enabled')
        return self._turn(lambda: button.last.click())

    def answer(self, text: str) -> list[dict[str, Any]]:
        """Click the button when the bot offers ``text`` as a payload, else type it."""
        enabled = self.page.locator(f'#assist-chat .assist-choice[data-payload="{text}"]:enabled')
        return self.click(text) if text.startswith("/") and enabled.count() else self.type(text)

    def __str__(self) -> str:
        return "\n".join(self.transcript)


def _open(page, web_stack) -> Widget:  # type: ignore[no-untyped-def]
    page.goto(f"{web_stack.base_url}/chat", wait_until="domcontentloaded")
    page.locator("#assist-chat #text-input").wait_for(state="visible", timeout=30_000)
    return Widget(page)


def test_qrg1_by_typing_and_clicking_ends_with_the_pdf_download(page, web_stack) -> None:
    from tests.fullstack.test_portal_id import make_applicant

    widget = _open(page, web_stack)
    applicant = make_applicant("en")
    first = widget.type("I want to apply for a portal ID")
    try:
        drive_portal_form(first, applicant.answers(), widget.answer)
    except ChatError as exc:
        raise AssertionError(f"{exc}\n{widget}") from None
    done = widget.click("/affirm")
    assert any(m.get("document") for m in done), f"no form PDF offered:\n{widget}"
    link = page.locator("#assist-chat a.assist-download").last
    link.wait_for(timeout=10_000)
    with page.expect_download(timeout=30_000) as download:
        link.click()
    name = download.value.suggested_filename
    assert name.endswith(".pdf"), name
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


def test_a_reload_in_the_middle_of_the_form_keeps_the_conversation(page, web_stack) -> None:
    from tests.fullstack.test_portal_id import make_applicant

    widget = _open(page, web_stack)
    applicant = make_applicant("en")
    replies = widget.type("I want to apply for a portal ID")
    assert asked_field(replies) == "name", f"the form did not start:\n{widget}"
    replies = widget.type(applicant.name)
    assert asked_field(replies) == "mykad", f"no MyKad question:\n{widget}"
    page.reload()
    page.locator("#assist-chat .user-message-text", has_text=applicant.name).wait_for(
        timeout=30_000
    )
    page.locator("#assist-chat .ai-message-text", has_text="MyKad").last.wait_for(timeout=10_000)
    replies = widget.type(applicant.mykad)  # the same session: the form goes on
    assert asked_field(replies) == "email", f"the form did not go on after the reload:\n{widget}"


def test_connection_lost_is_said_and_recovers_by_itself(page, web_stack) -> None:
    widget = _open(page, web_stack)
    page.wait_for_timeout(1000)  # the event stream is open

    def refuse(route) -> None:  # type: ignore[no-untyped-def]
        route.abort("connectionrefused")

    page.route("**/api/v1/chat/**", refuse)
    widget.transcript.append("> hello (backend unreachable)")
    box = page.locator("#assist-chat #text-input")
    box.click()
    page.keyboard.type("hello")
    page.keyboard.press("Enter")
    status = page.locator("#chat-status")
    status.wait_for(state="visible", timeout=15_000)
    assert "Connection problem" in status.inner_text()
    retry = page.locator("#assist-chat .assist-retry").last
    retry.wait_for(timeout=10_000)
    page.unroute("**/api/v1/chat/**", refuse)
    # No click needed: the event stream reconnects and the status goes away by itself.
    status.wait_for(state="hidden", timeout=30_000)
    assert "Connected again" in page.locator("#chat-announcer").inner_text()
    replies = widget._turn(lambda: retry.click())  # and the retry sends what was typed
    assert replies and all_text(replies), f"no answer after recovering:\n{widget}"


def test_delete_my_conversation_asks_first_then_starts_afresh(page, web_stack) -> None:
    """PDPA: the user deletes their own conversation from the widget; cancelling deletes nothing."""
    from tests.fullstack.test_portal_id import make_applicant

    widget = _open(page, web_stack)
    applicant = make_applicant("en")
    assert asked_field(widget.type("I want to apply for a portal ID")) == "name"
    assert asked_field(widget.type(applicant.name)) == "mykad", str(widget)
    history_url = f"{web_stack.base_url}/api/v1/chat/history"
    kept = page.request.get(history_url).json()["messages"]
    assert len(kept) >= 4
    asked: list[str] = []

    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.locator("#erase-button").click()
    assert asked and "logged out" in asked[0]
    assert page.request.get(history_url).json()["messages"] == kept  # cancelled: nothing deleted

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation(timeout=30_000):
        page.locator("#erase-button").click()
    page.locator("#assist-chat #text-input").wait_for(state="visible", timeout=30_000)
    status = page.locator("#chat-status")
    status.wait_for(state="visible", timeout=10_000)
    assert status.inner_text() == "Your conversation has been deleted."
    assert page.request.get(history_url).json()["messages"] == []
    assert page.locator("#assist-chat .user-message-text", has_text=applicant.name).count() == 0
    # Rasa's side is gone too: the same opener starts the form from its first question again.
    assert asked_field(widget.type("I want to apply for a portal ID")) == "name", str(widget)
