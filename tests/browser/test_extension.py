"""The reference extension (extension/), loaded unpacked into chromium, against a real server.

A context menu is native UI that Playwright cannot click, so the test does what a click does:
it selects text in a page, then calls the service worker's own onClicked handler,
``handOffSelection``, with what Chrome would pass it (the menu item and the selection).
The handler stores the selection in chrome.storage.session and tries to open the side panel;
without a real user gesture Chrome refuses to open it, so the test opens the side panel's
page by its URL in a tab, where it reads the hand-off exactly as the panel would.

The server requires an API key and allows only this extension's origin (CORS), as a
deployment would, so a passing test shows the options page's key is sent and the
extension's origin is what the server must list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from browser_harness import expect
from support.servers import RealiseServer, run_realise_server

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Worker

API_KEY = "extension-test-key"


@pytest.fixture(scope="module")
def extension_origin(extension_profile: BrowserContext) -> str:
    workers = extension_profile.service_workers
    worker = workers[0] if workers else extension_profile.wait_for_event("serviceworker")
    # chrome-extension://<id>/background.js -> chrome-extension://<id>
    return worker.url.rsplit("/", 1)[0]


@pytest.fixture
def service_worker(extension_browser: BrowserContext, extension_origin: str) -> Worker:
    return next(worker for worker in extension_browser.service_workers if worker.url.startswith(extension_origin))


@pytest.fixture(scope="module")
def realise_for_extension(extension_origin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealiseServer]:
    env = {
        "REALISE_ENGINE": "offline",
        "REALISE_DB_PATH": str(tmp_path_factory.mktemp("extension-server") / "realise.db"),
        "REALISE_API_KEYS": API_KEY,
        "REALISE_CORS_ORIGINS": extension_origin,
    }
    with run_realise_server(env=env) as server:
        yield server


def save_options(context: BrowserContext, extension_origin: str, service_url: str) -> None:
    options = context.new_page()
    options.goto(f"{extension_origin}/options.html")
    expect(options.locator("#cors-setting")).to_have_text(f"REALISE_CORS_ORIGINS={extension_origin}")
    options.get_by_label("Service URL").fill(f"{service_url}/")
    options.get_by_label("API key (if the server requires one)").fill(API_KEY)
    options.get_by_role("button", name="Save").click()
    expect(options.get_by_role("status")).to_contain_text("Saved.")
    stored = options.evaluate("chrome.storage.local.get(['serviceUrl', 'apiKey'])")
    assert stored == {"serviceUrl": service_url, "apiKey": API_KEY}  # the trailing slash is dropped


def select_text_in_a_page(context: BrowserContext, text: str) -> str:
    """A planning page with ``text`` selected; returns the selection as Chrome reports it."""
    page = context.new_page()
    page.set_content(f"<h1>Q3 plan</h1><p>Platform work.</p><p id='ask'>{text}</p>")
    page.locator("#ask").evaluate("node => window.getSelection().selectAllChildren(node)")
    return page.evaluate("window.getSelection().toString()")


def choose_menu_item(worker: Worker, menu_item_id: str, selection_text: str) -> None:
    """What clicking the context menu item does: Chrome calls the worker's onClicked handler."""
    worker.evaluate(
        """async ([menuItemId, selectionText]) => {
            const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true });
            await handOffSelection({ menuItemId, selectionText }, tab);
        }""",
        [menu_item_id, selection_text],
    )


def open_side_panel(context: BrowserContext, extension_origin: str) -> Page:
    panel = context.new_page()
    panel.set_viewport_size({"width": 400, "height": 900})  # a side panel's width
    panel.goto(f"{extension_origin}/sidepanel.html")
    return panel


def test_options_then_realise_this_on_a_selection_shows_ranked_candidates(
    extension_browser: BrowserContext,
    service_worker: Worker,
    extension_origin: str,
    realise_for_extension: RealiseServer,
) -> None:
    save_options(extension_browser, extension_origin, realise_for_extension.url)
    selection = select_text_in_a_page(extension_browser, "Upgrade Elasticsearch")

    choose_menu_item(service_worker, "realise-rewrite", selection)
    panel = open_side_panel(extension_browser, extension_origin)

    expect(panel.get_by_label("Selected text")).to_have_value("Upgrade Elasticsearch")
    expect(panel.get_by_role("status").first).to_contain_text("3 candidates, best first. You asked for an output.")
    candidates = panel.locator("article.candidate")
    expect(candidates).to_have_count(3)
    assert [candidates.nth(i).get_attribute("data-rank") for i in range(3)] == ["1", "2", "3"]
    expect(panel.locator("section.assessment mark.finding[data-codes~='output_verb']")).to_have_text("Upgrade")

    candidates.first.get_by_role("button", name="Copy as Markdown").click()
    expect(candidates.first.get_by_role("status")).to_have_text("Copied as Markdown.")
    # The hand-off is consumed, so reopening the panel does not call the service again.
    assert panel.evaluate("chrome.storage.session.get('handoff')") == {}


def test_check_this_objective_lints_the_selection_in_an_open_panel(
    extension_browser: BrowserContext,
    service_worker: Worker,
    extension_origin: str,
    realise_for_extension: RealiseServer,
) -> None:
    save_options(extension_browser, extension_origin, realise_for_extension.url)
    panel = open_side_panel(extension_browser, extension_origin)
    selection = select_text_in_a_page(extension_browser, "Migrate to Kubernetes")

    choose_menu_item(service_worker, "realise-lint", selection)  # the open panel picks it up

    expect(panel.get_by_label("Selected text")).to_have_value("Migrate to Kubernetes")
    expect(panel.locator("#status")).to_contain_text("Output objective")
    expect(panel.locator("#result mark.finding[data-codes~='output_verb']")).to_have_text("Migrate")


def test_without_the_key_the_panel_says_where_to_set_it(
    extension_browser: BrowserContext, extension_origin: str, realise_for_extension: RealiseServer
) -> None:
    options = extension_browser.new_page()
    options.goto(f"{extension_origin}/options.html")
    options.get_by_label("Service URL").fill(realise_for_extension.url)
    options.get_by_label("API key (if the server requires one)").fill("")
    options.get_by_role("button", name="Save").click()
    expect(options.get_by_role("status")).to_contain_text("Saved.")
    panel = open_side_panel(extension_browser, extension_origin)

    panel.get_by_label("Selected text").fill("Upgrade Elasticsearch")
    panel.get_by_role("button", name="Realise this").click()

    expect(panel.get_by_role("alert")).to_contain_text("Set the API key in the extension's options.")
