"""Take the README's screenshots of the playground into docs/screenshots/.

    .venv/bin/python tests/browser/take_screenshots.py

Same browser set-up as the browser tests, against a fresh offline server, so the pictures show
what `make run` serves. Re-run it after changing api/static/ and commit the PNGs.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from browser_harness import CHROMIUM, CHROMIUM_ARGS, browser_unavailable, sync_playwright  # noqa: E402
from support.servers import PROJECT_ROOT, run_realise_server  # noqa: E402

SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
BACKLOG = (
    "id,summary,description\n"
    "OPS-1,Upgrade Elasticsearch,Out of support and eats our time\n"
    "OPS-2,Build a customer portal,Customers phone us to check their orders\n"
    "OPS-3,Migrate email to the cloud,\n"
)


def main() -> int:
    reason = browser_unavailable()
    if reason:
        print(f"cannot take screenshots: {reason}", file=sys.stderr)
        return 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as tmp,
        run_realise_server(
            env={
                "REALISE_ENGINE": "offline",
                "REALISE_DB_PATH": str(Path(tmp) / "realise.db"),
                "REALISE_API_KEYS": None,
            }
        ) as server,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 1300})

        page.goto(server.url)
        page.get_by_label("What were you asked to build?").fill("Upgrade Elasticsearch")
        page.get_by_label("Why? (optional)").fill(
            "It is out of support and the team spends a day a week keeping it running"
        )
        page.get_by_role("button", name="Rewrite", exact=True).click()
        page.locator("article.candidate").first.wait_for()
        page.locator("section.assessment mark.finding").first.focus()  # shows a finding's tooltip
        page.screenshot(path=SCREENSHOTS / "playground-rewrite.png")

        page.goto(f"{server.url}/#lint")
        page.reload()
        page.get_by_label("Objective", exact=True).fill("Migrate to Kubernetes")
        page.get_by_label("Key results (one per line, up to 10)").fill(
            "Migrate 40 services\nDeploys take under 10 minutes, from 2 hours, by the end of June"
        )
        page.locator("#lint-status").filter(has_text="objective").wait_for()
        page.locator("#lint-result mark.finding").first.focus()
        page.screenshot(path=SCREENSHOTS / "playground-lint.png", clip={"x": 0, "y": 0, "width": 1000, "height": 1000})

        page.goto(f"{server.url}/#batch")
        page.reload()
        page.get_by_label("Backlog file").set_input_files(
            files=[{"name": "backlog.csv", "mimeType": "text/csv", "buffer": BACKLOG.encode()}]
        )
        page.get_by_role("button", name="Start batch").click()
        page.get_by_role("link", name="Download results (CSV)").wait_for(timeout=30_000)
        page.screenshot(path=SCREENSHOTS / "playground-batch.png", clip={"x": 0, "y": 0, "width": 1000, "height": 700})

        phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
        phone.goto(server.url)
        phone.get_by_label("What were you asked to build?").fill("Build a customer portal")
        phone.get_by_role("button", name="Rewrite", exact=True).click()
        phone.get_by_role("heading", name="What you asked for").evaluate("heading => heading.scrollIntoView()")
        phone.screenshot(path=SCREENSHOTS / "playground-phone.png")
        browser.close()
    for path in sorted(SCREENSHOTS.glob("*.png")):
        print(f"wrote {path.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
