"""What the browser tests share: where chromium is, how it is launched, screenshots on failure.

Also used by take_screenshots.py, so the README's pictures come from the same browser set-up.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from support.servers import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
# Quiet and deterministic: no sandbox (containers run as root), no GPU, no calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the suite must pass on machines without the browser bits; tests skip
    expect = sync_playwright = None


def browser_unavailable() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if sync_playwright is None:
        return "playwright is not installed (pip install -e '.[test]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


def screenshot_pages(context: Any, name: str) -> list[Path]:
    """Full-page screenshots of every open page of a Playwright BrowserContext, into test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", name)
    paths = []
    for index, page in enumerate(context.pages):
        if not page.is_closed():
            paths.append(ARTIFACTS / f"{stem}-{index}.png")
            page.screenshot(path=paths[-1], full_page=True)
    return paths
