"""Headless Debian Chromium (package ``chromium``) for the browser tests.

Playwright drives ``/usr/bin/chromium`` and never downloads a browser of its own; the flags
keep Chromium from calling any other host, so a test sees only the server's own requests.
"""

from pathlib import Path
from typing import Any

from conftest import skip_outside_ci

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Django admin's header colour (--header-bg): there only when base.css was served and applied.
ADMIN_HEADER_BACKGROUND = "rgb(65, 118, 144)"
ADMIN_HEADER_STYLE = "getComputedStyle(document.getElementById('header')).backgroundColor"


def launch_chromium(playwright: Any) -> Any:
    if not CHROMIUM.exists():
        skip_outside_ci("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
    )
