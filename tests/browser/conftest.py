"""Headless Debian chromium driven by Playwright, against the shared SQLite stack.

No browser is downloaded: Playwright launches ``/usr/bin/chromium`` (override with
``ASSIST_CHROMIUM``); without it these tests skip and say so. Run just these:
``.venv/bin/python -m pytest -m browser``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fullstack import harness
from tests.fullstack.support import start_or_skip

CHROMIUM = Path(os.environ.get("ASSIST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_sessionfinish(session, exitstatus):  # noqa: ARG001
    harness.stop_all()


@pytest.fixture(scope="session")
def web_stack(tmp_path_factory: pytest.TempPathFactory) -> harness.Stack:
    return start_or_skip("sqlite", tmp_path_factory)


@pytest.fixture(scope="module")
def browser():
    # Module scope, not session: Playwright's sync API keeps an event loop running in this thread
    # until it is closed, and pytest-asyncio tests that run later cannot start their own.
    if not CHROMIUM.exists():
        pytest.skip(
            f"chromium is missing at {CHROMIUM}: install Debian's chromium "
            "(`apt-get install chromium`; `python3 scripts/assist.py test` does it as root)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright Python package is not installed in .venv")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, web_stack: harness.Stack, request: pytest.FixtureRequest):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    page.console_lines = console  # type: ignore[attr-defined]
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        shot = web_stack.var_dir / f"{request.node.name}.png"
        try:
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}\nconsole:\n" + "\n".join(console))
        except Exception as exc:  # noqa: BLE001 - diagnostics only
            print(f"no screenshot: {exc}")
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # noqa: ARG001
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
