"""Browser tests: Playwright for Python driving Debian's chromium against a real realise server.

Everything here skips, saying why, when playwright or /usr/bin/chromium is missing, so a
machine without a browser still passes. When a test fails, every page it had open is
screenshotted into test-artifacts/ (gitignored) before the browser closes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from browser_harness import CHROMIUM, CHROMIUM_ARGS, browser_unavailable, screenshot_pages, sync_playwright
from support.servers import PROJECT_ROOT, RealiseServer, run_realise_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Playwright

EXTENSION = PROJECT_ROOT / "extension"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[pytest.TestReport]:
    # Keep each phase's report on the test item, so fixtures can tell at teardown whether it failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def screenshot_if_failed(request: pytest.FixtureRequest, context: BrowserContext) -> None:
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        screenshot_pages(context, request.node.nodeid)


# Module scope, not session: while sync Playwright runs, its event loop is the thread's running
# loop, and the asyncio tests that follow tests/browser/ could not start their own.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    reason = browser_unavailable()
    if reason:
        pytest.skip(reason)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def realise(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealiseServer]:
    """One offline server for the playground tests; no API keys, as `make run` starts it."""
    db_path = tmp_path_factory.mktemp("playground") / "realise.db"
    with run_realise_server(
        env={"REALISE_ENGINE": "offline", "REALISE_DB_PATH": str(db_path), "REALISE_API_KEYS": None}
    ) as server:
        yield server


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def browser_context(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    """A fresh profile per test (cookies, storage, permissions), in the shared browser."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        screenshot_if_failed(request, context)
        context.close()


@pytest.fixture(scope="module")
def extension_profile(playwright: Playwright, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """chromium with extension/ loaded unpacked, in a profile of its own, shared by a module's tests."""
    # Extensions need a persistent profile, and --headless=new (the old headless mode has no extensions).
    context = playwright.chromium.launch_persistent_context(
        tmp_path_factory.mktemp("extension-profile"),
        executable_path=str(CHROMIUM),
        headless=False,
        args=[
            "--headless=new",
            f"--disable-extensions-except={EXTENSION}",
            f"--load-extension={EXTENSION}",
            *CHROMIUM_ARGS,
        ],
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def extension_browser(extension_profile: BrowserContext, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    """The extension's browser for one test: the pages it opens are closed after it (screenshotted if it failed)."""
    already_open = set(extension_profile.pages)
    yield extension_profile
    screenshot_if_failed(request, extension_profile)
    for page in extension_profile.pages:
        if page not in already_open:
            page.close()
