"""The API viewer at /schema in a real browser, with every request off the server blocked."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from browser_harness import expect
from support.servers import RealiseServer

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Route


def test_the_api_viewer_renders_from_the_server_alone(browser_context: BrowserContext, realise: RealiseServer) -> None:
    server = urlsplit(realise.url).netloc
    blocked: list[str] = []

    def only_the_server(route: Route) -> None:
        if urlsplit(route.request.url).netloc == server:
            route.continue_()
        else:  # a CDN, a font host: offline users and firewalls would never get it
            blocked.append(route.request.url)
            route.abort()

    browser_context.route("**/*", only_the_server)
    page = browser_context.new_page()
    page.goto(f"{realise.url}/schema")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("realise")
    expect(page.locator(".opblock-summary-path", has_text="/v1/rewrites").first).to_be_visible()
    assert blocked == []
